#include <stdio.h>
#include <stdlib.h>

/* Prints a greeting and a value it computes, so a test can tell the program really ran. */
int main(int argc, char **argv)
{
	unsigned long sum = 0;
	for (unsigned long i = 1; i <= 1000; i++)
		sum += i * i;
	printf("Hello from pkgdriver's native example\n");
	printf("sum of squares 1..1000 = %lu\n", sum);
	for (int i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	return 0;
}
