/* procview-hook: an OCI hook that attaches procview's per-container files
 * over the container's /proc and /sys files at createRuntime, and forgets
 * the container at poststop. The only place in procview that exits.
 *
 * Exit codes: 0 done, or a failure tolerated (fail-open); 1 bad input;
 * 2 usage; 3 a failure in strict mode. */
#include "attach.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "mountpoint.h"
#include "policy.h"
#include "procfs.h"
#include "record.h"
#include "state.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#include "syscalls.h"

#define DEFAULT_DAEMON BINDIR "/procviewd"

/* The whole hook, start to exit, under any daemon state, gets a budget:
 * half the runtime's timeout for the hook (policy_budget_ms; 5 s without
 * one), so fail-open never turns into a runtime killing the hook and
 * failing the container. Starting the daemon gets until ENSURE_PCT of it,
 * attaching and recording most of the rest; the watchdog ends the hook at
 * WATCHDOG_PCT whatever it is stuck in (a FUSE wait is only killable:
 * exit_group kills it), leaving the last tenth for the exit itself on a
 * loaded host. */
#define ENSURE_PCT 70
#define WATCHDOG_PCT 90

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_STRICT = 3 };
enum stage { STAGE_NONE, STAGE_CREATE, STAGE_POSTSTOP, STAGE_ENSURE };

struct options {
	enum stage stage;
	const char *stage_name; /* as given; NULL when taken from the state */
	char *mountpoint;
	const char *daemon;
	const char *record_dir;
	const char *seccomp_socket;
	bool strict;
	bool no_start;
};

static struct {
	int64_t start;
	int budget_ms;		  /* under lock; read by ensure() too */
	pthread_mutex_t lock;
	pthread_cond_t moved; /* budget_ms changed */
	atomic_int code;	  /* exit code when it fires: 0 fail-open, 3 strict */
	_Atomic(const char *) id; /* the container, once known */
	int syslog_fd;		  /* connected to /dev/log, or -1 */
} watchdog = {
	.budget_ms = POLICY_BUDGET_DEFAULT_MS,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static int budget_ms(void)
{
	int ms;

	pthread_mutex_lock(&watchdog.lock);
	ms = watchdog.budget_ms;
	pthread_mutex_unlock(&watchdog.lock);
	return ms;
}

/* Follow the runtime's timeout, once config.json has told it. */
static void budget_set(int ms)
{
	pthread_mutex_lock(&watchdog.lock);
	watchdog.budget_ms = ms;
	pthread_cond_signal(&watchdog.moved);
	pthread_mutex_unlock(&watchdog.lock);
}

/* The watchdog's line goes to syslog too: runc and podman drop the stderr
 * of a hook that exits 0, so a fail-open by the watchdog left no trace.
 * Its own socket, opened beforehand: syslog(3) takes a lock that the stuck
 * main thread may hold. */
static int syslog_socket(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void *watchdog_thread(void *arg)
{
	const char *id;
	char line[512];
	int code, n, ms;

	(void)arg;
	pthread_mutex_lock(&watchdog.lock);
	for (;;) {
		int64_t end = watchdog.start + (int64_t)watchdog.budget_ms * WATCHDOG_PCT / 100;
		struct timespec ts = { end / 1000, (long)(end % 1000) * 1000000 };

		if (now_ms() >= end)
			break;
		/* Woken early when the budget moves; EINTR and spurious
		 * wake-ups just go round. */
		(void)pthread_cond_timedwait(&watchdog.moved, &watchdog.lock, &ts);
	}
	ms = watchdog.budget_ms * WATCHDOG_PCT / 100;
	pthread_mutex_unlock(&watchdog.lock);
	code = atomic_load(&watchdog.code);
	id = atomic_load(&watchdog.id);
	/* write(2), not log_msg: the main thread may hold stdio's or syslog's
	 * lock where it is stuck. */
	n = snprintf(line, sizeof(line),
		     "procview-hook: container %s: still not done after %d ms, giving up%s\n",
		     id ? id : "(unknown)", ms,
		     code ? "" : " (continuing without procview: fail-open)");
	if (n > 0)
		(void)!write(STDERR_FILENO, line, MIN((size_t)n, sizeof(line) - 1));
	if (n > 0 && watchdog.syslog_fd >= 0) {
		/* "<facility|priority>tag[pid]: message", without the newline */
		char msg[600];
		const char *text = line + strlen("procview-hook: ");
		int m = snprintf(msg, sizeof(msg), "<%d>procview-hook[%d]: %.*s",
				 LOG_DAEMON | (code ? LOG_ERR : LOG_WARNING), (int)getpid(),
				 (int)strcspn(text, "\n"), text);

		if (m > 0)
			(void)!send(watchdog.syslog_fd, msg, MIN((size_t)m, sizeof(msg) - 1),
				    MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	_exit(code);
}

static void watchdog_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	pthread_condattr_t ca;

	/* now_ms() is CLOCK_MONOTONIC: so is the condition's clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&watchdog.moved, &ca);
	pthread_condattr_destroy(&ca);
	watchdog.start = now_ms();
	watchdog.syslog_fd = syslog_socket();
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, &attr, watchdog_thread, NULL) != 0)
		log_msg(LOG_WARNING, "no watchdog thread: the %d ms budget is not enforced",
			budget_ms());
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(LOG_ERR, "%s", line);
	mountpoint_exit(code);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: procview-hook [STAGE] [OPTIONS] < STATE-JSON\n"
		"OCI hook: attach procview's per-container /proc and /sys files.\n"
		"\n"
		"STAGE: createRuntime or prestart (attach), poststop (forget the\n"
		"container). Without STAGE it follows the state's \"status\".\n"
		"procview-hook ensure [OPTIONS]: only start the daemon if none answers\n"
		"(no state on stdin; exit 0 when it answers, 3 when not).\n"
		"\n"
		"  --mountpoint DIR   procviewd's mountpoint (default " DEFAULT_MOUNTPOINT ")\n"
		"  --daemon PATH      procviewd to start if none answers (default " DEFAULT_DAEMON ")\n"
		"  --no-start         never start a daemon, attach what is there\n"
		"  --seccomp-socket PATH  the daemon it starts listens there for seccomp\n"
		"                     notify fds (default: procviewd's own default)\n"
		"  --strict           exit 3 instead of 0 when attaching fails\n"
		"  --record-dir DIR   where containers are recorded (default " RECORD_DIR ")\n"
		"  --help, --version\n"
		"\n"
		"Annotations: io.procview.disable=true skips the container;\n"
		"io.procview.strict=true is --strict for that container.\n"
		"Exit codes: 0 success or tolerated failure, 1 bad input, 2 usage,\n"
		"3 failure in strict mode.\n");
}

static enum stage parse_stage(const char *s)
{
	if (strcmp(s, "createRuntime") == 0 || strcmp(s, "prestart") == 0)
		return STAGE_CREATE;
	if (strcmp(s, "poststop") == 0)
		return STAGE_POSTSTOP;
	if (strcmp(s, "ensure") == 0)
		return STAGE_ENSURE;
	die(EXIT_USAGE, "unknown stage '%s' (createRuntime, prestart, poststop or ensure)", s);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_MNT = 256, OPT_DAEMON, OPT_STRICT, OPT_NOSTART, OPT_RECORDS, OPT_SECCOMP, OPT_HELP,
	       OPT_VERSION };
	static const struct option longopts[] = {
		{ "mountpoint", required_argument, NULL, OPT_MNT },
		{ "daemon", required_argument, NULL, OPT_DAEMON },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "no-start", no_argument, NULL, OPT_NOSTART },
		{ "record-dir", required_argument, NULL, OPT_RECORDS },
		{ "seccomp-socket", required_argument, NULL, OPT_SECCOMP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .mountpoint = (char *)DEFAULT_MOUNTPOINT,
			       .daemon = DEFAULT_DAEMON,
			       .record_dir = RECORD_DIR };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1 || optind < argc) {
		if (c == -1) { /* a positional: the stage; options may follow it */
			if (o->stage != STAGE_NONE)
				die(EXIT_USAGE, "unexpected argument '%s' (try --help)", argv[optind]);
			o->stage_name = argv[optind];
			o->stage = parse_stage(argv[optind++]);
			continue;
		}
		switch (c) {
		case OPT_MNT:
			o->mountpoint = optarg;
			break;
		case OPT_DAEMON:
			o->daemon = optarg;
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_NOSTART:
			o->no_start = true;
			break;
		case OPT_SECCOMP:
			if (optarg[0] != '/')
				die(EXIT_USAGE, "--seccomp-socket must be an absolute path");
			o->seccomp_socket = optarg;
			break;
		case OPT_RECORDS:
			o->record_dir = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("procview-hook %s\n", PROCVIEW_VERSION);
			exit(0);
		default:
			die(EXIT_USAGE, "unknown option '%s' (try --help)", argv[optind - 1]);
		}
	}
	/* Normalised: records and the daemon compare it as a string. */
	o->mountpoint = mountpoint_normalized(o->mountpoint);
	if (!o->mountpoint)
		die(EXIT_USAGE, "--mountpoint must be an absolute path without '..'");
	if (o->daemon[0] != '/')
		die(EXIT_USAGE, "--daemon must be an absolute path");
}

/* A failure to attach: logged, and fatal only in strict mode. */
static void __attribute__((noreturn, format(printf, 3, 4)))
fail(bool strict, const char *id, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(strict ? LOG_ERR : LOG_WARNING, "container %s: %s%s", id, line,
		strict ? "" : " (continuing without procview: fail-open)");
	mountpoint_exit(strict ? EXIT_STRICT : 0);
}

static void read_state(const struct options *o, struct oci_state *st)
{
	_cleanup_free_ char *text = NULL, *err = NULL;
	long len;
	int r;

	len = read_fd(STDIN_FILENO, OCI_STATE_MAX, &text);
	if (len == -EFBIG)
		die(EXIT_INPUT, "state JSON: larger than %u KiB on stdin", OCI_STATE_MAX >> 10);
	if (len < 0)
		die(EXIT_INPUT, "state JSON: reading stdin: %s", strerror((int)-len));
	r = oci_state_parse(text, (size_t)len, o->stage == STAGE_CREATE ? OCI_STATE_NEED_PID : 0,
			    st, &err);
	if (r < 0)
		die(EXIT_INPUT, "%s", err ? err : strerror(-r));
	/* Any id the runtime accepted is fine: records derive a file name. */
	atomic_store(&watchdog.id, st->id);
}

/* pid still runs with that start time (a zombie does not count). */
static bool pid_alive(pid_t pid, uint64_t start)
{
	_cleanup_free_ char *text = NULL;
	char path[32], state;
	uint64_t t;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return read_file_at(AT_FDCWD, path, 4096, &text) >= 0 &&
	       proc_parse_starttime(text, &t) == 0 && t == start &&
	       proc_parse_state(text, &state) == 0 && state != 'Z' && state != 'X';
}

/* Forget the container: its record goes only if it still describes a
 * dead process. A newer container that reused the id keeps its own. */
static int poststop(const struct options *o, const struct oci_state *st)
{
	struct pv_record rec;
	int r = record_read(o->record_dir, st->id, &rec);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_msg(LOG_WARNING, "container %s: reading its record in %s: %s", st->id,
			o->record_dir, strerror(-r));
		return 0;
	}
	if (st->pid > 0 && rec.pid != st->pid)
		r = -ESTALE;
	else if (pid_alive(rec.pid, rec.starttime))
		r = -ESTALE;
	else
		r = record_remove_if(o->record_dir, st->id, rec.pid, rec.starttime);
	if (r == -ESTALE)
		log_msg(LOG_INFO, "container %s: its record names live pid %d, not this container: kept",
			st->id, (int)rec.pid);
	else if (r < 0 && r != -ENOENT)
		log_msg(LOG_WARNING, "container %s: removing its record in %s: %s", st->id,
			o->record_dir, strerror(-r));
	record_free(&rec);
	return 0;
}

static bool pidfd_alive(int pidfd)
{
	return pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

static void describe_skips(const struct attach_result *res, const char *const *files, size_t n,
			   char *out, size_t size, bool *hard)
{
	size_t used = 0;

	out[0] = '\0';
	*hard = false;
	for (size_t i = 0; i < n; i++) {
		int e = res->err[i];
		const char *why;
		int w;

		if (e == 0)
			continue;
		if (e == -ENOENT)
			continue; /* not in this container or not served: nothing to cover */
		*hard = true;
		why = e == -EXDEV	 ? "target is not procfs/sysfs"
		      : e == -ELOOP	 ? "symlink on the path"
		      : e == -ENOTSUP ? "not possible without the new mount API"
				      : strerror(-e);
		w = snprintf(out + used, size - used, "%s%s: %s", used ? "; " : "", files[i], why);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
}

/* Is path this very program? The same file, whatever the link or the
 * spelling: the runtime ran it by that path. */
static bool is_self(const char *path, void *arg)
{
	const struct stat *self = arg;
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

/* Take the budget from the runtime's timeout for this hook, if it set one. */
static void follow_timeout(const struct options *o, const struct oci_config *cfg, const char *id)
{
	struct stat self;
	int t, ms;

	if (cfg->hooks_note)
		log_msg(LOG_WARNING, "container %s: %s (skipped)", id, cfg->hooks_note);
	if (stat("/proc/self/exe", &self) < 0)
		return;
	t = policy_hook_timeout(cfg, o->stage_name, is_self, &self);
	ms = policy_budget_ms(t);
	if (ms != budget_ms()) {
		log_msg(LOG_DEBUG, "container %s: the runtime's timeout is %d s: a %d ms budget", id,
			t, ms);
		budget_set(ms);
	}
}

static int ensure(const struct options *o, char *why, size_t why_size)
{
	struct daemon_opts dopt = {
		.mountpoint = o->mountpoint,
		.daemon_path = o->daemon,
		.seccomp_socket = o->seccomp_socket,
		.unit_paths = strcmp(o->mountpoint, DEFAULT_MOUNTPOINT) == 0 &&
			      strcmp(o->daemon, DEFAULT_DAEMON) == 0 && !o->seccomp_socket,
		.deadline_ms = watchdog.start + (int64_t)budget_ms() * ENSURE_PCT / 100,
	};

	return daemon_ensure(&dopt, why, why_size);
}

static int create(const struct options *o, const struct oci_state *st)
{
	_cleanup_free_ char *err = NULL;
	_cleanup_close_ int procfd = -1, pidfd = -1;
	struct oci_config cfg = { 0 };
	const char *files[ATTACH_MAX_FILES], *attached[ATTACH_MAX_FILES];
	char src[4096], why[512], skips[1024];
	struct attach_result res;
	struct pv_record rec;
	uint64_t start;
	size_t n, n_user;
	bool strict, hard;
	int r;

	if (strcmp(st->status, "stopped") == 0)
		return 0;
	r = oci_config_load(st->bundle, &cfg, &err);
	if (r < 0)
		die(EXIT_INPUT, "%s", err ? err : strerror(-r));
	follow_timeout(o, &cfg, st->id);
	if (policy_disabled(st, &cfg)) {
		log_msg(LOG_DEBUG, "container %s: %s=true, nothing to do", st->id,
			ANNOTATION_DISABLE);
		oci_config_free(&cfg);
		return 0;
	}
	strict = o->strict || policy_strict(st, &cfg);
	atomic_store(&watchdog.code, strict ? EXIT_STRICT : 0);
	n = policy_files(&cfg, files, ARRAY_SIZE(files), &n_user);

	if (!o->no_start && ensure(o, why, sizeof(why)) < 0)
		fail(strict, st->id, "procviewd: %s", why);

	/* The pidfd first, then the start time, then the pidfd again: if the
	 * process it names still lives, the pid was never reused and the
	 * start time read is its own. */
	pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (pidfd < 0 && errno != ENOSYS)
		fail(strict, st->id, "pid %d: %s", (int)st->pid, strerror(errno));
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = procfd < 0 ? -errno : proc_starttime(procfd, st->pid, &start);
	if (r == 0 && !pidfd_alive(pidfd))
		r = -ESRCH;
	if (r < 0)
		fail(strict, st->id, "pid %d: reading its start time: %s", (int)st->pid,
		     strerror(-r));
	if (attach_src_dir(o->mountpoint, st->pid, start, src, sizeof(src)) < 0)
		die(EXIT_USAGE, "--mountpoint is too long");

	/* setns(CLONE_NEWNS) refuses a shared fs_struct: the watchdog and any
	 * probe thread share ours, so take a copy of our own. */
	if (unshare(CLONE_FS) < 0)
		fail(strict, st->id, "unshare(CLONE_FS): %s", strerror(errno));
	r = attach_views(st->pid, cfg.root_path, src, files, n, 0, &res);
	/* Still the same process: what was attached went into its namespace. */
	if (r == 0 && !pidfd_alive(pidfd))
		fail(strict, st->id, "pid %d exited while being attached", (int)st->pid);
	if (r == -EPERM)
		fail(strict, st->id, "pid %d is in the host's mount namespace: refusing to mount",
		     (int)st->pid);
	if (r < 0)
		fail(strict, st->id, "attaching in pid %d's mount namespace (rootfs %s): %s",
		     (int)st->pid, cfg.root_path, strerror(-r));
	if (n > 0 && res.n_sources == 0)
		fail(strict, st->id, "%s: no files to attach (%s)", src, strerror(-res.err[0]));
	describe_skips(&res, files, n, skips, sizeof(skips), &hard);

	/* Record what was attached, even when some of it failed (fail-open):
	 * that is what a re-attach after a daemon restart renews. */
	rec = (struct pv_record){
		.id = st->id,
		.pid = st->pid,
		.starttime = start,
		.rootfs = "/", /* a re-attach enters the running, pivoted container */
		.mountpoint = (char *)o->mountpoint,
		.files = (char **)attached,
		.n_files = 0,
	};
	for (size_t i = 0; i < n; i++)
		if (res.err[i] == 0)
			attached[rec.n_files++] = files[i];
	/* In strict mode a failure stops the container: nothing to record. */
	r = rec.n_files > 0 && !(hard && strict) ? record_write(o->record_dir, &rec) : 0;
	if (hard)
		fail(strict, st->id, "attached %zu of %zu files; not attached: %s", res.n_attached,
		     n, skips);
	if (r == -EINVAL && strlen(st->id) > RECORD_ID_MAX)
		/* The id is the runtime's business: attached, only not healable. */
		log_msg(LOG_WARNING, "container %.64s...: id longer than %d bytes, not recorded: "
			"a restarted daemon will not re-attach it", st->id, RECORD_ID_MAX);
	else if (r < 0)
		fail(strict, st->id, "writing its record in %s: %s", o->record_dir, strerror(-r));
	log_set_stderr(false);
	log_msg(LOG_INFO, "container %s: attached %zu files from %s%s (%zu left to user mounts)",
		st->id, res.n_attached, src, res.legacy ? " with mount(2)" : "", n_user);
	oci_config_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct oci_state st = { 0 };
	int r;

	log_open("procview-hook", true, LOG_INFO);
	parse_args(argc, argv, &o);
	watchdog_start();
	if (o.stage == STAGE_ENSURE) {
		/* procview-runtime asks before it gives a container the
		 * seccomp listener: a failure here is reported, not tolerated. */
		char why[512];

		atomic_store(&watchdog.code, EXIT_STRICT);
		r = o.no_start ? 0 : ensure(&o, why, sizeof(why));
		if (r < 0)
			log_msg(LOG_WARNING, "procviewd: %s", why);
		free(o.mountpoint);
		return r < 0 ? EXIT_STRICT : 0;
	}
	read_state(&o, &st);
	if (o.stage == STAGE_NONE)
		o.stage = strcmp(st.status, "stopped") == 0 ? STAGE_POSTSTOP : STAGE_CREATE;
	if (o.stage == STAGE_CREATE && st.pid <= 0)
		die(EXIT_INPUT, "state JSON: \"pid\" missing");
	r = o.stage == STAGE_POSTSTOP ? poststop(&o, &st) : create(&o, &st);
	atomic_store(&watchdog.id, NULL); /* st->id is freed next */
	oci_state_free(&st);
	free(o.mountpoint); /* mountpoint_normalized's copy */
	mountpoint_exit(r);
}
