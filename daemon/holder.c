/* The holder: a small process that keeps the kernel's handles (the two
 * /dev/fuse fds and the ledger) and never parses /proc or cgroup text. It
 * mounts, starts the renderer, restarts it at once when it dies, and hands
 * its handles to a newer daemon on --replace. Single-threaded: one poll
 * loop over a signalfd, the renderer's control socket and the handoff
 * socket. */
#include "conn.h"
#include "fuse_relay.h"
#include "holder_sc.h"
#include "fdpass.h"
#include "split.h"
#include "takeover.h"
#include "log.h"
#include "runstate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define START_TIMEOUT_MS 10000
#define HEAL_TIMEOUT_MS 60000 /* a fresh start heals every recorded container */
#define QUICK_DEATH_MS 1000   /* dying sooner after READY counts toward backoff */
#define BACKOFF_MAX_MS 2000
#define DRAIN_MS 2000	      /* a handoff waits this long for our renderer's answers */

struct holder {
	const struct daemon_opts *o;
	char sub[PATH_MAX];
	int h[HANDLES];
	int sigfd, lsock, ctl, report;
	char **rargv; /* the renderer's command line: ours, another argv[0] */
	struct holder_sc sc; /* the seccomp notify fds (holder_sc.h) */
	struct fuse_relay *relay; /* without RESEND: we read /dev/fuse (fuse_relay.h) */
	pid_t renderer;
	int64_t ready_ms, respawn_at; /* ready_ms: 0 until the renderer says READY */
	unsigned quick_deaths;
	bool resend_warned;
	bool resends; /* the kernel has FUSE_NOTIFY_RESEND */
	bool lost;    /* stopped because a renderer died without it */
};

/* FUSE_NOTIFY_RESEND came with Linux 6.9. Without it, what a dead renderer
 * had read is lost and its readers wait forever (seen on 6.1 in check-vm),
 * so there the renderer never reads /dev/fuse: the holder relays every
 * request (fuse_relay.h). PROCVIEW_NO_RESEND=1 takes that path on any
 * kernel (tests). */
static bool kernel_resends(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	const char *e = getenv("PROCVIEW_NO_RESEND");

	if (e && *e && strcmp(e, "0") != 0)
		return false;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 9);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The environment for a renderer: ours, plus RENDERER_ENV. */
static char **renderer_env(const char *entry)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], RENDERER_ENV "=", sizeof(RENDERER_ENV)) != 0)
			env[k++] = environ[i];
	env[k] = (char *)entry;
	return env;
}

/* Fork and exec a renderer (this very binary, through /proc/self/exe: an
 * upgrade on disk does not change the protocol under us). Exec, not just
 * fork: the holder may run threads, and a forked child could inherit a
 * lock one of them held. */
static int spawn(struct holder *h, int flags, pid_t replace_pid)
{
	int keep[4 + SC_RELAY_CHANNELS] = { -1, h->h[HANDLE_LEDGER], h->h[CONN_READER],
					    h->h[CONN_CONTAINERS] };
	int sc[SC_RELAY_CHANNELS][2];
	_cleanup_free_ char **env = NULL;
	char entry[200];
	int sp[2], r = 0;
	pid_t pid, self = getpid();

	/* Relayed: the renderer gets a channel, never the /dev/fuse fd. */
	for (int i = 0; i < LEDGER_CONNS && h->relay; i++) {
		keep[2 + i] = -1;
		if (h->h[i] >= 0 && !r) {
			keep[2 + i] = fuse_relay_channel(h->relay, i);
			if (keep[2 + i] < 0)
				r = keep[2 + i];
		}
	}

	for (int i = 0; i < SC_RELAY_CHANNELS; i++) {
		sc[i][0] = sc[i][1] = -1;
		if (h->sc.relay && !r && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sc[i]) < 0)
			r = -errno;
		keep[4 + i] = sc[i][1];
	}
	if (!r && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		r = -errno;
	if (r < 0)
		goto fail_sc;
	keep[0] = sp[1];
	snprintf(entry, sizeof(entry), RENDERER_ENV "=%d %d %d %d %d %d %d %d %d %d %d", (int)self,
		 sp[1], keep[1], keep[2], keep[3], flags, (int)replace_pid, sc[0][1], sc[1][1],
		 sc[2][1], sc[3][1]);
	env = renderer_env(entry);
	pid = env ? fork() : -1;
	if (pid < 0) {
		r = env ? -errno : -ENOMEM;
		close(sp[0]);
		close(sp[1]);
		goto fail_sc;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
			if (keep[i] >= 0)
				(void)fcntl(keep[i], F_SETFD, 0);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != self)
			_exit(1);
		execve("/proc/self/exe", h->rargv, env);
		_exit(127);
	}
	close(sp[1]);
	if (h->ctl >= 0)
		close(h->ctl);
	h->ctl = sp[0];
	h->renderer = pid;
	h->ready_ms = 0;
	log_msg(LOG_DEBUG, "renderer pid %d started", (int)pid);
	if (h->sc.relay) {
		int mine[SC_RELAY_CHANNELS];

		for (int i = 0; i < SC_RELAY_CHANNELS; i++) {
			close(sc[i][1]);
			mine[i] = sc[i][0];
		}
		sc_relay_attach(h->sc.relay, mine);
	}
	for (int i = 0; i < LEDGER_CONNS && h->relay; i++)
		if (keep[2 + i] >= 0)
			close(keep[2 + i]);
	return 0;
fail_sc:
	for (int i = 0; i < SC_RELAY_CHANNELS; i++)
		for (int k = 0; k < 2; k++)
			if (sc[i][k] >= 0)
				close(sc[i][k]);
	for (int i = 0; i < LEDGER_CONNS && h->relay; i++)
		if (keep[2 + i] >= 0)
			close(keep[2 + i]);
	return r;
}

/* Wait for the renderer's message of this type (start-up only). */
static int wait_for(struct holder *h, int type, int conn, int timeout_ms)
{
	int64_t end = monotonic_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = h->ctl, .events = POLLIN };
		int64_t left = end - monotonic_ms();
		struct ctl_msg m;
		size_t n;
		int fd;
		ssize_t len;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (!p.revents)
			continue;
		len = fd_recv(h->ctl, &m, sizeof(m), &fd, 1, &n);
		if (n)
			close(fd);
		if (len <= 0)
			return -ECHILD; /* the renderer died */
		if (len == sizeof(m) && m.type == type && (conn < 0 || m.conn == conn))
			return 0;
	}
}

static void kill_renderer(void *data)
{
	struct holder *h = data;

	if (h->renderer > 0) {
		kill(h->renderer, SIGKILL);
		while (waitpid(h->renderer, NULL, 0) < 0 && errno == EINTR)
			;
		h->renderer = 0;
	}
}

/* handoff_serve's last step before the new holder alone serves: with a
 * relay, our renderer first answers what we took from the kernel. */
static void hand_over(void *data)
{
	struct holder *h = data;
	int failed = h->relay ? fuse_relay_drain(h->relay, DRAIN_MS) : 0;

	if (failed)
		log_msg(LOG_WARNING, "handoff: %d requests unanswered after %d ms failed with EIO",
			failed, DRAIN_MS);
	kill_renderer(h);
}

static void stop_renderer(struct holder *h)
{
	if (h->renderer <= 0)
		return;
	kill(h->renderer, SIGTERM);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (waitpid(h->renderer, NULL, WNOHANG) == h->renderer) {
			h->renderer = 0;
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill_renderer(h);
}

/* Requests the dead renderer had taken go back to the queue. */
static void resend(struct holder *h)
{
	for (int i = 0; i < LEDGER_CONNS; i++) {
		int r = conn_resend(h->h[i]);

		if (r < 0 && !h->resend_warned) {
			log_msg(LOG_WARNING,
				"the kernel refuses FUSE_NOTIFY_RESEND (%s, Linux >= 6.9 has it): reads in flight when a renderer dies stay blocked",
				strerror(-r));
			h->resend_warned = true;
		}
	}
}

static void report(struct holder *h, const char *msg)
{
	if (h->report >= 0) {
		(void)!write(h->report, msg, strlen(msg));
		close(h->report);
		h->report = -1;
	}
}

/* Before our fds close: a relayed request nobody will answer fails now
 * rather than hang (another daemon may keep the connection open). */
static void relay_stop(struct holder *h)
{
	if (h->relay) {
		(void)fuse_relay_drain(h->relay, 0);
		fuse_relay_free(h->relay);
		h->relay = NULL;
	}
}

static void close_handles(struct holder *h)
{
	relay_stop(h);
	for (int i = 0; i < HANDLES; i++)
		if (h->h[i] >= 0) {
			close(h->h[i]);
			h->h[i] = -1;
		}
}

static void unmount_all(struct holder *h)
{
	(void)umount2(h->sub, MNT_DETACH);
	(void)umount2(h->o->mountpoint, MNT_DETACH);
	close_handles(h);
}

static int start_fresh(struct holder *h, pid_t replace_pid, char *msg, size_t size)
{
	int r;

	h->h[HANDLE_LEDGER] = ledger_create();
	if (h->h[HANDLE_LEDGER] < 0) {
		snprintf(msg, size, "ledger memfd: %s", strerror(-h->h[HANDLE_LEDGER]));
		return -1;
	}
	h->h[CONN_READER] = conn_mount("procview", h->o->mountpoint, FS_READER_OPTS);
	if (h->h[CONN_READER] < 0) {
		snprintf(msg, size, "cannot mount on %s (is /dev/fuse usable?)", h->o->mountpoint);
		return -1;
	}
	if (h->relay && (r = fuse_relay_add(h->relay, CONN_READER, h->h[CONN_READER])) < 0) {
		snprintf(msg, size, "fuse relay: %s", strerror(-r));
		goto fail;
	}
	/* Replacing a daemon without handoff: it is told to go once ours has
	 * healed. */
	r = spawn(h, 0, replace_pid);
	if (r == 0)
		r = wait_for(h, CTL_SERVING, CONN_READER, START_TIMEOUT_MS);
	if (r < 0) {
		snprintf(msg, size, "the renderer did not start: %s", strerror(-r));
		goto fail;
	}
	/* The submount's path is served by the first filesystem, which the
	 * renderer answers now. */
	h->h[CONN_CONTAINERS] = conn_mount("procview-containers", h->sub, FS_CONTAINERS_OPTS);
	if (h->h[CONN_CONTAINERS] < 0) {
		snprintf(msg, size, "cannot mount the per-container tree on %s", h->sub);
		goto fail;
	}
	{
		struct ctl_msg m = { .type = CTL_CONN, .conn = CONN_CONTAINERS, .flags = CTL_HEAL };
		_cleanup_close_ int chan = -1;
		int fd = h->h[CONN_CONTAINERS];

		if (h->relay) {
			r = fuse_relay_add(h->relay, CONN_CONTAINERS, fd);
			fd = chan = r < 0 ? r : fuse_relay_channel(h->relay, CONN_CONTAINERS);
		}
		r = fd < 0 ? fd : fd_send(h->ctl, &m, sizeof(m), &fd, 1);
	}
	if (r == 0)
		r = wait_for(h, CTL_READY, -1, HEAL_TIMEOUT_MS);
	if (r < 0) {
		snprintf(msg, size, "the renderer did not start: %s", strerror(-r));
		goto fail;
	}
	return 0;
fail:
	kill_renderer(h);
	unmount_all(h);
	return -1;
}

/* Handles that already serve containers (handed over, or kept by
 * systemd): a renderer replays their INIT and carries on. */
static int start_adopted(struct holder *h, int flags, char *msg, size_t size)
{
	int r = spawn(h, flags, 0);

	if (r == 0)
		r = wait_for(h, CTL_READY, -1, START_TIMEOUT_MS);
	if (r < 0) {
		snprintf(msg, size, "the renderer did not take over the mounts: %s", strerror(-r));
		kill_renderer(h);
		return -1;
	}
	return 0;
}

static void renderer_died(struct holder *h, int status)
{
	/* Served for how long: a renderer that dies before READY or soon
	 * after counts toward the backoff however slow its start was. */
	int64_t lived = h->ready_ms ? monotonic_ms() - h->ready_ms : 0;
	int64_t delay = 0;

	h->renderer = 0;
	if (h->ctl >= 0) {
		close(h->ctl);
		h->ctl = -1;
	}
	if (conn_dead(h->h[CONN_READER]) || conn_dead(h->h[CONN_CONTAINERS])) {
		h->respawn_at = -1; /* unmounted from outside: shut down */
		return;
	}
	if (!h->resends && !h->relay) {
		/* Closing every handle ends the dead renderer's requests with
		 * ENOTCONN; a restarted daemon heals the containers. */
		log_msg(LOG_ERR, "renderer died and this kernel cannot resend the reads it held "
			"(FUSE_NOTIFY_RESEND needs Linux 6.9): stopping, so that they fail instead of hanging");
		h->lost = true;
		h->respawn_at = -1;
		return;
	}
	if (h->relay) {
		struct fuse_relay_stats st;

		fuse_relay_get_stats(h->relay, &st);
		log_msg(LOG_INFO, "fuse relay: %lu requests, %lu sent again, %lu failed so far",
			st.requests, st.resent, st.failed);
	} else {
		resend(h);
	}
	h->quick_deaths = lived < QUICK_DEATH_MS ? h->quick_deaths + 1 : 0;
	/* The first death restarts at once; a crash loop backs off. */
	if (h->quick_deaths > 1)
		delay = MIN((int64_t)50 << MIN(h->quick_deaths - 2, 8u), BACKOFF_MAX_MS);
	if (WIFSIGNALED(status))
		log_msg(LOG_WARNING, "renderer killed by signal %d after %lld ms serving; restarting in %lld ms",
			WTERMSIG(status), (long long)lived, (long long)delay);
	else
		log_msg(LOG_WARNING, "renderer exited with %d after %lld ms serving; restarting in %lld ms",
			WEXITSTATUS(status), (long long)lived, (long long)delay);
	h->respawn_at = monotonic_ms() + delay;
}

enum { RUN_ON, RUN_STOP, RUN_HANDED_OVER };

static int on_signal(struct holder *h)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	if (read(h->sigfd, &si, sizeof(si)) != sizeof(si))
		return RUN_ON;
	switch (si.ssi_signo) {
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == h->renderer)
				renderer_died(h, status);
		return h->respawn_at < 0 ? RUN_STOP : RUN_ON;
	case SIGUSR1: {
		/* A procviewd without handoff mounted over us and covered every
		 * container: finish what is in flight, leave the mounts. */
		struct timespec grace = { 2, 0 };

		log_msg(LOG_INFO, "replaced by a newer procviewd; exiting");
		nanosleep(&grace, NULL);
		hand_over(h);
		return RUN_HANDED_OVER;
	}
	case SIGHUP:
		return RUN_ON; /* reserved for reload */
	default:
		log_msg(LOG_INFO, "signal %d: unmounting %s", (int)si.ssi_signo, h->o->mountpoint);
		return RUN_STOP;
	}
}

static void on_ctl(struct holder *h)
{
	struct ctl_msg m;
	size_t n;
	int fd;
	ssize_t len = fd_recv(h->ctl, &m, sizeof(m), &fd, 1, &n);

	if (n)
		close(fd);
	if (len <= 0) {
		close(h->ctl); /* SIGCHLD follows */
		h->ctl = -1;
	} else if (len == sizeof(m) && m.type == CTL_READY) {
		h->ready_ms = monotonic_ms();
		pidfile_write(h->o->mountpoint, h->renderer);
		log_msg(LOG_INFO, "renderer pid %d serving", (int)h->renderer);
	}
}

static int loop(struct holder *h)
{
	for (;;) {
		struct pollfd p[3] = { { .fd = h->sigfd, .events = POLLIN },
				       { .fd = h->ctl, .events = POLLIN },
				       { .fd = h->lsock, .events = POLLIN } };
		int timeout = -1, r;

		/* Due or overdue: 0, never -1 ("forever"), or no renderer
		 * would ever come back (seen in check-vm). */
		if (h->respawn_at > 0) {
			int64_t left = h->respawn_at - monotonic_ms();

			timeout = left > 0 ? (int)MIN(left, (int64_t)INT_MAX) : 0;
		}
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			return RUN_STOP;
		if (h->respawn_at > 0 && monotonic_ms() >= h->respawn_at) {
			h->respawn_at = 0;
			r = spawn(h, 0, 0);
			if (r < 0) {
				log_msg(LOG_ERR, "cannot start a renderer: %s", strerror(-r));
				h->respawn_at = monotonic_ms() + BACKOFF_MAX_MS;
			}
			continue; /* the old ctl entry in p[] is stale */
		}
		if (p[0].revents && (r = on_signal(h)) != RUN_ON)
			return r;
		if (h->ctl >= 0 && p[1].revents && p[1].fd == h->ctl)
			on_ctl(h);
		if (h->lsock >= 0 && p[2].revents) {
			r = handoff_serve(h->lsock, h->h, hand_over, h);
			if (r == 1) {
				log_msg(LOG_INFO, "handed over %s; exiting", h->o->mountpoint);
				return RUN_HANDED_OVER;
			}
		}
	}
}

int holder_run(const struct daemon_opts *o, int report_fd, pid_t old_pid, const int *adopted)
{
	struct holder hd = { .o = o, .sigfd = -1, .lsock = -1, .ctl = -1, .report = report_fd };
	struct holder *h = &hd;
	char msg[PATH_MAX + 100], path[4200];
	int handoff = -1, r;
	sigset_t sigs;

	h->resends = kernel_resends();
	for (int i = 0; i < HANDLES; i++)
		h->h[i] = adopted ? adopted[i] : -1;
	{
		size_t n = 0;

		while (o->argv[n])
			n++;
		h->rargv = calloc(n + 1, sizeof(*h->rargv));
		if (!h->rargv) {
			report(h, "out of memory");
			return 1;
		}
		memcpy(h->rargv, o->argv, n * sizeof(*h->rargv));
		h->rargv[0] = (char *)RENDERER_ARGV0;
	}
	snprintf(h->sub, sizeof(h->sub), "%s/containers", o->mountpoint);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (h->sigfd < 0) {
		report(h, "signalfd failed");
		free(h->rargv);
		return 1;
	}

	/* After the signal mask: its thread must not take our SIGCHLD. */
	if (!h->resends && !adopted) {
		r = fuse_relay_new(&h->relay);
		if (r < 0)
			log_msg(LOG_WARNING, "no fuse relay (%s): a renderer's death will unmount",
				strerror(-r));
	}
	/* Before any renderer starts: each gets its channels at spawn. */
	if (o->seccomp_socket)
		h->sc.relay = sc_relay_new();
	if (adopted) {
		/* systemd kept the handles across our restart: the requests
		 * our dead renderer held go back to the queue. */
		if (h->resends)
			resend(h);
		if (o->seccomp_socket)
			holder_sc_listen(&h->sc, o->seccomp_socket, false);
		r = start_adopted(h, 0, msg, sizeof(msg));
		log_msg(LOG_INFO, "took the mounts back from systemd's fd store");
	} else if (old_pid > 0 && (h->resends || h->relay) &&
		   (handoff = handoff_begin(o->mountpoint, h->h)) >= 0) {
		r = 0;
		for (int i = 0; i < LEDGER_CONNS && h->relay && r == 0; i++)
			r = fuse_relay_add(h->relay, i, h->h[i]);
		if (r < 0)
			snprintf(msg, sizeof(msg), "fuse relay: %s", strerror(-r));
		else
			r = start_adopted(h, 0, msg, sizeof(msg));
		/* Our renderer answers now: take the notify fds over while the
		 * old daemon still answers what it has received. */
		if (r == 0 && o->seccomp_socket)
			holder_sc_listen(&h->sc, o->seccomp_socket, true);
		if (r == 0 && handoff_finish(handoff) < 0)
			log_msg(LOG_WARNING, "the old daemon did not confirm the handoff");
		close(handoff);
		if (r < 0)
			close_handles(h); /* the old daemon carries on */
		else if (h->resends)
			resend(h); /* what its renderer held when killed */
		old_pid = 0;
	} else {
		if (old_pid > 0)
			log_msg(LOG_INFO, "pid %d takes no handoff (%s): mounting over it", (int)old_pid,
				h->resends || h->relay ? strerror(-handoff) : "this kernel cannot resend its renderer's reads");
		if (o->seccomp_socket)
			holder_sc_listen(&h->sc, o->seccomp_socket, old_pid > 0);
		r = start_fresh(h, old_pid, msg, sizeof(msg));
	}
	if (r < 0) {
		log_msg(LOG_ERR, "%s", msg);
		report(h, msg);
		holder_sc_stop(&h->sc);
		relay_stop(h);
		free(h->rargv);
		return 1;
	}

	h->ready_ms = monotonic_ms();
	h->lsock = handoff_listen(o->mountpoint);
	if (h->lsock < 0)
		log_msg(LOG_WARNING, "no handoff socket (%s): --replace will remount",
			strerror(-h->lsock));
	pidfile_write(o->mountpoint, h->renderer);
	/* Kept by systemd across our death only where a new holder can
	 * resend what our renderer held. */
	if (h->resends)
		fdstore_push(h->h);
	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%d", (int)getpid());
	notify_systemd(msg);
	log_msg(LOG_INFO, "serving %s (holder pid %d, renderer pid %d)", o->mountpoint,
		(int)getpid(), (int)h->renderer);
	report(h, "ok");

	r = loop(h);
	free(h->rargv);
	holder_sc_stop(&h->sc);
	if (r == RUN_HANDED_OVER) {
		relay_stop(h); /* drained already: nothing of ours is in flight */
		return 0; /* the mounts, pid file and socket are the new daemon's */
	}
	stop_renderer(h);
	fdstore_drop();
	unmount_all(h);
	{
		struct daemon_info info;

		if (pidfile_read(o->mountpoint, &info) == 0 && info.pid == getpid() &&
		    sockfile_path(o->mountpoint, path, sizeof(path)) == 0)
			unlink(path);
	}
	pidfile_remove(o->mountpoint);
	close(h->sigfd);
	if (h->lsock >= 0)
		close(h->lsock);
	return h->lost ? 1 : 0;
}
