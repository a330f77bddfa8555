#include "relay.h"
#include "sysinfo.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct chan {
	int fd;	   /* -1: no renderer */
	bool busy; /* a listener thread has it */
	bool dead; /* EOF seen: its renderer is gone */
};

struct sc_relay {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a channel became usable */
	struct chan ch[SC_RELAY_CHANNELS];
	/* Since when the renderer is gone (EOF on a channel), 0 once one
	 * answers: callers queued behind others wait for the next renderer
	 * no longer than the first one did, however many came meanwhile. */
	atomic_llong trouble_since;
	atomic_ulong seq, answered, continued, resent;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sc_relay *sc_relay_new(void)
{
	struct sc_relay *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	for (int i = 0; i < SC_RELAY_CHANNELS; i++)
		r->ch[i].fd = -1;
	return r;
}

void sc_relay_free(struct sc_relay *r)
{
	if (!r)
		return;
	for (int i = 0; i < SC_RELAY_CHANNELS; i++)
		if (r->ch[i].fd >= 0)
			close(r->ch[i].fd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void sc_relay_attach(struct sc_relay *r, const int chans[SC_RELAY_CHANNELS])
{
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < SC_RELAY_CHANNELS; i++) {
		/* A busy channel's old fd is closed by its user on release. */
		if (r->ch[i].fd >= 0 && !r->ch[i].busy)
			close(r->ch[i].fd);
		r->ch[i] = (struct chan){ .fd = chans[i], .busy = r->ch[i].busy };
	}
	atomic_store(&r->trouble_since, 0);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* A usable channel, or -1 once deadline has passed. */
static int take(struct sc_relay *r, int64_t deadline, int *fd)
{
	struct timespec ts = { .tv_sec = deadline / 1000, .tv_nsec = deadline % 1000 * 1000000 };
	int k = -1;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		for (int i = 0; i < SC_RELAY_CHANNELS && k < 0; i++)
			if (r->ch[i].fd >= 0 && !r->ch[i].busy && !r->ch[i].dead)
				k = i;
		if (k >= 0 || pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (k >= 0) {
		r->ch[k].busy = true;
		*fd = r->ch[k].fd;
	}
	pthread_mutex_unlock(&r->lock);
	return k;
}

/* Give channel k back; dead: its renderer is gone (EOF). A channel that
 * timed out stays usable: a late answer is skipped by its sequence. */
static void give_back(struct sc_relay *r, int k, int fd, bool dead)
{
	bool stale;

	pthread_mutex_lock(&r->lock);
	stale = r->ch[k].fd != fd; /* replaced while we used it */
	r->ch[k].busy = false;
	if (!stale && dead)
		r->ch[k].dead = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (stale)
		close(fd);
}

/* 1: resp holds the answer; 0: the renderer died (try the next); -1: out
 * of time. */
static int ask(int fd, const struct sc_relay_req *req, struct sc_relay_resp *resp,
	       int64_t deadline)
{
	if (send(fd, req, sizeof(*req), MSG_NOSIGNAL) != (ssize_t)sizeof(*req))
		return 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recv(fd, resp, sizeof(*resp), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 0;
		/* A late answer to a request that timed out earlier: skip it. */
		if (n == (ssize_t)sizeof(*resp) && resp->seq == req->seq)
			return 1;
	}
}

void sc_relay_answer(void *data, int notify_fd, const struct sc_filter_info *f,
		     const struct seccomp_notif *n)
{
	struct sc_relay *r = data;
	struct sc_relay_req req = { .seq = atomic_fetch_add(&r->seq, 1) + 1, .n = *n };
	struct sc_relay_resp resp;
	int64_t deadline = now_ms() + SC_RELAY_WAIT_MS;
	int got = -1, tries = 0;

	(void)f;
	for (;;) {
		long long since = atomic_load(&r->trouble_since);
		int64_t wait_until = deadline;
		int fd, k;

		if (since && since + SC_RELAY_WAIT_MS < wait_until)
			wait_until = since + SC_RELAY_WAIT_MS;
		k = take(r, wait_until, &fd);
		if (k < 0)
			break;
		got = ask(fd, &req, &resp, deadline);
		give_back(r, k, fd, got == 0);
		if (got == 1)
			atomic_store(&r->trouble_since, 0);
		if (got != 0)
			break;
		since = 0;
		atomic_compare_exchange_strong(&r->trouble_since, &since, (long long)now_ms());
		/* Its renderer died with our request: the next one gets it. */
		if (tries++ == 0)
			atomic_fetch_add(&r->resent, 1);
	}
	if (got == 1 && resp.verdict == 0) {
		if (sc_deliver(notify_fd, n, &resp.si) != -EFAULT) {
			atomic_fetch_add(&r->answered, 1);
			return;
		}
	}
	atomic_fetch_add(&r->continued, 1);
	(void)sc_respond_continue(notify_fd, n->id);
}

void sc_relay_stats(struct sc_relay *r, unsigned long *answered, unsigned long *continued,
		    unsigned long *resent)
{
	*answered = atomic_load(&r->answered);
	*continued = atomic_load(&r->continued);
	*resent = atomic_load(&r->resent);
}
