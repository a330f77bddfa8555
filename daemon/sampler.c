#include "sampler.h"
#include "fs.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PERIOD_S 5
/* Per-reader entries idle this long are dropped (those of containers
 * whose namespace init exits go at once; see resolve.h for the cap). */
#define IDLE_MS (10 * 60 * 1000)

struct collect {
	struct container **v;
	size_t n, cap;
};

static void collect_one(struct container *c, void *data)
{
	struct collect *k = data;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct container **v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = container_ref(c);
}

static void log_fallbacks(struct sampler *s)
{
	struct view_stats *st = s->ctx->stats;
	unsigned n;

	if (!st)
		return;
	n = atomic_load(&st->fallbacks);
	if (n == s->fallbacks_seen)
		return;
	log_msg(LOG_WARNING, "%u renders fell back to the host's file in the last %d s (last: %s: %s)",
		n - s->fallbacks_seen, PERIOD_S,
		view_files[atomic_load(&st->last_view) % V_COUNT].path,
		strerror(-atomic_load(&st->last_err)));
	s->fallbacks_seen = n;
}

/* Every 5 s, like the kernel: sample only containers read recently so
 * an idle host costs nothing. */
static void *sampler_main(void *arg)
{
	struct sampler *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		struct collect k = { 0 };
		struct timespec ts;
		bool load = s->ctx->loadavg;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += PERIOD_S;
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		resolver_sweep(s->resolver, IDLE_MS, load ? collect_one : NULL, &k);
		fs_containers_sweep(load ? collect_one : NULL, &k);
		view_sample_load_all(s->ctx, k.v, k.n);
		for (size_t i = 0; i < k.n; i++)
			container_unref(k.v[i]);
		free(k.v);
		log_fallbacks(s);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int sampler_start(struct sampler *s, const struct view_ctx *ctx, struct resolver *r)
{
	int e;

	*s = (struct sampler){ .ctx = ctx, .resolver = r };
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	e = pthread_create(&s->thread, NULL, sampler_main, s);
	return -e;
}

void sampler_stop(struct sampler *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
}
