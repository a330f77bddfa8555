#include "heal.h"
#include "attach.h"
#include "fileio.h"
#include "log.h"
#include "mountpoint.h"
#include "procfs.h"
#include "record.h"
#include "util.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

struct heal_job {
	char *mnt, *dir;
	struct heal_stats st;
	int proc_fd;
	unsigned timeout_ms;
	pid_t replace_pid;
};

/* What a worker sends back: the attach's outcome. */
struct worker_report {
	int ret;
	bool reused; /* the pid changed hands during the attach */
	struct attach_result res;
};

/* The worker running now, so a SIGTERM can kill it instead of waiting. */
static atomic_int current_worker;

/* Workers that did not die at once after SIGKILL (stuck in a FUSE wait);
 * reaped at the next heal. */
static pid_t unreaped[64];
static size_t n_unreaped;
static pthread_mutex_t unreaped_lock = PTHREAD_MUTEX_INITIALIZER;

static void reap_leftovers(void)
{
	pthread_mutex_lock(&unreaped_lock);
	for (size_t i = 0; i < n_unreaped;)
		if (waitpid(unreaped[i], NULL, WNOHANG) != 0)
			unreaped[i] = unreaped[--n_unreaped];
		else
			i++;
	pthread_mutex_unlock(&unreaped_lock);
}

static int sys_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

/* Same start time, and not a zombie: a stopped container's init lingers
 * as one until the runtime deletes it, with no namespace left. */
static bool record_alive(int proc_fd, const struct pv_record *r)
{
	_cleanup_free_ char *text = NULL;
	char path[32], state;
	uint64_t st;

	snprintf(path, sizeof(path), "%d/stat", (int)r->pid);
	if (read_file_at(proc_fd, path, 4096, &text) < 0 || proc_parse_starttime(text, &st) < 0 ||
	    proc_parse_state(text, &state) < 0)
		return false;
	return st == r->starttime && state != 'Z' && state != 'X';
}

/* In a forked worker (single-threaded, so setns needs no unshare): every
 * step that may touch the container's mounts, a hung FUSE mount included,
 * happens here, where the parent can kill it. */
static void worker_main(const struct heal_job *job, const struct pv_record *r, int pidfd,
			int out)
{
	struct worker_report rep = { 0 };
	const char *files[ATTACH_MAX_FILES];
	size_t n = MIN(r->n_files, (size_t)ATTACH_MAX_FILES);
	char src[4096];

	for (size_t i = 0; i < n; i++)
		files[i] = r->files[i];
	rep.ret = attach_src_dir(job->mnt, r->pid, r->starttime, src, sizeof(src));
	if (rep.ret == 0)
		rep.ret = attach_views(r->pid, r->rootfs ? r->rootfs : "/", src, files, n,
				       ATTACH_ALLOW_FUSE, &rep.res);
	/* The pidfd was opened before the start time was checked: if its
	 * process still lives, the pid never changed hands meanwhile. */
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		rep.reused = true;
	(void)!write(out, &rep, sizeof(rep));
	_exit(0);
}

/* Wait for a worker's report, at most timeout_ms; kill it past that. */
static int await_worker(pid_t pid, int rfd, unsigned timeout_ms, struct worker_report *rep)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	ssize_t n = -1;
	int pr;

	do
		pr = poll(&p, 1, (int)timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr > 0)
		n = read(rfd, rep, sizeof(*rep));
	if (n != (ssize_t)sizeof(*rep))
		kill(pid, SIGKILL);
	/* A worker blocked in a FUSE request dies on SIGKILL; give it a
	 * second, then leave it for the next heal rather than wait. */
	for (int i = 0; waitpid(pid, NULL, WNOHANG) == 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (i == 100) {
			pthread_mutex_lock(&unreaped_lock);
			if (n_unreaped < ARRAY_SIZE(unreaped))
				unreaped[n_unreaped++] = pid;
			pthread_mutex_unlock(&unreaped_lock);
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (n == (ssize_t)sizeof(*rep))
		return 0;
	return pr == 0 ? -ETIMEDOUT : -EIO;
}

static int heal_one(const struct pv_record *r, void *data)
{
	struct heal_job *job = data;
	struct worker_report rep;
	_cleanup_close_ int pidfd = -1, rfd = -1, wfd = -1;
	size_t n = MIN(r->n_files, (size_t)ATTACH_MAX_FILES);
	int p[2], ret;
	pid_t pid;

	if (!r->mountpoint || !mountpoint_same(r->mountpoint, job->mnt))
		return 0; /* another daemon's container */
	/* Pin the process first, then check it is the recorded one. */
	pidfd = r->pid > 0 ? sys_pidfd_open(r->pid) : -ESRCH;
	if ((pidfd < 0 && pidfd != -ENOSYS) || !record_alive(job->proc_fd, r)) {
		if (record_remove_if(job->dir, r->id, r->pid, r->starttime) == 0)
			job->st.forgotten++;
		return 0;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	rfd = p[0];
	wfd = p[1];
	job->st.containers++;
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_WARNING, "heal %s: fork: %s", r->id, strerror(errno));
		job->st.failed += (unsigned)n;
		return 0;
	}
	if (pid == 0) {
		/* Keep only the pipe and the pidfd: a worker stuck in someone's
		 * FUSE mount must not hold our /dev/fuse fds (they would keep a
		 * dead daemon's mounts hanging instead of failing). */
		int w = fcntl(wfd, F_DUPFD_CLOEXEC, 1000);
		int pf = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 1000) : -1;

		if (w < 0)
			_exit(1);
		syscall(SYS_close_range, 3, 999, 0);
		syscall(SYS_close_range, (unsigned)MAX(w, pf) + 1, ~0U, 0);
		worker_main(job, r, pf, w);
	}
	close(TAKE_FD(wfd));
	atomic_store(&current_worker, pid);
	ret = await_worker(pid, rfd, job->timeout_ms, &rep);
	atomic_store(&current_worker, 0);
	if (ret == 0)
		ret = rep.ret;
	if (ret == -ETIMEDOUT) {
		log_msg(LOG_WARNING, "heal %s (pid %d): no answer within %u ms (a hung mount in the container?); skipped",
			r->id, (int)r->pid, job->timeout_ms);
		job->st.failed += (unsigned)n;
		return 0;
	}
	if (ret < 0) {
		log_msg(LOG_WARNING, "heal %s (pid %d): %s", r->id, (int)r->pid, strerror(-ret));
		job->st.failed += (unsigned)n;
		return 0;
	}
	if (rep.reused)
		log_msg(LOG_WARNING, "heal %s: pid %d exited during the attach", r->id, (int)r->pid);
	job->st.attached += (unsigned)rep.res.n_attached;
	for (size_t i = 0; i < n; i++)
		if (rep.res.err[i]) {
			job->st.failed++;
			log_msg(LOG_WARNING, "heal %s: /%s: %s", r->id, r->files[i],
				strerror(-rep.res.err[i]));
		}
	return 0;
}

static int run(struct heal_job *job)
{
	int r;

	reap_leftovers();
	job->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (job->proc_fd < 0)
		return -errno;
	r = record_foreach(job->dir, heal_one, job, NULL);
	close(job->proc_fd);
	return r == -ENOENT ? 0 : r < 0 ? r : 0;
}

int heal_all(const char *mnt, const char *record_dir, unsigned timeout_ms,
	     struct heal_stats *st)
{
	struct heal_job job = { .mnt = (char *)mnt, .dir = (char *)record_dir,
				.timeout_ms = timeout_ms };
	int r = run(&job);

	*st = job.st;
	return r;
}

static void *heal_thread(void *arg)
{
	struct heal_job *job = arg;
	int r = run(job);

	if (r < 0)
		log_msg(LOG_WARNING, "heal: %s: %s", job->dir, strerror(-r));
	else if (job->st.attached || job->st.failed || job->st.forgotten)
		log_msg(LOG_INFO, "healed %u containers (%u files), %u failed, %u records of dead containers removed",
			job->st.containers, job->st.attached, job->st.failed, job->st.forgotten);
	if (job->replace_pid > 0) {
		/* Everything is covered by our mounts now; the old daemon drains
		 * what it has in flight and exits without unmounting. */
		log_msg(LOG_INFO, "replacing procviewd pid %d", (int)job->replace_pid);
		kill(job->replace_pid, SIGUSR1);
	}
	free(job->mnt);
	free(job->dir);
	free(job);
	return NULL;
}

int heal_start(const char *mnt, const char *record_dir, unsigned timeout_ms, pid_t replace_pid)
{
	struct heal_job *job = calloc(1, sizeof(*job));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!job)
		return -ENOMEM;
	job->mnt = strdup(mnt);
	job->dir = strdup(record_dir);
	job->timeout_ms = timeout_ms;
	job->replace_pid = replace_pid;
	if (!job->mnt || !job->dir) {
		r = ENOMEM;
		goto fail;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, heal_thread, job);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return 0;
fail:
	free(job->mnt);
	free(job->dir);
	free(job);
	return -r;
}

void heal_cancel(void)
{
	pid_t pid = atomic_load(&current_worker);

	if (pid > 0)
		kill(pid, SIGKILL);
}
