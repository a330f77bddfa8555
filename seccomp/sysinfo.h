/* Answering: sysinfo(2) for the caller's container, from the model. */
#pragma once
#include <stdatomic.h>

#include "notify.h"
#include "resolve.h"
#include "view.h"

struct sc_sysinfo {
	const struct view_ctx *ctx;
	struct resolver *resolver; /* the per-reader cache FUSE uses too */
	unsigned staleness_ms;     /* meminfo rendering shared for this long */
	atomic_ulong answered, continued, gone;
};

/* An sc_answer_fn; data is a struct sc_sysinfo. */
void sc_sysinfo_answer(void *data, int notify_fd, const struct sc_filter_info *f,
		       const struct seccomp_notif *n);
