#include "runstate.h"
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

int pidfile_path(const char *mnt, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, PROCVIEW_RUNDIR "/daemon.");
	const char *p = mnt;

	for (; *p && n + 1 < size; p++)
		out[n++] = *p == '/' ? '_' : *p;
	if (*p || n + 5 >= size)
		return -ENAMETOOLONG;
	strcpy(out + n, ".pid");
	return 0;
}

int pidfile_write(const char *mnt)
{
	char path[4200], tmp[4300], text[128];
	_cleanup_close_ int fd = -1;
	int len;

	if (pidfile_path(mnt, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	(void)mkdir(PROCVIEW_RUNDIR, 0755);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	len = snprintf(text, sizeof(text), "%d\n%s\n%lld\n", (int)getpid(), PROCVIEW_VERSION,
		       (long long)time(NULL));
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
	long long pid, started;
	char version[32];

	if (sscanf(text, "%lld\n%31s\n%lld", &pid, version, &started) != 3 || pid <= 0 ||
	    pid > 4194304)
		return -EINVAL;
	info->pid = (pid_t)pid;
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

void notify_systemd(const char *msg)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!sock || !*sock || strlen(sock) >= sizeof(sa.sun_path))
		return;
	len = strlen(sock);
	memcpy(sa.sun_path, sock, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract socket */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
}
