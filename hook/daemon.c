#include "daemon.h"
#include "log.h"
#include "mountpoint.h"
#include "sha256.h"
#include "util.h"
#include "syscalls.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#define CGROUP_MAGIC 0x27e0eb
#define CGROUP2_MAGIC 0x63677270

/* What a daemon started outside systemd gets instead of the runtime's
 * environment (which may hold NOTIFY_SOCKET, LD_PRELOAD, a container's
 * proxy settings...). */
static char *const daemon_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LC_ALL=C",
	NULL,
};

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();

	return l <= 0 ? 0 : l > 60000 ? 60000 : (int)l;
}

/* Sleep ms, but never past the deadline. */
static void nap(int ms, int64_t deadline)
{
	int l = MIN(ms, left_ms(deadline));
	struct timespec ts = { l / 1000, (long)(l % 1000) * 1000000 };

	if (l > 0)
		nanosleep(&ts, NULL);
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Reap a child we own, waiting at most ms (a child stuck in D state
 * after SIGKILL is left behind rather than waited for). */
static int reap(pid_t pid, int ms, int *status)
{
	_cleanup_close_ int pfd = pidfd_open(pid);
	int64_t end = now_ms() + ms;

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		if (pfd >= 0) {
			struct pollfd p = { pfd, POLLIN, 0 };

			(void)poll(&p, 1, left_ms(end));
		} else {
			nap(5, end);
		}
	}
}

static int write_str_at(int dirfd, const char *name, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(s);

	if (fd < 0)
		return -errno;
	return write(fd, s, n) == (ssize_t)n ? 0 : -errno;
}

/* A new v1 cpuset starts empty; it needs its parent's cpus and mems. */
static void cpuset_inherit(int parent, int child)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_close_ int fd = openat(parent, files[i], O_RDONLY | O_CLOEXEC);
		char buf[4096];
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		(void)write_str_at(child, files[i], buf);
	}
}

static int join_cgroup(int parent, const char *name, const char *pidstr)
{
	_cleanup_close_ int child = -1;

	if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	child = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (child < 0)
		return -errno;
	if (faccessat(parent, "cpuset.cpus", F_OK, 0) == 0)
		cpuset_inherit(parent, child);
	return write_str_at(child, "cgroup.procs", pidstr);
}

int daemon_own_cgroup(const char *cgroot, pid_t pid, char *what, size_t what_size)
{
	_cleanup_close_ int rootfd = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char pidstr[16];
	struct statfs sfs;
	DIR *d;
	struct dirent *de;
	int first = 0;

	snprintf(what, what_size, "%s", cgroot);
	if (rootfd < 0 || fstatfs(rootfd, &sfs) < 0)
		return -errno;
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	if ((unsigned long)sfs.f_type == CGROUP2_MAGIC)
		return join_cgroup(rootfd, DAEMON_UNIT, pidstr);
	/* v1 or hybrid: a tmpfs of hierarchies. Symlinks (cpu -> cpu,cpuacct)
	 * are skipped; their hierarchy is also there under its real name. */
	d = fdopendir(dup(rootfd));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		_cleanup_close_ int h = -1;
		int r = 0;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		h = openat(rootfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (h < 0 || fstatfs(h, &sfs) < 0)
			continue;
		if ((unsigned long)sfs.f_type == CGROUP_MAGIC)
			r = join_cgroup(h, "procview", pidstr);
		else if ((unsigned long)sfs.f_type == CGROUP2_MAGIC)
			r = join_cgroup(h, DAEMON_UNIT, pidstr);
		if (r < 0 && first == 0) {
			first = r;
			snprintf(what, what_size, "%s/%s", cgroot, de->d_name);
		}
	}
	closedir(d);
	return first;
}

static void close_from(int lowfd)
{
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

/* A line to the hook over the spawn pipe (fd 3): 'W' warning, 'E' errno. */
static void __attribute__((format(printf, 2, 3))) tell(char kind, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	line[0] = kind;
	va_start(ap, fmt);
	n = vsnprintf(line + 1, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = MIN(n + 1, (int)sizeof(line) - 1);
	line[n++] = '\n';
	(void)!write(3, line, (size_t)n); /* one write below PIPE_BUF: atomic */
}

/* Fixed limits instead of the runtime's (a container's --ulimit, a pod's
 * small nofile): what systemd gives a service by default, and more files.
 * What could not be set is appended to note. */
static void reset_rlimits(char *note, size_t size)
{
	static const struct {
		int res;
		const char *name;
		rlim_t soft, hard;
	} lim[] = {
		{ RLIMIT_NOFILE, "nofile", 65536, 65536 },
		{ RLIMIT_NPROC, "nproc", RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_CORE, "core", 0, RLIM_INFINITY },
		{ RLIMIT_STACK, "stack", 8u << 20, RLIM_INFINITY },
		{ RLIMIT_MEMLOCK, "memlock", 8u << 20, 8u << 20 },
		{ RLIMIT_CPU, "cpu", RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_FSIZE, "fsize", RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_DATA, "data", RLIM_INFINITY, RLIM_INFINITY },
		{ RLIMIT_AS, "as", RLIM_INFINITY, RLIM_INFINITY },
	};

	for (size_t i = 0; i < ARRAY_SIZE(lim); i++) {
		struct rlimit want = { lim[i].soft, lim[i].hard }, cur;
		size_t used = strlen(note);
		int e;

		if (setrlimit(lim[i].res, &want) == 0)
			continue;
		e = errno;
		/* Raising a hard limit needs CAP_SYS_RESOURCE: settle for the
		 * soft limit at the hard one we have. */
		if (getrlimit(lim[i].res, &cur) == 0) {
			want.rlim_max = cur.rlim_max;
			if (want.rlim_cur > cur.rlim_max)
				want.rlim_cur = cur.rlim_max;
			if (setrlimit(lim[i].res, &want) == 0 && want.rlim_cur == lim[i].soft)
				continue;
		}
		snprintf(note + used, size - used, "%srlimit %s %llu (%s)", used ? ", " : "",
			 lim[i].name, (unsigned long long)want.rlim_cur, strerror(e));
	}
}

/* The unit says OOMScoreAdjust=-1000; a daemon inheriting a BestEffort
 * pod's +1000 would be the OOM killer's first pick. */
static void reset_oom_score(char *note, size_t size)
{
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	size_t used = strlen(note);
	char cur[16] = "?";
	ssize_t n;
	int e;

	if (fd >= 0 && write(fd, "-1000", 5) == 5)
		return;
	e = errno;
	/* Lowering needs CAP_SYS_RESOURCE; 0 at least undoes a raised one. */
	if (fd >= 0)
		(void)!write(fd, "0", 1);
	fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, cur, sizeof(cur) - 1)) > 0)
		cur[strcspn(cur, "\n")] = '\0';
	snprintf(note + used, size - used, "%soom_score_adj %s, not -1000 (%s)", used ? ", " : "",
		 cur, strerror(e));
}

/* The grandchild: nothing of the hook's or the runtime's survives exec.
 * Reports over wfd: warnings, and the errno if exec fails (EOF when it
 * succeeds: the pipe is close-on-exec). */
static __attribute__((noreturn)) void exec_daemon(const struct daemon_opts *o, int wfd)
{
	char *const argv[] = { (char *)o->daemon_path, "-f", (char *)o->mountpoint, NULL };
	char *const argv_sc[] = { (char *)o->daemon_path, "-f", "--seccomp-socket",
				  (char *)o->seccomp_socket, (char *)o->mountpoint, NULL };
	char what[256], note[200] = "";
	sigset_t none;
	int null, r;

	if (wfd != 3 && dup3(wfd, 3, O_CLOEXEC) < 0)
		_exit(127);
	close_from(4);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	if (null > 3)
		close(null);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	umask(022);
	if (chdir("/") < 0)
		_exit(127);
	r = daemon_own_cgroup("/sys/fs/cgroup", getpid(), what, sizeof(what));
	if (r < 0)
		tell('W', "stays in the hook's cgroup (%s: %s): it is charged to, and may be "
			  "killed with, the container's runtime",
		     what, strerror(-r));
	reset_rlimits(note, sizeof(note));
	reset_oom_score(note, sizeof(note));
	if (note[0])
		tell('W', "it runs with %s", note);
	execve(o->daemon_path, o->seccomp_socket ? argv_sc : argv, daemon_env);
	tell('E', "%d", errno);
	_exit(127);
}

/* Lines from the spawn pipe: "P<pid>", "W<text>", "E<errno>". */
static void spawn_line(const struct daemon_opts *o, char *line, pid_t *gpid, int *err)
{
	if (line[0] == 'P')
		*gpid = (pid_t)atoi(line + 1);
	else if (line[0] == 'E')
		*err = atoi(line + 1);
	else if (line[0] == 'W')
		log_msg(LOG_WARNING, "starting %s: %s", o->daemon_path, line + 1);
}

/* Double fork + setsid: the daemon is nobody's child here, has no
 * controlling terminal and holds none of our fds (runc waits for EOF on
 * the hook's stdout and stderr). Under a subreaper (conmon, containerd's
 * shim) it is that subreaper's child instead of init's: see the README. */
static int spawn_daemon(const struct daemon_opts *o, pid_t *dpid)
{
	_cleanup_close_ int rd = -1;
	int p[2], status, e = 0;
	pid_t child, gpid = 0;
	char buf[1024];
	size_t got = 0;
	bool eof = false;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (child == 0) {
		char line[32];
		pid_t g;
		int n;

		close(p[0]);
		if (setsid() < 0)
			_exit(127);
		g = fork();
		if (g < 0)
			_exit(127);
		if (g == 0)
			exec_daemon(o, p[1]);
		n = snprintf(line, sizeof(line), "P%d\n", (int)g);
		(void)!write(p[1], line, (size_t)n);
		_exit(0);
	}
	rd = p[0];
	close(p[1]);
	while (!eof && got < sizeof(buf) - 1) {
		struct pollfd pfd = { rd, POLLIN, 0 };
		int l = left_ms(o->deadline_ms);
		ssize_t n;
		char *nl;

		if (l <= 0 || poll(&pfd, 1, l) <= 0)
			break;
		n = read(rd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0) {
			eof = true;
			n = 0;
		}
		got += (size_t)n;
		buf[got] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			spawn_line(o, buf, &gpid, &e);
			got -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, got + 1);
		}
	}
	/* The middle child exits right after its fork; bounded all the same. */
	if (reap(child, MIN(100, left_ms(o->deadline_ms)), &status) < 0) {
		kill(child, SIGKILL);
		(void)reap(child, 100, &status);
	}
	if (e)
		return -e;
	if (gpid <= 0)
		return eof ? -ECHILD : -ETIMEDOUT;
	*dpid = gpid;
	return 0;
}

/* Run argv (systemctl, systemd-run) until it exits or the deadline. Its
 * stderr is kept, not passed on (the runtime logs the hook's): the last
 * line it wrote goes to err, for a message when it fails. */
static int run_cmd(char *const argv[], int64_t deadline, char *err, size_t err_size)
{
	_cleanup_close_ int rd = -1;
	char buf[1024];
	const char *last;
	size_t got = 0;
	int p[2], status = 0;
	pid_t pid;

	err[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(p[1], 2);
		close_from(3);
		execvp(argv[0], argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	rd = p[0];
	close(p[1]);
	/* Until EOF: the command's exit (nothing it starts holds the pipe). */
	for (;;) {
		struct pollfd pfd = { rd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, left_ms(deadline)) <= 0)
			break;
		if (got == sizeof(buf) - 1) { /* keep the tail */
			memmove(buf, buf + sizeof(buf) / 2, got - sizeof(buf) / 2);
			got -= sizeof(buf) / 2;
		}
		n = read(rd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	while (got && buf[got - 1] == '\n')
		buf[--got] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	got = MIN(strlen(last), err_size - 1);
	memcpy(err, last, got);
	err[got] = '\0';
	if (reap(pid, left_ms(deadline), &status) < 0) {
		kill(pid, SIGKILL);
		(void)reap(pid, 100, &status);
		return -ETIMEDOUT;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

static bool is_dir_at(const char *root, const char *path)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, path);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

enum daemon_start daemon_start_plan(const struct daemon_opts *o)
{
	/* systemd's unit search path, the admin's first. */
	static const char *const dirs[] = {
		"/etc/systemd/system",	  "/run/systemd/system", "/usr/local/lib/systemd/system",
		"/usr/lib/systemd/system", "/lib/systemd/system",
	};
	const char *root = o->root ? o->root : "";

	if (!is_dir_at(root, "/run/systemd/system"))
		return START_SPAWN;
	for (size_t i = 0; o->unit_paths && i < ARRAY_SIZE(dirs); i++) {
		char p[4096];
		struct stat st;

		snprintf(p, sizeof(p), "%s%s/" DAEMON_UNIT, root, dirs[i]);
		if (stat(p, &st) == 0)
			return START_UNIT;
	}
	return START_TRANSIENT;
}

/* Eight hex digits of the mountpoint's SHA-256: what names its transient
 * unit and its start lock, so that two mountpoints never collide. */
static void mountpoint_tag(const char *mnt, char tag[9])
{
	uint8_t h[32];

	sha256(mnt, strlen(mnt), h);
	snprintf(tag, 9, "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
}

void daemon_unit_name(const struct daemon_opts *o, enum daemon_start how, char *buf, size_t size)
{
	char tag[9];

	/* The installed unit, or a transient one named after the mountpoint. */
	if (how == START_UNIT || o->unit_paths) {
		snprintf(buf, size, "%s", DAEMON_UNIT);
		return;
	}
	mountpoint_tag(o->mountpoint, tag);
	snprintf(buf, size, "procview-%s.service", tag);
}

int daemon_start_argv(const struct daemon_opts *o, enum daemon_start how, char **argv,
		      size_t max, char *buf, size_t size)
{
	size_t n = 0, used = 0;
	char unit[64];

#define ARG(...)                                                                      \
	do {                                                                          \
		int w_ = snprintf(buf + used, size - used, __VA_ARGS__);              \
		if (w_ < 0 || (size_t)w_ >= size - used || n + 1 >= max)              \
			return -ENOSPC;                                               \
		argv[n++] = buf + used;                                               \
		used += (size_t)w_ + 1;                                               \
	} while (0)

	if (how == START_UNIT) {
		ARG("systemctl");
		ARG("start");
		ARG("--no-block");
		ARG("--");
		ARG(DAEMON_UNIT);
	} else if (how == START_TRANSIENT) {
		daemon_unit_name(o, how, unit, sizeof(unit));
		unit[strlen(unit) - strlen(".service")] = '\0';
		ARG("systemd-run");
		ARG("--unit=%s", unit);
		ARG("--description=procview (started by procview-hook)");
		/* No "Running as unit" line in the runtime's log. */
		ARG("--quiet");
		ARG("--no-block");
		ARG("--collect");
		/* What procview.service says. */
		ARG("--property=Type=notify");
		ARG("--property=NotifyAccess=all");
		ARG("--property=KillMode=process");
		ARG("--property=OOMScoreAdjust=-1000");
		ARG("--property=Restart=always");
		ARG("--property=RestartSec=1");
		ARG("--");
		ARG("%s", o->daemon_path);
		ARG("-f");
		if (o->seccomp_socket) {
			ARG("--seccomp-socket");
			ARG("%s", o->seccomp_socket);
		}
		ARG("%s", o->mountpoint);
	} else {
		return -EINVAL;
	}
	argv[n] = NULL;
	return 0;
#undef ARG
}

int daemon_unit_running(const struct daemon_opts *o, const char *unit)
{
	/* Where systemd puts a system service's cgroup: pure v2, hybrid
	 * (its unified tree, then its own v1 name=systemd hierarchy). */
	static const char *const dirs[] = {
		"/sys/fs/cgroup/system.slice",
		"/sys/fs/cgroup/unified/system.slice",
		"/sys/fs/cgroup/systemd/system.slice",
	};
	const char *root = o->root ? o->root : "";

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[4096], c;
		_cleanup_close_ int fd = -1;

		snprintf(p, sizeof(p), "%s%s/%s/cgroup.procs", root, dirs[i], unit);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && read(fd, &c, 1) == 1)
			return 1;
	}
	return 0;
}

/* Poll the mount until it answers, the daemon exits, or the deadline.
 * The daemon is ours (dpid, a spawn) or systemd's (unit): a unit's daemon
 * has exited once its cgroup, seen with a process in it, is empty. */
static int wait_answer(const struct daemon_opts *o, pid_t dpid, const char *unit)
{
	_cleanup_close_ int pfd = dpid > 0 ? pidfd_open(dpid) : -1;
	bool seen = false, starting = false;
	int r;

	for (;;) {
		r = mountpoint_ready(o->mountpoint, MIN(DAEMON_PROBE_MS, left_ms(o->deadline_ms)));
		if (r == 0)
			return 0;
		starting = starting || r == -EAGAIN;
		if (pfd >= 0) {
			struct pollfd p = { pfd, POLLIN, 0 };

			if (poll(&p, 1, 0) > 0)
				return -ECHILD;
		} else if (dpid > 0 && kill(dpid, 0) < 0 && errno == ESRCH) {
			return -ECHILD;
		} else if (unit) {
			bool running = daemon_unit_running(o, unit) > 0;

			if (seen && !running)
				return -ECHILD;
			seen = seen || running;
		}
		/* No mount yet, or still the dead one the new daemon has not
		 * replaced: either way it did not answer in time. */
		if (left_ms(o->deadline_ms) <= 0 && starting && (r == -EAGAIN || r == -ETIMEDOUT))
			return -EAGAIN;
		if (left_ms(o->deadline_ms) <= 0)
			return r == -ENOENT || r == -ENOTCONN ? -ETIMEDOUT : r;
		nap(20, o->deadline_ms);
	}
}

/* The start lock of o's mountpoint: hook.lock for the default one,
 * hook-<hash>.lock for another, so that hooks starting daemons on two
 * mountpoints never wait for each other. */
static void lock_path(const struct daemon_opts *o, char *buf, size_t size)
{
	char tag[9];

	if (strcmp(o->mountpoint, DEFAULT_MOUNTPOINT) == 0) {
		snprintf(buf, size, "%s", HOOK_LOCK_PATH);
		return;
	}
	mountpoint_tag(o->mountpoint, tag);
	snprintf(buf, size, "%s/hook-%s.lock", HOOK_LOCK_DIR, tag);
}

static int take_lock(const char *path, int64_t deadline, int *out)
{
	_cleanup_close_ int fd = -1;

	if (mkdir(HOOK_LOCK_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Bounded: a hook stuck holding it must not make every other hook
	 * overrun its runtime timeout. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (left_ms(deadline) <= 0)
			return -ETIMEDOUT;
		nap(10, deadline);
	}
	*out = TAKE_FD(fd);
	return 0;
}

static int probe(const struct daemon_opts *o, char *why, size_t why_size)
{
	int ms = MIN(DAEMON_PROBE_MS, left_ms(o->deadline_ms));
	int r = mountpoint_ready(o->mountpoint, ms);

	/* A mount that does not answer has a live daemon behind it (a dead
	 * one answers ENOTCONN at once): stopped, hung, or slow. Starting
	 * another would not help it and would eat the budget. */
	if (r == -ETIMEDOUT)
		snprintf(why, why_size,
			 "the daemon on %s did not answer within %d ms (stopped or hung?)",
			 o->mountpoint, ms);
	return r;
}

int daemon_ensure(const struct daemon_opts *o, char *why, size_t why_size)
{
	_cleanup_close_ int lock = -1;
	enum daemon_start how;
	char unit[64] = "", lockp[64];
	pid_t dpid = 0;
	int r;

	r = probe(o, why, why_size);
	if (r == 0 || r == -ETIMEDOUT)
		return r;
	if (r == -EAGAIN) /* a daemon still starting: starting another would not help */
		goto wait;
	lock_path(o, lockp, sizeof(lockp));
	r = take_lock(lockp, o->deadline_ms, &lock);
	if (r < 0) {
		snprintf(why, why_size, "%s: %s", lockp,
			 r == -ETIMEDOUT ? "held by another hook past our deadline" : strerror(-r));
		return r;
	}
	/* Whoever held the lock may have started it meanwhile. */
	r = probe(o, why, why_size);
	if (r == 0 || r == -ETIMEDOUT)
		return r;
	if (r == -EAGAIN)
		goto wait;

	how = daemon_start_plan(o);
	/* The installed unit runs its own ExecStart; for the others a
	 * missing daemon is said at once, the same with systemd or without. */
	if (how != START_UNIT && access(o->daemon_path, X_OK) < 0) {
		r = -errno;
		snprintf(why, why_size, "cannot run %s: %s", o->daemon_path, strerror(-r));
		return r;
	}
	if (how == START_SPAWN) {
		r = spawn_daemon(o, &dpid);
		if (r < 0) {
			snprintf(why, why_size, "cannot run %s: %s", o->daemon_path,
				 r == -ETIMEDOUT ? "no word from it before the deadline" : strerror(-r));
			return r;
		}
	} else {
		char *argv[32], buf[8192], err[256];

		daemon_unit_name(o, how, unit, sizeof(unit));
		r = daemon_start_argv(o, how, argv, ARRAY_SIZE(argv), buf, sizeof(buf));
		if (r == 0)
			r = run_cmd(argv, o->deadline_ms, err, sizeof(err));
		/* A transient unit still loaded (restarting after a crash, or
		 * not yet collected) cannot be made again: start that one. */
		if (r > 0 && how == START_TRANSIENT) {
			char *const again[] = { "systemctl", "start", "--no-block", "--", unit, NULL };
			char err2[256];

			if (run_cmd(again, o->deadline_ms, err2, sizeof(err2)) == 0)
				r = 0;
		}
		if (r != 0) {
			snprintf(why, why_size, "%s: %s",
				 how == START_UNIT ? "systemctl start " DAEMON_UNIT : "systemd-run",
				 r < 0 ? strerror(-r) : err[0] ? err : "failed");
			return r < 0 ? r : -EIO;
		}
	}
wait:
	r = wait_answer(o, dpid, unit[0] ? unit : NULL);
	if (r == -EAGAIN)
		snprintf(why, why_size,
			 "the daemon on %s had not mounted its per-container tree (%s/containers) "
			 "by the hook's deadline", o->mountpoint, o->mountpoint);
	else if (r == -ECHILD && unit[0])
		snprintf(why, why_size, "%s (%s) exited before answering on %s (journalctl -u %s)",
			 o->daemon_path, unit, o->mountpoint, unit);
	else if (r == -ECHILD)
		snprintf(why, why_size, "%s (pid %d) exited before answering on %s", o->daemon_path,
			 (int)dpid, o->mountpoint);
	else if (r == -ETIMEDOUT)
		snprintf(why, why_size, "the daemon did not answer on %s before the hook's deadline",
			 o->mountpoint);
	else if (r < 0)
		snprintf(why, why_size, "the daemon's mount on %s: %s", o->mountpoint, strerror(-r));
	return r;
}
