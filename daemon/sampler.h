/* The daemon's 5-second housekeeping thread: drop dead and idle
 * containers from both caches, sample load averages (each cgroup once),
 * and log renderer fallbacks, at most one line per period. */
#pragma once
#include <pthread.h>
#include <stdbool.h>

#include "resolve.h"
#include "view.h"

struct sampler {
	const struct view_ctx *ctx;
	struct resolver *resolver;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	pthread_t thread;
	unsigned fallbacks_seen;
};

/* 0 or negative errno (the thread could not be created). */
int sampler_start(struct sampler *s, const struct view_ctx *ctx, struct resolver *r);
void sampler_stop(struct sampler *s);
