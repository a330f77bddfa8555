/* The renderer: everything that reads /proc and cgroups, renders views and
 * answers FUSE, in a process the holder can lose. Exec'd by the holder
 * (a fresh image: no lock a holder thread held at fork time), it serves
 * the connections the holder hands it, and dies with the holder. */
#define FUSE_USE_VERSION 312
#include "conn.h"
#include "split.h"
#include "fdpass.h"
#include "fs.h"
#include "heal.h"
#include "log.h"
#include "resolve.h"
#include "sampler.h"
#include "slots.h"
#include "sysinfo.h"
#include "util.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

int renderer_start_parse(const char *text, struct renderer_start *rs)
{
	int holder, n = 0;

	_Static_assert(SC_RELAY_CHANNELS == 4, "the format below names four channels");
	if (!text || sscanf(text, "%d %d %d %d %d %d %d %d %d %d %d%n", &holder, &rs->ctl,
			    &rs->ledger, &rs->conn[0], &rs->conn[1], &rs->flags, &rs->replace_pid,
			    &rs->sc[0], &rs->sc[1], &rs->sc[2], &rs->sc[3], &n) != 11 ||
	    text[n] != '\0' || holder <= 0 || rs->ctl < 0 || rs->ledger < 0)
		return -EINVAL;
	rs->holder = holder;
	return 0;
}

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

struct sc_worker {
	struct sc_sysinfo *ans;
	int chan;
};

/* One thread per channel: the holder's listener threads each use one, so
 * one container's answer never waits on another's. */
static void *sc_worker_main(void *arg)
{
	struct sc_worker *w = arg;

	sc_sysinfo_serve(w->ans, w->chan);
	/* The holder closed the channel: it is gone, or replaced us. */
	_exit(0);
	return NULL;
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

void renderer_main(const struct daemon_opts *o, const struct renderer_start *rs)
{
	static const char *const fsnames[LEDGER_CONNS] = { "procview", "procview-containers" };
	/* Static: the process ends by _exit or a signal, never by returning. */
	static struct view_ctx ctx;
	static struct view_stats vstats;
	static struct sampler smp;
	static struct sc_sysinfo sc_ans;
	static struct loop loops[LEDGER_CONNS];
	struct resolver *resolver = NULL;
	struct fs_opts fo;
	int conn[LEDGER_CONNS], serving = 0, flags = rs->flags, r;
	sigset_t none;

	/* Die with the holder; it may already be gone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != rs->holder)
		_exit(1);
	(void)prctl(PR_SET_NAME, "pv-renderer");
	/* The holder takes its signals through a signalfd; we take the
	 * default actions (SIGTERM ends us at once). */
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* One malloc arena per FUSE worker thread would cost megabytes of RSS
	 * for nothing: requests are short and allocate little. */
	mallopt(M_ARENA_MAX, 2);
	/* libfuse gives each worker thread a 1 MiB buffer, and threads come
	 * and go with the load. A fixed threshold keeps those buffers mmapped
	 * and returned on a thread's exit (glibc would otherwise raise it
	 * after the first free and carve them from an arena). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	r = ledger_attach(rs->ledger);
	if (r < 0)
		fail("the holder's ledger", -r);
	close(rs->ledger); /* mapped: the holder keeps the memfd */
	r = slots_adopt_ledger();
	if (r < 0)
		fail("the ledger's slots", -r);
	ctx.proc_fd = open(o->proc_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ctx.sys_fd = open(o->sys_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx.proc_fd < 0 || ctx.sys_fd < 0)
		fail("--proc-root/--sys-root", errno);
	r = cg_root_open(o->cgroup_root, &ctx.cg);
	if (r < 0)
		fail("--cgroup-root", -r);
	ctx.cpu_quota = o->cpu_quota;
	ctx.loadavg = o->loadavg;
	ctx.stats = &vstats;
	if (resolver_new(&ctx, &resolver) < 0)
		fail("resolver", ENOMEM);
	fo = (struct fs_opts){ .ctx = &ctx, .resolver = resolver, .staleness_ms = o->staleness_ms };
	loops[CONN_READER].se = fs_reader_new(&fo, fsnames[CONN_READER]);
	loops[CONN_CONTAINERS].se = fs_containers_new(&fo, fsnames[CONN_CONTAINERS]);
	if (!loops[0].se || !loops[1].se)
		fail("FUSE sessions", ENOMEM);
	/* The holder holds the notify fds and sends us what to answer;
	 * requests wait in the channels until these threads run. */
	if (rs->sc[0] >= 0) {
		static struct sc_worker workers[SC_RELAY_CHANNELS];

		sc_sysinfo_init(&sc_ans, &ctx, resolver, o->staleness_ms);
		for (int i = 0; i < SC_RELAY_CHANNELS; i++) {
			pthread_t t;

			workers[i] = (struct sc_worker){ &sc_ans, rs->sc[i] };
			if (rs->sc[i] >= 0 && pthread_create(&t, NULL, sc_worker_main, &workers[i]))
				fail("threads", EAGAIN);
		}
	}

	/* Not passed on by an exec (the holder cleared CLOEXEC for ours).
	 * Heal workers are forked and do inherit them: the holder never
	 * waits for EOF on a channel, it replaces it after our death. */
	for (int i = 0; i < LEDGER_CONNS; i++) {
		conn[i] = rs->conn[i];
		if (conn[i] >= 0)
			(void)fcntl(conn[i], F_SETFD, FD_CLOEXEC);
	}
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
			flags |= m.flags & CTL_HEAL;
		}
	}
	r = sampler_start(&smp, &ctx, resolver);
	if (r < 0)
		fail("the sampler thread", -r);
	(void)ctl_send(rs->ctl, CTL_READY, 0, 0);
	log_msg(LOG_INFO, "renderer pid %d serving %s (cgroup layout %s)", (int)getpid(),
		o->mountpoint,
		cg_root_layout(ctx.cg) == CG_LAYOUT_V2       ? "v2"
		: cg_root_layout(ctx.cg) == CG_LAYOUT_HYBRID ? "hybrid"
							     : "v1");
	/* After READY, on its own thread: every container's mounts may be
	 * hung, and neither readiness nor SIGTERM waits for them. After a
	 * crash of the whole daemon their mounts point at a dead connection
	 * until healed; a renderer's restart needs none of it. */
	if (flags & CTL_HEAL) {
		r = heal_start(o->mountpoint, o->record_dir, HEAL_TIMEOUT_MS, rs->replace_pid);
		if (r < 0)
			log_msg(LOG_ERR, "cannot start healing: %s", strerror(-r));
	}
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
