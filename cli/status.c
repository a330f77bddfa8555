/* procview status: one line per fact, exit 0 when the daemon answers on
 * the mountpoint and 3 when it does not. */
#include "cli.h"
#include "fileio.h"
#include "mountpoint.h"
#include "procfs.h"
#include "record.h"
#include "runstate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ANSWER_TIMEOUT_MS 2000

struct count_job {
	const char *mnt;
	int proc_fd;
	unsigned alive;
};

/* Alive as heal sees it: same start time, and not a zombie (a stopped
 * container's init lingers as one until the runtime deletes it). */
static int count_one(const struct pv_record *r, void *data)
{
	struct count_job *job = data;
	_cleanup_free_ char *text = NULL;
	char path[32], state;
	uint64_t st;

	if (!r->mountpoint || strcmp(r->mountpoint, job->mnt) != 0)
		return 0;
	snprintf(path, sizeof(path), "%d/stat", (int)r->pid);
	if (read_file_at(job->proc_fd, path, 4096, &text) < 0 ||
	    proc_parse_starttime(text, &st) < 0 || proc_parse_state(text, &state) < 0)
		return 0;
	if (st == r->starttime && state != 'Z' && state != 'X')
		job->alive++;
	return 0;
}

static void print_containers(const char *mnt, const char *dir)
{
	struct count_job job = { .mnt = mnt };
	int r;

	job.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (job.proc_fd < 0) {
		printf("containers: unknown (/proc: %s)\n", strerror(errno));
		return;
	}
	r = record_foreach(dir, count_one, &job, NULL);
	close(job.proc_fd);
	if (r == -ENOENT)
		printf("containers: 0\n"); /* no hook has run since boot */
	else if (r < 0)
		printf("containers: unknown (%s: %s)\n", dir, strerror(-r));
	else
		printf("containers: %u\n", job.alive);
}

static void format_duration(int64_t s, char *out, size_t size)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, size, "%lldd %lldh %lldm", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600), (long long)(s % 3600 / 60));
	else if (s >= 3600)
		snprintf(out, size, "%lldh %lldm %llds", (long long)(s / 3600),
			 (long long)(s % 3600 / 60), (long long)(s % 60));
	else if (s >= 60)
		snprintf(out, size, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, size, "%llds", (long long)s);
}

static void print_daemon(const char *mnt)
{
	struct daemon_info info;
	char when[64], age[64];
	time_t started;
	struct tm tm;

	if (pidfile_read(mnt, &info) < 0 || (kill(info.pid, 0) < 0 && errno == ESRCH)) {
		printf("pid: unknown (no pid file for this mountpoint in " PROCVIEW_RUNDIR ")\n");
		return;
	}
	printf("pid: %d\n", (int)info.pid);
	/* The holder keeps the mounts; the renderer answers and may be
	 * restarted under it. */
	if (info.renderer > 0 && kill(info.renderer, 0) == 0)
		printf("renderer pid: %d\n", (int)info.renderer);
	else if (info.renderer > 0)
		printf("renderer pid: none (pid %d gone; the holder restarts it)\n", (int)info.renderer);
	printf("version: %s\n", info.version);
	started = (time_t)info.started;
	format_duration((int64_t)time(NULL) - info.started, age, sizeof(age));
	if (localtime_r(&started, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm))
		printf("uptime: %s (since %s)\n", age, when);
	else
		printf("uptime: %s\n", age);
}

int cmd_status(const struct cli_opts *o, int argc, char **argv)
{
	int r = mountpoint_answers(o->mountpoint, ANSWER_TIMEOUT_MS);

	(void)argc;
	(void)argv;
	switch (r) {
	case 0:
		printf("procviewd: running\n");
		break;
	case -ENOENT:
		printf("procviewd: not running (no procview mount)\n");
		break;
	case -ENOTCONN:
		printf("procviewd: not running (stale mount: the daemon is gone)\n");
		break;
	case -ETIMEDOUT:
		printf("procviewd: not answering (no reply within %d ms)\n", ANSWER_TIMEOUT_MS);
		break;
	default:
		printf("procviewd: not answering (%s)\n", strerror(-r));
	}
	printf("mountpoint: %s\n", o->mountpoint);
	if (r == 0)
		print_daemon(o->mountpoint);
	print_containers(o->mountpoint, o->record_dir);
	return r == 0 ? CLI_OK : CLI_NOT_RUNNING;
}
