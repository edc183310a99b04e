// wait-port HOST PORT SECONDS: waits until a TCP server accepts connections on HOST:PORT, for at
// most SECONDS; exit status 0 when it does, 1 when it did not in time. In the mysql package it
// lets a client start only once the server beside it (OSv's `&`) is ready: a client loaded while
// the server is still loading its libraries fails on OSv.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	time_t end;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
		fprintf(stderr, "usage: wait-port IPV4-ADDRESS PORT SECONDS\n");
		return 2;
	}
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	end = time(NULL) + atoi(argv[3]);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		if (fd < 0) {
			perror("wait-port: socket");
			return 1;
		}
		ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
		close(fd);
		if (ok)
			return 0;
		if (time(NULL) >= end) {
			fprintf(stderr, "wait-port: nothing answers on %s:%s after %s s: %s\n", argv[1],
				argv[2], argv[3], strerror(errno));
			return 1;
		}
		usleep(200 * 1000);
	}
}
