#include "runstate.h"
#include "fdpass.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

static int run_path(const char *mnt, const char *suffix, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, PROCVIEW_RUNDIR "/daemon.");
	const char *p = mnt;

	for (; *p && n + 1 < size; p++)
		out[n++] = *p == '/' ? '_' : *p;
	if (*p || n + strlen(suffix) + 1 > size)
		return -ENAMETOOLONG;
	strcpy(out + n, suffix);
	return 0;
}

int pidfile_path(const char *mnt, char *out, size_t size)
{
	return run_path(mnt, ".pid", out, size);
}

int sockfile_path(const char *mnt, char *out, size_t size)
{
	return run_path(mnt, ".sock", out, size);
}

int pidfile_write(const char *mnt, pid_t renderer)
{
	char path[4200], tmp[4300], text[128];
	_cleanup_close_ int fd = -1;
	static time_t started;
	int len;

	if (pidfile_path(mnt, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (!started)
		started = time(NULL);
	(void)mkdir(PROCVIEW_RUNDIR, 0755);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* The renderer's line is the fourth: readers of the first three
	 * (procview 0.1.0) keep working. */
	len = snprintf(text, sizeof(text), "%d\n%s\n%lld\n%d\n", (int)getpid(), PROCVIEW_VERSION,
		       (long long)started, (int)renderer);
	if (write(fd, text, (size_t)len) != len) {
		unlink(tmp);
		return -EIO;
	}
	/* rename: a reader never sees half a file */
	if (rename(tmp, path) < 0) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	return 0;
}

int pidfile_parse(const char *text, struct daemon_info *info)
{
	long long pid, started, renderer;
	char version[32];
	int n = sscanf(text, "%lld\n%31s\n%lld\n%lld", &pid, version, &started, &renderer);

	if (n < 3 || pid <= 0 || pid > 4194304)
		return -EINVAL;
	info->pid = (pid_t)pid;
	info->renderer = n == 4 && renderer > 0 && renderer <= 4194304 ? (pid_t)renderer : 0;
	snprintf(info->version, sizeof(info->version), "%s", version);
	info->started = started;
	return 0;
}

int pidfile_read(const char *mnt, struct daemon_info *info)
{
	_cleanup_free_ char *text = NULL;
	char path[4200];
	long r;

	if (pidfile_path(mnt, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	r = read_file_at(AT_FDCWD, path, 4096, &text);
	if (r < 0)
		return (int)r;
	return pidfile_parse(text, info);
}

void pidfile_remove(const char *mnt)
{
	struct daemon_info info;
	char path[4200];

	/* Only our own: a replacing daemon may have written its pid since. */
	if (pidfile_path(mnt, path, sizeof(path)) == 0 && pidfile_read(mnt, &info) == 0 &&
	    info.pid == getpid())
		unlink(path);
}

void notify_systemd_fds(const char *msg, const int *fds, size_t nfds)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!sock || !*sock || strlen(sock) >= sizeof(sa.sun_path) || nfds > FDPASS_MAX)
		return;
	len = strlen(sock);
	memcpy(sa.sun_path, sock, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract socket */
	/* A connected datagram socket: fd_send's sendmsg needs no name. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 &&
	    connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == 0)
		(void)fd_send(fd, msg, strlen(msg), fds, nfds);
}

void notify_systemd(const char *msg)
{
	notify_systemd_fds(msg, NULL, 0);
}
