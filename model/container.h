/* A resolved container: where its cgroups are, when it started, and the
 * small state that must survive between reads (stat monotonicity, load
 * average). Shared by the per-reader cache and the per-container tree. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "render.h"

struct container {
	atomic_int refs;
	struct cg_paths paths;
	char *cgroup_text;  /* /proc/<pid>/cgroup as read; cache identity */
	uint64_t pidns_ino; /* the reader's pid namespace (0 for registered) */
	bool host_pidns;    /* uptime is the host's */
	pid_t init_pid;     /* host pid of the namespace's init; 0 unknown */
	uint64_t start_ticks; /* init's starttime, clock ticks since boot */

	pthread_mutex_t lock; /* guards the fields below */
	struct stat_mono *mono; /* allocated on the first stat read: 6 KB */
	struct loadavg_state load;
	int64_t last_read_ms; /* CLOCK_MONOTONIC ms; the sampler only samples recent ones */
	int64_t last_sample_ms;
	int procs_blocked;

	/* Rendered files, reused for --staleness ms by per-reader opens. */
	pthread_mutex_t snap_lock;
	struct {
		char *data;
		size_t len;
		int64_t tick;
	} snaps[16];
};

struct container *container_ref(struct container *c);
void container_unref(struct container *c);
/* Build a container from a pid's cgroup text; init/start filled by caller. */
struct container *container_new(const struct cg_root *root, const char *cgroup_text);
void container_touch(struct container *c);
/* A copy of view's bytes no older than one tick, rendered by render(ctx,
 * c, view, out) when stale. */
int container_snapshot(struct container *c, int view, int64_t tick,
		       int (*render)(const void *ctx, struct container *c, int view, struct buf *out),
		       const void *ctx, char **data, size_t *len);
