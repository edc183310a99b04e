/* tcp-probe: a small TCP client for OSv demos (see meta/README.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static size_t unescape(const char *in, char *out)
{
	size_t n = 0;
	for (; *in; in++) {
		if (*in == '\\' && in[1]) {
			in++;
			out[n++] = *in == 'r' ? '\r' : *in == 'n' ? '\n' : *in == 't' ? '\t' : *in;
		} else {
			out[n++] = *in;
		}
	}
	return n;
}

static int dial(const char *host, int port, int patience)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcp-probe: %s: not an IPv4 address\n", host);
		exit(2);
	}
	for (int i = 0; i < patience * 10; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("tcp-probe: socket");
			exit(1);
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(100 * 1000);
	}
	fprintf(stderr, "tcp-probe: cannot connect to %s:%d: %s\n", host, port, strerror(errno));
	exit(1);
}

static void relay(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, 5000) > 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		fwrite(buf, 1, n, stdout);
	}
	fflush(stdout);
}

static int selftest(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len)) {
		perror("tcp-probe: listen");
		return 1;
	}
	int c = dial("127.0.0.1", ntohs(sa.sin_port), 5);
	int s = accept(l, NULL, NULL);
	const char msg[] = "hello";
	char got[16] = { 0 };
	if (s < 0 || write(c, msg, 5) != 5 || read(s, got, 5) != 5) {
		perror("tcp-probe: selftest");
		return 1;
	}
	printf("tcp-probe: loopback round trip: %s through 127.0.0.1\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "selftest") == 0)
		return selftest();
	/* Programs of one OSv image share libc state (getopt's optind among it): a demo that starts
	 * a server and a client of the same program lets the server parse its options first. */
	if (argc == 3 && strcmp(argv[1], "sleep") == 0) {
		usleep((useconds_t)(atof(argv[2]) * 1e6));
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: tcp-probe HOST PORT [REQUEST] | tcp-probe selftest | tcp-probe sleep SECONDS\n");
		return 2;
	}
	int fd = dial(argv[1], atoi(argv[2]), 60);
	if (argc > 3) {
		char *req = malloc(strlen(argv[3]) + 1);
		size_t n = unescape(argv[3], req);
		if (write(fd, req, n) != (ssize_t)n) {
			perror("tcp-probe: write");
			return 1;
		}
	}
	relay(fd);
	close(fd);
	return 0;
}
