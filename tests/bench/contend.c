/* contend: load and latency probes for the per-container tree.
 *
 *   contend flood FILE THREADS SECONDS [direct|statx]
 *       THREADS threads re-read FILE with O_DIRECT (or statx with
 *       AT_STATX_FORCE_SYNC) for SECONDS: every call reaches the daemon.
 *       Prints "flood OPS".
 *   contend lookup MNT N
 *       N times: a fresh process, then stat MNT/containers/<pid>-<start>/proc/meminfo
 *       (a new container's LOOKUPs). Prints "lookup MEDIAN_US MAX_US FAILED".
 *   contend dread FILE N [GAP_US]
 *       N O_DIRECT reads of FILE, GAP_US apart (default 0). Prints
 *       "dread MEDIAN_US MAX_US FAILED".
 *   contend churn MNT N
 *       N short-lived "containers": a process in a new pid namespace reads
 *       MNT/proc/meminfo (a per-reader cache entry), its pid-start
 *       name is looked up and read under MNT/containers (a slot), then it
 *       exits. Prints "churn FIRST_MEDIAN_US LAST_MEDIAN_US FAILED" for the
 *       lookups of the first and last 200. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#endif

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static double maxof(const double *v, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static int dread(const char *file)
{
	static __thread char *buf;
	int fd;
	ssize_t n;

	if (!buf && posix_memalign((void **)&buf, 4096, 65536) != 0)
		return -ENOMEM;
	fd = open(file, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, 65536, 0);
	close(fd);
	return n < 0 ? -errno : 0;
}

struct flood {
	const char *file;
	bool statx_mode;
	double until;
	atomic_ulong ops;
};

static void *flood_thread(void *arg)
{
	struct flood *f = arg;
	struct statx stx;

	while (now_us() < f->until) {
		if (f->statx_mode)
			(void)statx(AT_FDCWD, f->file, AT_STATX_FORCE_SYNC, STATX_SIZE, &stx);
		else
			(void)dread(f->file);
		atomic_fetch_add(&f->ops, 1);
	}
	return NULL;
}

static int cmd_flood(char **argv)
{
	struct flood f = { .file = argv[0] };
	int n = atoi(argv[1]);
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	f.statx_mode = argv[3] && strcmp(argv[3], "statx") == 0;
	f.until = now_us() + atof(argv[2]) * 1e6;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, flood_thread, &f) != 0)
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("flood %lu\n", (unsigned long)atomic_load(&f.ops));
	return 0;
}

static int starttime(pid_t pid, unsigned long long *st)
{
	char path[64], text[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')');
	if (!p)
		return -1;
	/* field 22; after ")" come fields 3.. */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p + 1, "%llu", st) == 1 ? 0 : -1;
}

/* A child blocked on a pipe until we close it; its pid, or -1. */
static pid_t spawn_waiter(int *wfd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static double time_lookup(const char *mnt, pid_t pid, bool and_read, int *failed)
{
	unsigned long long st;
	char path[4096], buf[8192];
	struct stat sb;
	double t0, t;

	if (starttime(pid, &st) < 0) {
		(*failed)++;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/containers/%d-%llu/proc/meminfo", mnt, (int)pid, st);
	t0 = now_us();
	if (stat(path, &sb) < 0) {
		(*failed)++;
		return -1;
	}
	t = now_us() - t0;
	if (and_read) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			(*failed)++;
		if (fd >= 0)
			close(fd);
	}
	return t;
}

static int cmd_lookup(char **argv)
{
	int n = atoi(argv[1]), failed = 0;
	double *v = calloc((size_t)n, sizeof(*v));
	size_t k = 0;

	for (int i = 0; i < n; i++) {
		int wfd;
		pid_t pid = spawn_waiter(&wfd);
		double t;

		if (pid < 0)
			return 1;
		t = time_lookup(argv[0], pid, false, &failed);
		if (t >= 0)
			v[k++] = t;
		close(wfd);
		waitpid(pid, NULL, 0);
	}
	printf("lookup %.1f %.1f %d\n", median(v, k), maxof(v, k), failed);
	return 0;
}

static int cmd_dread(char **argv)
{
	int n = atoi(argv[1]), failed = 0;
	double *v = calloc((size_t)n, sizeof(*v));
	size_t k = 0;

	long gap = argv[2] ? atol(argv[2]) : 0;

	for (int i = 0; i < n; i++) {
		double t0;

		if (gap > 0)
			usleep((useconds_t)gap);
		t0 = now_us();
		if (dread(argv[0]) < 0) {
			failed++;
			continue;
		}
		v[k++] = now_us() - t0;
	}
	printf("dread %.1f %.1f %d\n", median(v, k), maxof(v, k), failed);
	return 0;
}

struct churn_child {
	const char *mnt;
	int ready, go;	     /* our pipe ends */
	int parent_r, parent_w; /* the parent's, closed at once: EOF must reach us */
};

static char churn_stack[256 * 1024] __attribute__((aligned(16)));

static int churn_child_main(void *arg)
{
	struct churn_child *c = arg;
	char path[4096], buf[8192], ch = 'r';
	int fd;

	close(c->parent_r);
	close(c->parent_w);
	snprintf(path, sizeof(path), "%s/proc/meminfo", c->mnt);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf));
		close(fd);
	}
	(void)!write(c->ready, &ch, 1);
	(void)!read(c->go, &ch, 1);
	return 0;
}

static int cmd_churn(char **argv)
{
	int n = atoi(argv[1]), failed = 0, k = 200;
	double first[200], last[200];
	int nf = 0, nl = 0;

	for (int i = 0; i < n; i++) {
		int rp[2], gp[2];
		struct churn_child c = { .mnt = argv[0] };
		pid_t pid;
		char ch;
		double t;

		if (pipe2(rp, O_CLOEXEC) < 0 || pipe2(gp, O_CLOEXEC) < 0)
			return 1;
		c.ready = rp[1];
		c.go = gp[0];
		c.parent_r = rp[0];
		c.parent_w = gp[1];
		pid = clone(churn_child_main, churn_stack + sizeof(churn_stack),
			    CLONE_NEWPID | SIGCHLD, &c);
		if (pid < 0) {
			perror("contend: clone(CLONE_NEWPID)");
			return 1;
		}
		close(rp[1]);
		close(gp[0]);
		(void)!read(rp[0], &ch, 1);
		t = time_lookup(argv[0], pid, true, &failed);
		if (t >= 0 && i < k && nf < k)
			first[nf++] = t;
		if (t >= 0 && i >= n - k && nl < k)
			last[nl++] = t;
		close(gp[1]);
		close(rp[0]);
		waitpid(pid, NULL, 0);
	}
	printf("churn %.1f %.1f %d\n", median(first, (size_t)nf), median(last, (size_t)nl), failed);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "flood") == 0)
		return cmd_flood(argv + 2);
	if (argc >= 5 && strcmp(argv[1], "flood") == 0) {
		char *a[] = { argv[2], argv[3], argv[4], NULL };

		return cmd_flood(a);
	}
	if (argc == 4 && strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argv + 2);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "dread") == 0)
		return cmd_dread(argv + 2);
	if (argc == 4 && strcmp(argv[1], "churn") == 0)
		return cmd_churn(argv + 2);
	fprintf(stderr, "usage: contend flood FILE THREADS SECONDS [direct|statx] | lookup MNT N |"
			" dread FILE N [GAP_US] | churn MNT N\n");
	return 2;
}
