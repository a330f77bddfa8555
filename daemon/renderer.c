/* The renderer: everything that reads /proc and cgroups, renders views and
 * answers FUSE, in a process the holder can lose. It serves the
 * connections the holder hands it, and dies with the holder. */
#define FUSE_USE_VERSION 312
#include "conn.h"
#include "daemon.h"
#include "fs.h"
#include "handoff.h"
#include "heal.h"
#include "log.h"
#include "resolve.h"
#include "util.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

struct loop {
	struct fuse_session *se;
	pthread_t thread;
	bool running;
};

static void *loop_main(void *arg)
{
	struct loop *l = arg;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();

	if (cfg) {
		fuse_loop_cfg_set_max_threads(cfg, 16);
		fuse_loop_cfg_set_idle_threads(cfg, 4);
		/* Read from the holder's file itself, never a clone: a clone's
		 * requests die with it (ECONNABORTED), the shared one's wait
		 * for the next renderer. */
		fuse_loop_cfg_set_clone_fd(cfg, 0);
	}
	fuse_session_loop_mt(l->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	/* The connection ended (unmounted from outside): the holder sees it
	 * too and shuts down. */
	_exit(0);
	return NULL;
}

struct sampler {
	const struct view_ctx *ctx;
	struct resolver *resolver;
};

static void sample_one(struct container *c, void *data)
{
	view_sample_load(data, c);
}

/* Every 5 s, like the kernel: sample only containers read recently so
 * an idle host costs nothing. */
static void *sampler_main(void *arg)
{
	struct sampler *s = arg;

	for (;;) {
		struct timespec ts = { 5, 0 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		resolver_sweep(s->resolver, 10 * 60 * 1000,
			       s->ctx->loadavg ? sample_one : NULL, (void *)s->ctx);
		fs_containers_sweep(s->ctx->loadavg ? sample_one : NULL, (void *)s->ctx);
	}
	return NULL;
}

/* ps shows "procviewd-renderer MOUNTPOINT": the holder keeps the command
 * line, so scripts that find the daemon by it find one process. */
static void set_title(const struct daemon_opts *o, const char *mnt)
{
	char title[256], *start, *end;
	size_t room;

	(void)prctl(PR_SET_NAME, "pv-renderer");
	if (!o->argv || !o->argv[0])
		return;
	start = o->argv[0];
	end = start;
	for (char **a = o->argv; *a; a++)
		if (*a >= end)
			end = *a + strlen(*a) + 1;
	room = (size_t)(end - start);
	/* The mountpoint string lives in the area being overwritten. */
	snprintf(title, sizeof(title), "procviewd-renderer %s", mnt);
	memset(start, 0, room);
	memcpy(start, title, MIN(room - 1, strlen(title)));
}

static int ctl_send(int ctl, int type, int conn, int err)
{
	struct ctl_msg m = { .type = type, .conn = conn, .err = err };

	return fd_send(ctl, &m, sizeof(m), NULL, 0);
}

static __attribute__((noreturn)) void fail(const char *what, int err)
{
	log_msg(LOG_ERR, "renderer: %s: %s", what, strerror(err));
	_exit(3);
}

void renderer_main(const struct daemon_opts *opts, const struct renderer_start *rs)
{
	/* Options point into argv, which set_title() overwrites. */
	struct daemon_opts copy = *opts;
	const struct daemon_opts *o = &copy;
	static const char *const fsnames[LEDGER_CONNS] = { "procview", "procview-containers" };
	static struct view_ctx ctx;
	static struct sampler smp;
	static struct loop loops[LEDGER_CONNS];
	struct resolver *resolver = NULL;
	struct fs_opts fo;
	int conn[LEDGER_CONNS], serving = 0, r;
	bool heal = rs->heal;
	sigset_t none;
	pthread_t t;

	/* Die with the holder; it may already be gone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != rs->holder)
		_exit(1);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	copy.mountpoint = strdup(opts->mountpoint);
	copy.cgroup_root = strdup(opts->cgroup_root);
	copy.proc_root = strdup(opts->proc_root);
	copy.sys_root = strdup(opts->sys_root);
	if (!copy.mountpoint || !copy.cgroup_root || !copy.proc_root || !copy.sys_root)
		fail("options", ENOMEM);
	set_title(opts, copy.mountpoint);
	/* One malloc arena per FUSE worker thread would cost megabytes of RSS
	 * for nothing: requests are short and allocate little. */
	mallopt(M_ARENA_MAX, 2);

	r = ledger_attach(rs->ledger);
	if (r < 0)
		fail("the holder's ledger", -r);
	ctx.proc_fd = open(o->proc_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ctx.sys_fd = open(o->sys_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx.proc_fd < 0 || ctx.sys_fd < 0)
		fail("--proc-root/--sys-root", errno);
	r = cg_root_open(o->cgroup_root, &ctx.cg);
	if (r < 0)
		fail("--cgroup-root", -r);
	ctx.cpu_quota = o->cpu_quota;
	ctx.loadavg = o->loadavg;
	if (resolver_new(&ctx, &resolver) < 0)
		fail("resolver", ENOMEM);
	fo = (struct fs_opts){ .ctx = &ctx, .resolver = resolver, .staleness_ms = o->staleness_ms };
	loops[CONN_READER].se = fs_reader_new(&fo, fsnames[CONN_READER]);
	loops[CONN_CONTAINERS].se = fs_containers_new(&fo, fsnames[CONN_CONTAINERS]);
	if (!loops[0].se || !loops[1].se)
		fail("FUSE sessions", ENOMEM);

	for (int i = 0; i < LEDGER_CONNS; i++)
		conn[i] = rs->conn[i];
	while (serving < LEDGER_CONNS) {
		for (int i = 0; i < LEDGER_CONNS; i++) {
			if (conn[i] < 0 || loops[i].running)
				continue;
			r = conn_adopt(loops[i].se, conn[i], i);
			if (r < 0)
				fail(fsnames[i], -r);
			if (pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]) != 0)
				fail("threads", EAGAIN);
			loops[i].running = true;
			serving++;
			(void)ctl_send(rs->ctl, CTL_SERVING, i, 0);
		}
		if (serving < LEDGER_CONNS) {
			/* The containers tree is mounted through the reader
			 * tree we now serve, so its fd comes later. */
			struct ctl_msg m;
			int fd = -1;
			size_t n;
			ssize_t len = fd_recv(rs->ctl, &m, sizeof(m), &fd, 1, &n);

			if (len <= 0)
				_exit(1); /* the holder is gone */
			if (len != sizeof(m) || m.type != CTL_CONN || n != 1 || m.conn < 0 ||
			    m.conn >= LEDGER_CONNS || conn[m.conn] >= 0) {
				if (n)
					close(fd);
				continue;
			}
			conn[m.conn] = fd;
			heal |= m.flags & CTL_HEAL;
		}
	}
	smp = (struct sampler){ .ctx = &ctx, .resolver = resolver };
	pthread_create(&t, NULL, sampler_main, &smp);
	/* After a crash of the whole daemon the containers' mounts point at
	 * a dead connection: re-attach every recorded one. */
	if (heal) {
		struct heal_stats hs = { 0 };

		heal_all(o->mountpoint, &hs);
		if (hs.attached || hs.failed || hs.forgotten)
			log_msg(LOG_INFO,
				"healed %u containers (%u files), %u failed, %u records of dead containers removed",
				hs.containers, hs.attached, hs.failed, hs.forgotten);
	}
	(void)ctl_send(rs->ctl, CTL_READY, 0, 0);
	for (;;) {
		struct ctl_msg m;
		int fd;
		size_t n;
		ssize_t len = fd_recv(rs->ctl, &m, sizeof(m), &fd, 1, &n);

		if (len <= 0)
			_exit(1);
		if (n)
			close(fd);
	}
}
