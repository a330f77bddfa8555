/* Answering: sysinfo(2) for the caller's container, from the model. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>

#include "notify.h"
#include "relay.h"
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

/* The caller's struct sysinfo (0), or why the kernel should answer
 * instead (< 0). Touches nothing of the caller's. */
int sc_sysinfo_compute(struct sc_sysinfo *s, const struct seccomp_notif *n, struct sysinfo *si);
/* Write si into the caller and let its syscall return 0, if the
 * notification is still live (SECCOMP_IOCTL_NOTIF_ID_VALID) right
 * before the write. 0, -ENOENT (caller gone), -EFAULT. */
int sc_deliver(int notify_fd, const struct seccomp_notif *n, const struct sysinfo *si);
/* The renderer's side of relay.h: answer requests on chan until EOF. */
void sc_sysinfo_serve(struct sc_sysinfo *s, int chan);

/* An sc_answer_fn for one process holding and answering; data is a
 * struct sc_sysinfo. */
void sc_sysinfo_answer(void *data, int notify_fd, const struct sc_filter_info *f,
		       const struct seccomp_notif *n);
