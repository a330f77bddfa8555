#include "procfs.h"
#include "fileio.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

/* Debian's headers predate these nsfs ioctls (Linux 6.11). */
#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(0xb7, 0x7, int)
#endif

/* Field n (1-based) of a stat line; the comm field may hold spaces and
 * parentheses, so count from the last ')'. */
static const char *stat_field(const char *text, int n)
{
	const char *p = strrchr(text, ')');

	if (!p || n < 3)
		return NULL;
	p++;
	for (int f = 3; f < n; f++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		if (!*p)
			return NULL;
	}
	while (*p == ' ')
		p++;
	return *p ? p : NULL;
}

int proc_parse_starttime(const char *stat_text, uint64_t *ticks)
{
	const char *f = stat_field(stat_text, 22);
	char *end;

	if (!f || *f < '0' || *f > '9')
		return -EINVAL;
	errno = 0;
	*ticks = strtoull(f, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

int proc_parse_state(const char *stat_text, char *state)
{
	const char *f = stat_field(stat_text, 3);

	if (!f)
		return -EINVAL;
	*state = *f;
	return 0;
}

int proc_starttime(int proc_fd, pid_t pid, uint64_t *ticks)
{
	_cleanup_free_ char *text = NULL;
	char path[32];
	long r;

	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	r = read_file_at(proc_fd, path, 4096, &text);
	if (r < 0)
		return (int)r;
	return proc_parse_starttime(text, ticks);
}

int proc_ns_ino(int proc_fd, pid_t pid, const char *ns, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "%d/ns/%s", (int)pid, ns);
	if (fstatat(proc_fd, path, &st, 0) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/* Last value of the NSpid line: the pid as the process's own namespace
 * sees it. */
static int nspid_inner(int proc_fd, const char *pid, long *inner)
{
	_cleanup_free_ char *text = NULL;
	char path[300];
	const char *l;

	snprintf(path, sizeof(path), "%s/status", pid);
	if (read_file_at(proc_fd, path, 65536, &text) < 0)
		return -ESRCH;
	l = strstr(text, "\nNSpid:");
	if (!l)
		return -EINVAL;
	l += 7;
	for (;;) {
		char *end;
		long v = strtol(l, &end, 10);

		if (end == l)
			return -EINVAL;
		*inner = v;
		l = end;
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '\n' || !*l)
			return 0;
	}
}

static int pidns_init_scan(int proc_fd, uint64_t want_ino, pid_t *init)
{
	_cleanup_close_ int dfd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int r = -ESRCH;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d)
		return -errno;
	dfd = -1; /* owned by d now */
	while ((de = readdir(d))) {
		uint64_t ino = 0;
		long inner;
		pid_t p = (pid_t)atoi(de->d_name);

		if (p <= 0 || proc_ns_ino(proc_fd, p, "pid", &ino) < 0 || ino != want_ino)
			continue;
		if (nspid_inner(proc_fd, de->d_name, &inner) == 0 && inner == 1) {
			*init = p;
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

int proc_pidns_init(int proc_fd, pid_t pid, pid_t *init)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	uint64_t ino = 0;
	int r;

	snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, NS_GET_TGID_FROM_PIDNS, 1);
	if (r > 0) {
		*init = r;
		return 0;
	}
	if (errno == ESRCH)
		return -ESRCH;
	/* Older kernel: find the namespace's pid 1 the slow way. */
	r = proc_ns_ino(proc_fd, pid, "pid", &ino);
	if (r < 0)
		return r;
	return pidns_init_scan(proc_fd, ino, init);
}

double boottime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long clock_ticks(void)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? hz : 100;
}
