/* procviewd: the shared daemon. Parses options, clears a stale mount,
 * then becomes the holder (holder.c), which mounts and runs the renderer
 * (renderer.c): this same binary, exec'd with RENDERER_ENV set. */
#include "cgroup.h"
#include "conn.h"
#include "split.h"
#include "log.h"
#include "mountpoint.h"
#include "record.h"
#include "runstate.h"
#include "takeover.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define DEFAULT_MOUNTPOINT "/var/lib/procview"
#define DEFAULT_SECCOMP_SOCKET "/run/procview/seccomp.sock"

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

static void parse_args(int argc, char **argv, struct daemon_opts *o)
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

	*o = (struct daemon_opts){ .cgroup_root = "/sys/fs/cgroup", .proc_root = "/proc",
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

/* The renderer opens the roots; a bad one is a usage error here, before
 * anything is mounted. */
static void check_root(const char *what, const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "procviewd: %s %s: %s\n", what, path, strerror(errno));
		exit(2);
	}
	close(fd);
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
	struct daemon_opts o;
	struct renderer_start rs;
	struct cg_root *cg = NULL;
	int handles[HANDLES], notify = -1, r;
	const int *adopted = NULL;
	pid_t old_pid = 0;

	/* No transparent huge pages: our few MB are spread over a dozen
	 * thread stacks and two malloc arenas. Where THP is "always" (Debian's
	 * kernels; MAP_STACK stacks are exempt only since 6.8) each stack's
	 * first touch, or khugepaged's collapse later, costs 2 MB: the
	 * renderer's RSS rose 2-3 MB over two load rounds in check-vm's 6.1
	 * guest. Inherited by the renderer and heal workers, across exec. */
	(void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	parse_args(argc, argv, &o);
	o.argv = argv;
	log_open("procviewd", true, o.log_level);
	if (renderer_start_parse(getenv(RENDERER_ENV), &rs) == 0) {
		unsetenv(RENDERER_ENV);
		log_set_stderr(o.foreground);
		renderer_main(&o, &rs);
	}
	check_root("--proc-root", o.proc_root);
	check_root("--sys-root", o.sys_root);
	r = cg_root_open(o.cgroup_root, &cg);
	if (r < 0) {
		fprintf(stderr, "procviewd: --cgroup-root %s: %s\n", o.cgroup_root, strerror(-r));
		return 2;
	}
	cg_root_free(cg);
	if (strlen(o.mountpoint) + sizeof("/containers") > PATH_MAX)
		die_usage("mountpoint '%s' is too long", o.mountpoint);

	/* Restarted by systemd with the handles it kept: the mounts live on
	 * and must not be mistaken for a dead daemon's. */
	if (fdstore_adopt(handles) == 1) {
		if (!conn_dead(handles[CONN_READER]) && !conn_dead(handles[CONN_CONTAINERS])) {
			adopted = handles;
		} else {
			for (int i = 0; i < HANDLES; i++)
				close(handles[i]);
		}
	}
	if (!adopted)
		old_pid = prepare_mountpoint(o.mountpoint, o.replace);
	if (o.seccomp_socket)
		mkdir_parents(o.seccomp_socket);

	if (!o.foreground) {
		notify = daemonize();
		/* Before the renderer is started: it must not hold the caller's
		 * terminal or pipes either. Failures go through notify. */
		detach_stdio();
	}
	log_set_stderr(o.foreground);
	r = holder_run(&o, notify, old_pid, adopted);
	free((char *)o.mountpoint); /* mountpoint_normalized's copy */
	return r;
}
