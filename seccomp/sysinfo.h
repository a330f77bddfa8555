/* Answering: sysinfo(2) for the caller's container, from the model. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>

#include "notify.h"
#include "resolve.h"
#include "view.h"

struct sc_sysinfo {
	const struct view_ctx *ctx;
	struct resolver *resolver; /* the per-reader cache FUSE uses too */
	unsigned staleness_ms;     /* meminfo rendering shared for this long */
	atomic_ulong answered, continued, gone;
	/* A caller that loops on sysinfo costs one /proc/<pid>/cgroup read
	 * per staleness tick, not one per call. Direct-mapped by pid. */
	struct sc_pid_cache {
		pthread_mutex_t lock;
		pid_t pid;
		int64_t tick;
		struct container *c;
	} cache[256];
};

void sc_sysinfo_init(struct sc_sysinfo *s, const struct view_ctx *ctx, struct resolver *r,
		     unsigned staleness_ms);
void sc_sysinfo_fini(struct sc_sysinfo *s);

/* An sc_answer_fn; data is a struct sc_sysinfo. */
void sc_sysinfo_answer(void *data, int notify_fd, const struct sc_filter_info *f,
		       const struct seccomp_notif *n);
