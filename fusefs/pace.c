#include "pace.h"
#include "procfs.h"
#include "slots.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct deferred {
	struct deferred *next;
	int64_t due_us;
	void (*fn)(void *arg);
	void *arg;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static struct deferred *queue; /* sorted by due_us */
static bool started;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t pace_delay_us(struct slot *s)
{
	const int64_t step = 1000000 / PACE_RATE, window = step * PACE_BURST;
	int64_t now = now_us(), next, delay;

	pthread_mutex_lock(&s->lock);
	next = s->pace_next_us < now - window ? now - window : s->pace_next_us;
	next += step;
	s->pace_next_us = next;
	pthread_mutex_unlock(&s->lock);
	delay = next - now;
	return delay > 0 ? delay : 0;
}

static void *pacer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct deferred *d = queue;
		int64_t now = now_us();

		if (!d) {
			pthread_cond_wait(&cond, &lock);
			continue;
		}
		if (d->due_us > now) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (d->due_us - now) / 1000000;
			ts.tv_nsec += ((d->due_us - now) % 1000000) * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&cond, &lock, &ts);
			continue;
		}
		queue = d->next;
		pthread_mutex_unlock(&lock);
		d->fn(d->arg);
		free(d);
		pthread_mutex_lock(&lock);
	}
	return NULL;
}

static int start_locked(void)
{
	pthread_condattr_t ca;
	pthread_t t;
	int r;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&t, NULL, pacer_main, NULL);
	if (r)
		return -r;
	pthread_detach(t);
	started = true;
	return 0;
}

int pace_defer(int64_t delay_us, void (*fn)(void *arg), void *arg)
{
	struct deferred *d = malloc(sizeof(*d)), **pp;
	int r = 0;

	if (!d)
		return -ENOMEM;
	d->due_us = now_us() + delay_us;
	d->fn = fn;
	d->arg = arg;
	pthread_mutex_lock(&lock);
	if (!started)
		r = start_locked();
	if (r < 0) {
		pthread_mutex_unlock(&lock);
		free(d);
		return r;
	}
	for (pp = &queue; *pp && (*pp)->due_us <= d->due_us; pp = &(*pp)->next)
		;
	d->next = *pp;
	*pp = d;
	if (queue == d)
		pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return 0;
}
