#include "takeover.h"
#include "fdpass.h"
#include "log.h"
#include "runstate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#define HANDOFF_TIMEOUT_S 10

enum { H_REQUEST = 1, H_HANDLES, H_TAKEN, H_GONE };
struct handoff_msg {
	char magic[8]; /* "pvhand1": both sides speak this protocol version */
	int type;
};
static const char magic[8] = "pvhand1";

static int sock_addr(const char *mnt, struct sockaddr_un *sa)
{
	char path[4200];

	if (sockfile_path(mnt, path, sizeof(path)) < 0 || strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	strcpy(sa->sun_path, path);
	return 0;
}

static void set_timeout(int sock, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	(void)setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_type(int sock, int type, const int *fds, size_t nfds)
{
	struct handoff_msg m = { .type = type };

	memcpy(m.magic, magic, sizeof(magic));
	return fd_send(sock, &m, sizeof(m), fds, nfds);
}

/* The next message's type, 0 at EOF, -errno (-EAGAIN: timed out). */
static int recv_type(int sock, int *fds, size_t maxfds, size_t *nfds)
{
	struct handoff_msg m;
	size_t dummy;
	ssize_t n = fd_recv(sock, &m, sizeof(m), fds, maxfds, nfds ? nfds : &dummy);

	if (n <= 0)
		return (int)n;
	if (n != sizeof(m) || memcmp(m.magic, magic, sizeof(magic)) != 0)
		return -EPROTO;
	return m.type;
}

int handoff_listen(const char *mnt)
{
	struct sockaddr_un sa;
	_cleanup_close_ int s = -1;

	if (sock_addr(mnt, &sa) < 0)
		return -ENAMETOOLONG;
	(void)mkdir(PROCVIEW_RUNDIR, 0755);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	(void)unlink(sa.sun_path);
	/* Only root may take our handles. */
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(s, 4) < 0)
		return -errno;
	return TAKE_FD(s);
}

int handoff_serve(int lsock, const int handles[HANDLES], void (*kill_renderer)(void *),
		  void *data)
{
	_cleanup_close_ int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int t;

	if (c < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid())
		return 0;
	set_timeout(c, HANDOFF_TIMEOUT_S);
	if (recv_type(c, NULL, 0, NULL) != H_REQUEST)
		return 0;
	log_msg(LOG_INFO, "handing the mounts over to pid %d", (int)cred.pid);
	if (send_type(c, H_HANDLES, handles, HANDLES) < 0)
		return 0;
	/* The new renderer serves alongside ours until the new holder says
	 * it has taken over; without that word we simply carry on. */
	t = recv_type(c, NULL, 0, NULL);
	if (t != H_TAKEN) {
		log_msg(LOG_WARNING, "handoff to pid %d abandoned; still serving", (int)cred.pid);
		return 0;
	}
	kill_renderer(data);
	(void)send_type(c, H_GONE, NULL, 0);
	return 1;
}

int handoff_begin(const char *mnt, int handles[HANDLES])
{
	struct sockaddr_un sa;
	_cleanup_close_ int s = -1;
	size_t n = 0;
	int t;

	if (sock_addr(mnt, &sa) < 0)
		return -ENAMETOOLONG;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	set_timeout(s, HANDOFF_TIMEOUT_S);
	if (send_type(s, H_REQUEST, NULL, 0) < 0)
		return -EPROTO;
	t = recv_type(s, handles, HANDLES, &n);
	if (t != H_HANDLES || n != HANDLES) {
		for (size_t i = 0; i < n; i++)
			close(handles[i]);
		return t < 0 ? t : -EPROTO;
	}
	return TAKE_FD(s);
}

int handoff_finish(int sock)
{
	int t;

	if (send_type(sock, H_TAKEN, NULL, 0) < 0)
		return -EPIPE;
	t = recv_type(sock, NULL, 0, NULL);
	/* EOF: the old holder died after its word; its renderer with it. */
	return t == H_GONE || t == 0 ? 0 : t < 0 ? t : -EPROTO;
}

/* ---- systemd's fd store ---- */

static const char *const handle_names[HANDLES] = { "procview-reader", "procview-containers",
						   "procview-ledger" };

void fdstore_push(const int handles[HANDLES])
{
	for (int i = 0; i < HANDLES; i++) {
		char msg[96];

		snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", handle_names[i]);
		notify_systemd_fds(msg, &handles[i], 1);
	}
}

void fdstore_drop(void)
{
	for (int i = 0; i < HANDLES; i++) {
		char msg[96];

		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", handle_names[i]);
		notify_systemd(msg);
	}
}

int fdstore_adopt(int handles[HANDLES])
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS"),
		   *names = getenv("LISTEN_FDNAMES");
	int found = 0, n;

	for (int i = 0; i < HANDLES; i++)
		handles[i] = -1;
	if (!pid || !nfds || !names || atol(pid) != (long)getpid())
		return 0;
	n = atoi(nfds);
	for (int fd = 3; fd < 3 + n; fd++) {
		const char *end = strchr(names, ':');
		size_t len = end ? (size_t)(end - names) : strlen(names);
		int i;

		for (i = 0; i < HANDLES; i++)
			if (strlen(handle_names[i]) == len && !strncmp(names, handle_names[i], len))
				break;
		if (i < HANDLES && handles[i] < 0) {
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
			handles[i] = fd;
			found++;
		} else {
			close(fd);
		}
		names = end ? end + 1 : names + len;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (found == HANDLES)
		return 1;
	for (int i = 0; i < HANDLES; i++)
		if (handles[i] >= 0) {
			close(handles[i]);
			handles[i] = -1;
		}
	return 0;
}
