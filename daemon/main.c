/* procviewd: the shared FUSE daemon. Parses options, clears a stale
 * mount, mounts the per-reader and per-container filesystems, and runs
 * the load-average sampler until told to stop. */
#define FUSE_USE_VERSION 312
#include "fs.h"
#include "handoff.h"
#include "heal.h"
#include "listener.h"
#include "log.h"
#include "mountpoint.h"
#include "procfs.h"
#include "resolve.h"
#include "record.h"
#include "runstate.h"
#include "sampler.h"
#include "sysinfo.h"
#include "util.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define DEFAULT_MOUNTPOINT "/var/lib/procview"
#define DEFAULT_SECCOMP_SOCKET "/run/procview/seccomp.sock"
#define SECCOMP_THREADS 4

struct options {
	bool foreground;
	const char *cgroup_root, *proc_root, *sys_root;
	const char *mountpoint;
	const char *record_dir;
	const char *seccomp_socket; /* NULL: --no-seccomp */
	bool cpu_quota, loadavg, replace;
	unsigned staleness_ms;
	int log_level;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: procviewd [OPTIONS] [MOUNTPOINT]\n"
		"Serve /proc and /sys CPU views for containers from their cgroups.\n"
		"MOUNTPOINT defaults to " DEFAULT_MOUNTPOINT ".\n\n"
		"  -f, --foreground       stay in the foreground, log to stderr too\n"
		"      --cgroup-root DIR  cgroup tree to read (default /sys/fs/cgroup)\n"
		"      --proc-root DIR    host /proc to read (default /proc)\n"
		"      --sys-root DIR     host /sys to read (default /sys)\n"
		"      --no-cpu-quota     count CPUs from the cpuset only, ignore CFS quota\n"
		"      --no-loadavg       show the host's loadavg instead of the container's\n"
		"      --staleness MS     per-container files may lag by this much (default 100)\n"
		"      --log-level LEVEL  error, warning, info (default) or debug\n"
		"      --record-dir DIR   container records to heal (default " RECORD_DIR ")\n"
		"      --seccomp-socket PATH  answer sysinfo(2) for containers whose seccomp\n"
		"                         profile names PATH as listenerPath\n"
		"                         (default " DEFAULT_SECCOMP_SOCKET ")\n"
		"      --no-seccomp       do not listen for seccomp notify fds\n"
		"      --replace          take over from a running procviewd on MOUNTPOINT\n"
		"                         without a gap (live upgrade), then it exits\n"
		"  -h, --help             show this help\n"
		"  -V, --version          show the version\n");
}

static void __attribute__((format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "procviewd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	enum { O_CG = 256, O_PROC, O_SYS, O_NOQUOTA, O_NOLOAD, O_STALE, O_LOG, O_REPLACE, O_RECDIR,
	       O_SECCOMP, O_NOSECCOMP };
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "cgroup-root", required_argument, NULL, O_CG },
		{ "proc-root", required_argument, NULL, O_PROC },
		{ "sys-root", required_argument, NULL, O_SYS },
		{ "no-cpu-quota", no_argument, NULL, O_NOQUOTA },
		{ "no-loadavg", no_argument, NULL, O_NOLOAD },
		{ "staleness", required_argument, NULL, O_STALE },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "replace", no_argument, NULL, O_REPLACE },
		{ "record-dir", required_argument, NULL, O_RECDIR },
		{ "seccomp-socket", required_argument, NULL, O_SECCOMP },
		{ "no-seccomp", no_argument, NULL, O_NOSECCOMP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int c;

	*o = (struct options){ .cgroup_root = "/sys/fs/cgroup", .proc_root = "/proc",
			       .sys_root = "/sys", .mountpoint = DEFAULT_MOUNTPOINT,
			       .record_dir = RECORD_DIR,
			       .seccomp_socket = DEFAULT_SECCOMP_SOCKET,
			       .cpu_quota = true, .loadavg = true, .staleness_ms = 100,
			       .log_level = LOG_INFO };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case O_CG:
			o->cgroup_root = optarg;
			break;
		case O_PROC:
			o->proc_root = optarg;
			break;
		case O_SYS:
			o->sys_root = optarg;
			break;
		case O_NOQUOTA:
			o->cpu_quota = false;
			break;
		case O_NOLOAD:
			o->loadavg = false;
			break;
		case O_STALE: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || v < 1 || v > 60000)
				die_usage("--staleness wants 1..60000 ms, got '%s'", optarg);
			o->staleness_ms = (unsigned)v;
			break;
		}
		case O_LOG:
			o->log_level = log_level_parse(optarg);
			if (o->log_level < 0)
				die_usage("unknown log level '%s'", optarg);
			break;
		case O_REPLACE:
			o->replace = true;
			break;
		case O_RECDIR:
			if (optarg[0] != '/')
				die_usage("--record-dir '%s' must be an absolute path", optarg);
			o->record_dir = optarg;
			break;
		case O_SECCOMP:
			if (optarg[0] != '/')
				die_usage("--seccomp-socket '%s' must be an absolute path", optarg);
			o->seccomp_socket = optarg;
			break;
		case O_NOSECCOMP:
			o->seccomp_socket = NULL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("procviewd %s\n", PROCVIEW_VERSION);
			exit(0);
		case ':':
			die_usage("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->mountpoint = argv[optind++];
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!(o->mountpoint = mountpoint_normalized(o->mountpoint)))
		die_usage("the mountpoint must be an absolute path without '..'");
}

static int open_root(const char *what, const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "procviewd: %s %s: %s\n", what, path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* mkdir -p of path's parents (path itself is left to the caller). */
static void mkdir_parents(const char *path)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return;
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(tmp, 0755);
			*p = '/';
		}
}

/* Create the mountpoint if missing; refuse anything but a directory.
 * Returns the pid of a live daemon to replace, or 0. */
static pid_t prepare_mountpoint(const char *mnt, bool replace)
{
	struct stat st;

	if (mnt[0] != '/')
		die_usage("mountpoint '%s' must be an absolute path", mnt);
	if (mountpoint_is_procview(mnt)) {
		int r = mountpoint_answers(mnt, 2000);

		if (r == 0 && replace) {
			struct daemon_info old;

			if (pidfile_read(mnt, &old) < 0 || kill(old.pid, 0) < 0) {
				fprintf(stderr, "procviewd: --replace: no pid file for the daemon on %s\n", mnt);
				mountpoint_exit(1);
			}
			return old.pid;
		}
		if (r == 0) {
			fprintf(stderr, "procviewd: %s is already served by a running procviewd\n", mnt);
			mountpoint_exit(1);
		}
		/* Only a mount that is definitely dead is cleared: a slow or
		 * stopped daemon still owns its containers' files. */
		if (r != -ENOTCONN) {
			fprintf(stderr, "procviewd: the procview mount on %s does not answer (%s) but is not dead; "
				"refusing to clear it (stop or kill its daemon first)\n", mnt,
				r == -ETIMEDOUT ? "no answer within 2 s" : strerror(-r));
			mountpoint_exit(1);
		}
		if (mountpoint_clear_stale(mnt) < 0) {
			fprintf(stderr, "procviewd: cannot clear the stale mount on %s: %s\n", mnt,
				strerror(errno));
			mountpoint_exit(1);
		}
		log_msg(LOG_NOTICE, "cleared a stale mount on %s", mnt);
	}
	if (stat(mnt, &st) < 0) {
		if (errno != ENOENT || strlen(mnt) >= PATH_MAX)
			goto bad;
		mkdir_parents(mnt);
		if (mkdir(mnt, 0755) < 0 && errno != EEXIST)
			goto bad;
		if (stat(mnt, &st) < 0)
			goto bad;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "procviewd: mountpoint %s: %s\n", mnt, strerror(errno));
	exit(2);
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
	}
	fuse_session_loop_mt(l->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	/* Unmounted from outside: bring the whole daemon down. */
	kill(getpid(), SIGTERM);
	return NULL;
}

static int loop_start(struct loop *l)
{
	int r = pthread_create(&l->thread, NULL, loop_main, l);

	l->running = r == 0;
	return -r;
}

/* Each container and each exec brings a notify fd: allow as many as the
 * hard limit does. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Listen for runtimes' notify fds. Replacing a daemon: take its socket
 * and fds over first, so no container ever loses its listener. */
static int seccomp_start(const struct options *o, bool replacing, struct sc_sysinfo *ans,
			 struct sc_listener **out)
{
	struct sc_held_fd *held = NULL;
	size_t nheld = 0;
	int lfd = -1, r;

	mkdir_parents(o->seccomp_socket);
	if (replacing) {
		r = sc_handoff_request(o->seccomp_socket, &lfd, &held, &nheld);
		if (r < 0)
			log_msg(LOG_WARNING, "seccomp: no handoff from the old daemon (%s); binding anew",
				strerror(-r));
		else
			log_msg(LOG_INFO, "seccomp: took over the socket and %zu notify fds", nheld);
	}
	r = sc_listener_new(o->seccomp_socket, lfd, held, nheld, sc_sysinfo_answer, ans,
			    SECCOMP_THREADS, out);
	sc_held_free(held, nheld); /* the fds themselves now belong to the listener */
	if (r == 0)
		r = sc_listener_start(*out);
	return r;
}

/* Fork; the parent waits for the child's verdict on the pipe. */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char msg[512];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("procviewd: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("procviewd: fork");
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		return p[1];
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	if (n > 0 && msg[0] == 'o')
		exit(0);
	if (n > 0) {
		msg[n] = '\0';
		fprintf(stderr, "procviewd: %s\n", msg);
	} else {
		int status;

		waitpid(pid, &status, 0);
		fprintf(stderr, "procviewd: the daemon exited before its mount answered\n");
	}
	exit(1);
}

static void report(int fd, const char *msg)
{
	if (fd >= 0) {
		(void)!write(fd, msg, strlen(msg));
		close(fd);
	}
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct view_ctx ctx = { 0 };
	struct resolver *resolver = NULL;
	struct fs_opts fo;
	struct loop la = { 0 }, lb = { 0 };
	struct view_stats vstats = { 0 };
	struct sampler smp;
	struct sc_sysinfo sc_ans = { 0 };
	struct sc_listener *sc = NULL;
	char sub[PATH_MAX], msg[PATH_MAX + 100];
	sigset_t sigs;
	int notify = -1, sig, r;
	pid_t old_pid;

	parse_args(argc, argv, &o);
	/* One malloc arena per FUSE worker thread would cost megabytes of RSS
	 * for nothing: requests are short and allocate little. */
	mallopt(M_ARENA_MAX, 2);
	log_open("procviewd", true, o.log_level);
	ctx.proc_fd = open_root("--proc-root", o.proc_root);
	ctx.sys_fd = open_root("--sys-root", o.sys_root);
	r = cg_root_open(o.cgroup_root, &ctx.cg);
	if (r < 0) {
		fprintf(stderr, "procviewd: --cgroup-root %s: %s\n", o.cgroup_root, strerror(-r));
		return 2;
	}
	ctx.cpu_quota = o.cpu_quota;
	ctx.loadavg = o.loadavg;
	ctx.stats = &vstats;
	old_pid = prepare_mountpoint(o.mountpoint, o.replace);
	if (snprintf(sub, sizeof(sub), "%s/containers", o.mountpoint) >= (int)sizeof(sub))
		die_usage("mountpoint '%s' is too long", o.mountpoint);

	if (!o.foreground)
		notify = daemonize();
	log_set_stderr(o.foreground);

	/* Signals are taken synchronously by main; every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (resolver_new(&ctx, &resolver) < 0) {
		report(notify, "out of memory");
		return 1;
	}
	fo = (struct fs_opts){ .ctx = &ctx, .resolver = resolver, .staleness_ms = o.staleness_ms };
	/* Before the mount answers: runc connects to the socket right after
	 * the hook, which waits for the mount, returns. */
	if (o.seccomp_socket) {
		raise_nofile();
		sc_sysinfo_init(&sc_ans, &ctx, resolver, o.staleness_ms);
		r = seccomp_start(&o, old_pid > 0, &sc_ans, &sc);
		/* The files still serve without it: never fatal. */
		if (r == -EADDRINUSE)
			log_msg(LOG_WARNING, "seccomp: another daemon listens on %s; sysinfo not answered here",
				o.seccomp_socket);
		else if (r < 0)
			log_msg(LOG_WARNING, "seccomp: cannot listen on %s: %s; sysinfo not answered",
				o.seccomp_socket, strerror(-r));
		if (r < 0)
			sc = NULL;
	}
	la.se = fs_reader_new(&fo, "procview");
	lb.se = fs_containers_new(&fo, "procview-containers");
	if (!la.se || !lb.se) {
		report(notify, "cannot create the FUSE sessions");
		return 1;
	}
	if (fuse_session_mount(la.se, o.mountpoint) != 0) {
		snprintf(msg, sizeof(msg), "cannot mount on %s (is /dev/fuse usable?)", o.mountpoint);
		report(notify, msg);
		return 1;
	}
	/* The submount's path is served by the first filesystem: its loop
	 * must run before we mount over containers/. */
	if (loop_start(&la) < 0 || fuse_session_mount(lb.se, sub) != 0 || loop_start(&lb) < 0) {
		snprintf(msg, sizeof(msg), "cannot mount the per-container tree on %s", sub);
		report(notify, msg);
		fuse_session_unmount(la.se);
		return 1;
	}
	r = sampler_start(&smp, &ctx, resolver);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot start the sampler thread: %s", strerror(-r));
		report(notify, msg);
		return 1;
	}
	r = pidfile_write(o.mountpoint);
	if (r < 0)
		log_msg(LOG_WARNING, "pid file for %s: %s (procview status and --replace will not find this daemon)",
			o.mountpoint, strerror(-r));
	{
		char n[64];

		snprintf(n, sizeof(n), "READY=1\nMAINPID=%d", (int)getpid());
		notify_systemd(n);
	}
	/* After READY, on its own thread: every container's mounts may be
	 * hung, and neither readiness nor SIGTERM waits for them. After a
	 * crash their mounts point at a dead connection until healed. */
	r = heal_start(o.mountpoint, o.record_dir, HEAL_TIMEOUT_MS, old_pid);
	if (r < 0)
		log_msg(LOG_ERR, "cannot start healing: %s", strerror(-r));
	log_msg(LOG_INFO, "serving %s (cgroup layout %s, pid %d)", o.mountpoint,
		cg_root_layout(ctx.cg) == CG_LAYOUT_V2       ? "v2"
		: cg_root_layout(ctx.cg) == CG_LAYOUT_HYBRID ? "hybrid"
							     : "v1",
		(int)getpid());
	if (notify >= 0) {
		detach_stdio();
		report(notify, "ok");
	}

	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		; /* reserved for reload */
	if (sig == SIGUSR1) {
		/* Replaced: a newer daemon's mounts cover ours everywhere. Serve
		 * whatever is still in flight, then leave without unmounting (our
		 * mountpoint path now names the new daemon's mount). */
		struct timespec grace = { 2, 0 };

		log_msg(LOG_INFO, "replaced by a newer procviewd; exiting");
		nanosleep(&grace, NULL);
		_exit(0);
	}
	log_msg(LOG_INFO, "signal %d: unmounting %s", sig, o.mountpoint);
	pidfile_remove(o.mountpoint);

	heal_cancel();
	sampler_stop(&smp);

	if (sc) {
		/* Closing the notify fds: the kernel answers ENOSYS to those
		 * containers' sysinfo from now on (its rule for a gone listener). */
		sc_listener_free(sc);
		sc_sysinfo_fini(&sc_ans);
	}
	fuse_session_exit(lb.se);
	fuse_session_exit(la.se);
	fuse_session_unmount(lb.se);
	fuse_session_unmount(la.se);
	if (lb.running)
		pthread_join(lb.thread, NULL);
	if (la.running)
		pthread_join(la.thread, NULL);
	fuse_session_destroy(lb.se);
	fuse_session_destroy(la.se);
	resolver_free(resolver);
	cg_root_free(ctx.cg);
	free((char *)o.mountpoint); /* mountpoint_normalized's copy */
	return 0;
}
