// copytree SRC DST: copies the directory tree SRC to DST (directories, regular files, symbolic
// links), keeping modes. OSv cannot run cp; the mysql package uses this to move the data
// directory made at build time onto a writable file system (a read-only root's /tmp) at boot.
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *src, *dst;

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[1 << 16];
	ssize_t n;
	int in = open(from, O_RDONLY), out = -1, rc = -1;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode & 07777);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			goto done;
	rc = n < 0 ? -1 : 0;
done:
	if (out >= 0 && close(out) < 0)
		rc = -1;
	close(in);
	return rc;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int rc = 0;

	(void)ftw;
	if (snprintf(to, sizeof to, "%s%s", dst, path + strlen(src)) >= (int)sizeof to) {
		errno = ENAMETOOLONG;
		rc = -1;
	} else if (type == FTW_NS) {
		rc = -1;
	} else if (S_ISDIR(st->st_mode)) {
		// By the mode, not by type: OSv's nftw reports entries of a root-only directory as
		// FTW_DNR, readable as they are.
		rc = mkdir(to, st->st_mode & 07777);
		if (rc < 0 && errno == EEXIST)
			rc = 0;
	} else if (S_ISLNK(st->st_mode)) {
		n = readlink(path, link, sizeof link - 1);
		if (n < 0)
			rc = -1;
		else {
			link[n] = 0;
			rc = symlink(link, to);
		}
	} else if (S_ISREG(st->st_mode)) {
		rc = copy_file(path, to, st->st_mode);
	}
	if (rc < 0)
		fprintf(stderr, "copytree: %s -> %s: %s\n", path, to, strerror(errno));
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: copytree SRC DST\n");
		return 2;
	}
	src = argv[1];
	dst = argv[2];
	return nftw(src, visit, 16, FTW_PHYS) == 0 ? 0 : 1;
}
