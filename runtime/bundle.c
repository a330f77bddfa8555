#include "bundle.h"
#include "config.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int rt_bundle_read(const char *bundle, char **text, size_t *len, struct stat *st)
{
	_cleanup_close_ int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	long n;

	if (dfd < 0)
		return -errno;
	fd = openat(dfd, "config.json", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	n = read_fd(fd, OCI_CONFIG_MAX, text);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

int rt_bundle_write(const char *bundle, const char *data, size_t len, const struct stat *orig)
{
	_cleanup_close_ int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	char tmp[64];
	struct timespec ts;
	int r = 0;

	if (dfd < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(tmp, sizeof(tmp), ".config.json.procview-%d-%ld", (int)getpid(), ts.tv_nsec);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* Owner first: fchown clears set-id bits that fchmod then restores. */
	if ((orig->st_uid != geteuid() || orig->st_gid != getegid()) &&
	    fchown(fd, orig->st_uid, orig->st_gid) < 0 && errno != EPERM) {
		r = -errno;
		goto fail;
	}
	if (fchmod(fd, orig->st_mode & 07777) < 0 || (r = write_all(fd, data, len)) < 0 ||
	    fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		goto fail;
	}
	if (close(TAKE_FD(fd)) < 0 || renameat(dfd, tmp, dfd, "config.json") < 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	unlinkat(dfd, tmp, 0);
	return r;
}
