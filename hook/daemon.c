#include "daemon.h"
#include "mountpoint.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define CGROUP_MAGIC 0x27e0eb
#define CGROUP2_MAGIC 0x63677270

/* One stat of MOUNTPOINT/proc/meminfo may block on a hung FUSE server;
 * mountpoint_answers runs it in a child and gives up after this. */
#define PROBE_MS 1000
#define LOCK_WAIT_MS 5000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
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

static void join_cgroup(int parent, const char *name, const char *pidstr)
{
	_cleanup_close_ int child = -1;

	if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return;
	child = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (child < 0)
		return;
	if (faccessat(parent, "cpuset.cpus", F_OK, 0) == 0)
		cpuset_inherit(parent, child);
	(void)write_str_at(child, "cgroup.procs", pidstr);
}

void daemon_own_cgroup(const char *cgroot, pid_t pid)
{
	_cleanup_close_ int rootfd = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char pidstr[16];
	struct statfs sfs;
	DIR *d;
	struct dirent *de;

	if (rootfd < 0 || fstatfs(rootfd, &sfs) < 0)
		return;
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	if ((unsigned long)sfs.f_type == CGROUP2_MAGIC) {
		join_cgroup(rootfd, DAEMON_UNIT, pidstr);
		return;
	}
	/* v1 or hybrid: a tmpfs of hierarchies. Symlinks (cpu -> cpu,cpuacct)
	 * are skipped; their hierarchy is also there under its real name. */
	d = fdopendir(dup(rootfd));
	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_close_ int h = -1;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		h = openat(rootfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (h < 0 || fstatfs(h, &sfs) < 0)
			continue;
		if ((unsigned long)sfs.f_type == CGROUP_MAGIC)
			join_cgroup(h, "procview", pidstr);
		else if ((unsigned long)sfs.f_type == CGROUP2_MAGIC)
			join_cgroup(h, DAEMON_UNIT, pidstr);
	}
	closedir(d);
}

static void close_from(int lowfd)
{
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

/* The grandchild: nothing of the hook's or the runtime's survives exec. */
static __attribute__((noreturn)) void exec_daemon(const struct daemon_opts *o, int errfd)
{
	sigset_t none;
	int null;

	/* The error pipe goes to fd 3 (close-on-exec), everything above is closed. */
	if (errfd != 3 && dup3(errfd, 3, O_CLOEXEC) < 0)
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
	daemon_own_cgroup("/sys/fs/cgroup", getpid());
	execl(o->daemon_path, o->daemon_path, "-f", o->mountpoint, (char *)NULL);
	{
		int e = errno;

		(void)!write(3, &e, sizeof(e));
	}
	_exit(127);
}

/* Double fork + setsid: the daemon is nobody's child here, has no
 * controlling terminal and holds none of our fds (runc waits for EOF on
 * the hook's stdout and stderr). Returns the daemon's pid. */
static int spawn_daemon(const struct daemon_opts *o, pid_t *dpid)
{
	_cleanup_close_ int rd = -1;
	int p[2], status, e = 0;
	pid_t child, gpid = 0;
	char buf[16];
	size_t got = 0;

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
		pid_t g;

		close(p[0]);
		if (setsid() < 0)
			_exit(127);
		g = fork();
		if (g < 0)
			_exit(127);
		if (g == 0)
			exec_daemon(o, p[1]);
		(void)!write(p[1], &g, sizeof(g));
		_exit(0);
	}
	rd = p[0];
	close(p[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* The pid (from the child), then an errno (from the grandchild, only
	 * if exec failed), then EOF once exec closed the pipe. */
	for (int64_t end = now_ms() + 2000; got < sizeof(buf);) {
		struct pollfd pfd = { rd, POLLIN, 0 };
		int left = (int)(end - now_ms());
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = read(rd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got >= sizeof(gpid))
		memcpy(&gpid, buf, sizeof(gpid));
	if (got >= sizeof(gpid) + sizeof(e)) {
		memcpy(&e, buf + sizeof(gpid), sizeof(e));
		return -e;
	}
	if (gpid <= 0)
		return -ECHILD;
	*dpid = gpid;
	return 0;
}

static int run_wait(char *const argv[], int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		close_from(3);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		sleep_ms(10);
	}
}

static bool systemd_knows_unit(void)
{
	char *const argv[] = { "systemctl", "cat", "--", DAEMON_UNIT, NULL };
	struct stat st;

	if (stat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	return run_wait(argv, 3000) == 0;
}

static int wait_answer(const char *mnt, pid_t dpid, int wait_ms)
{
	int64_t end = now_ms() + wait_ms;
	int r;

	for (;;) {
		r = mountpoint_answers(mnt, PROBE_MS);
		if (r == 0)
			return 0;
		if (dpid > 0 && kill(dpid, 0) < 0 && errno == ESRCH)
			return -ECHILD;
		if (now_ms() >= end)
			return r == -ENOENT ? -ETIMEDOUT : r;
		sleep_ms(25);
	}
}

static int take_lock(int *out)
{
	_cleanup_close_ int fd = -1;
	int64_t end = now_ms() + LOCK_WAIT_MS;

	if (mkdir(HOOK_LOCK_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(HOOK_LOCK_PATH, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Bounded: a hook stuck holding it must not make every other hook
	 * overrun its runtime timeout. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
	*out = TAKE_FD(fd);
	return 0;
}

int daemon_ensure(const struct daemon_opts *o, char *why, size_t why_size)
{
	_cleanup_close_ int lock = -1;
	pid_t dpid = 0;
	int r;

	if (mountpoint_answers(o->mountpoint, PROBE_MS) == 0)
		return 0;
	r = take_lock(&lock);
	if (r < 0) {
		snprintf(why, why_size, "%s: %s", HOOK_LOCK_PATH,
			 r == -ETIMEDOUT ? "held by another hook for too long" : strerror(-r));
		return r;
	}
	/* Whoever held the lock may have started it meanwhile. */
	if (mountpoint_answers(o->mountpoint, PROBE_MS) == 0)
		return 0;

	if (o->try_systemd && systemd_knows_unit()) {
		char *const argv[] = { "systemctl", "start", "--no-block", "--", DAEMON_UNIT, NULL };

		r = run_wait(argv, 5000);
		if (r != 0) {
			snprintf(why, why_size, "systemctl start %s: %s", DAEMON_UNIT,
				 r < 0 ? strerror(-r) : "failed");
			return r < 0 ? r : -EIO;
		}
	} else {
		r = spawn_daemon(o, &dpid);
		if (r < 0) {
			snprintf(why, why_size, "cannot run %s: %s", o->daemon_path, strerror(-r));
			return r;
		}
	}
	r = wait_answer(o->mountpoint, dpid, o->wait_ms);
	if (r < 0) {
		if (r == -ECHILD)
			snprintf(why, why_size, "%s (pid %d) exited before answering on %s",
				 o->daemon_path, (int)dpid, o->mountpoint);
		else if (r == -ETIMEDOUT)
			snprintf(why, why_size, "the daemon did not answer on %s within %d ms",
				 o->mountpoint, o->wait_ms);
		else
			snprintf(why, why_size, "the daemon's mount on %s: %s", o->mountpoint,
				 strerror(-r));
	}
	return r;
}
