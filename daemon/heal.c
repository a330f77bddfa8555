#include "heal.h"
#include "attach.h"
#include "fileio.h"
#include "log.h"
#include "mountpoint.h"
#include "procfs.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

struct heal_job {
	const char *mnt;
	struct heal_stats st;
	int proc_fd;
};

/* Same pid and start time, and not a zombie: a stopped container's init
 * lingers as one until the runtime deletes it, with no namespace left. */
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

static int heal_one(const struct pv_record *r, void *data)
{
	struct heal_job *job = data;
	struct attach_result res;
	char src[4096];
	const char *files[ATTACH_MAX_FILES];
	size_t n = MIN(r->n_files, (size_t)ATTACH_MAX_FILES);
	int ret;

	if (!r->mountpoint || !mountpoint_same(r->mountpoint, job->mnt))
		return 0; /* another daemon's container */
	if (!record_alive(job->proc_fd, r)) {
		if (record_remove_if(RECORD_DIR, r->id, r->pid, r->starttime) == 0)
			job->st.forgotten++;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		files[i] = r->files[i];
	if (attach_src_dir(job->mnt, r->pid, r->starttime, src, sizeof(src)) < 0)
		return 0;
	job->st.containers++;
	ret = attach_views(r->pid, r->rootfs ? r->rootfs : "/", src, files, n, ATTACH_ALLOW_FUSE,
			   &res);
	if (ret == -ENOTRECOVERABLE)
		return ret; /* this thread is stranded in a container: stop */
	if (ret < 0) {
		log_msg(LOG_WARNING, "heal %s (pid %d): %s", r->id, (int)r->pid, strerror(-ret));
		job->st.failed += (unsigned)n;
		return 0;
	}
	job->st.attached += (unsigned)res.n_attached;
	for (size_t i = 0; i < n; i++)
		if (res.err[i]) {
			job->st.failed++;
			log_msg(LOG_WARNING, "heal %s: /%s: %s", r->id, files[i], strerror(-res.err[i]));
		}
	return 0;
}

/* setns(CLONE_NEWNS) needs an fs_struct of our own: this thread unshares
 * it, so the rest of the daemon never changes namespace. */
static void *heal_thread(void *arg)
{
	struct heal_job *job = arg;

	if (unshare(CLONE_FS) < 0) {
		log_msg(LOG_ERR, "heal: unshare(CLONE_FS): %s", strerror(errno));
		return NULL;
	}
	record_foreach(RECORD_DIR, heal_one, job, NULL);
	return NULL;
}

int heal_all(const char *mnt, struct heal_stats *st)
{
	struct heal_job job = { .mnt = mnt };
	pthread_t t;
	int r;

	job.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (job.proc_fd < 0)
		return -errno;
	r = pthread_create(&t, NULL, heal_thread, &job);
	if (r == 0)
		pthread_join(t, NULL);
	close(job.proc_fd);
	*st = job.st;
	return -r;
}
