#include "fuse_relay.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#define BUCKETS 1024
/* Requests taken from one kernel queue per wake-up: the other connection
 * and the answers get their turn. */
#define READ_BATCH 64
/* A reply may carry a whole read; let the renderer's end queue a few. */
#define CHANNEL_SNDBUF (4 << 20)

struct req {
	struct req *prev, *next; /* arrival order: INIT first on a resend */
	struct req *hnext;	 /* bucket chain, by unique */
	uint64_t unique;
	uint32_t len, opcode;
	unsigned tries; /* channels it was sent on */
	bool sent;	/* on the current channel */
	unsigned char data[];
};

struct rconn {
	int fuse; /* -1: not relayed (yet) */
	int sock; /* the current renderer's channel, -1: none */
	bool fuse_dead;
	struct req *head, *tail, *bucket[BUCKETS];
	size_t count, unsent;
};

struct fuse_relay {
	pthread_t thread;
	int wake; /* eventfd: commands below changed */
	unsigned char *buf;
	size_t bufsize;
	struct rconn c[LEDGER_CONNS];

	/* The thread's own: a drain in progress (0: none), and whether one
	 * has finished (then the kernel is never read again). */
	int64_t draining_until;
	bool quiet;
	bool warned_write;

	pthread_mutex_t lock; /* the commands and the drain's outcome */
	pthread_cond_t cond;
	int new_fuse[LEDGER_CONNS], new_sock[LEDGER_CONNS];
	bool stop;
	int64_t drain_until; /* a drain asked for, until then */
	bool drained;
	bool done; /* the thread has returned */
	int drain_failed;

	/* Counted on the hot path: no lock. */
	atomic_ulong requests, resent, failed;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct req **bucket_of(struct rconn *c, uint64_t unique)
{
	return &c->bucket[(unique >> 1) % BUCKETS];
}

static void req_unlink(struct rconn *c, struct req *q)
{
	struct req **pp = bucket_of(c, q->unique);

	while (*pp && *pp != q)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = q->hnext;
	if (q->prev)
		q->prev->next = q->next;
	else
		c->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		c->tail = q->prev;
	if (!q->sent)
		c->unsent--;
	c->count--;
	free(q);
}

static struct req *req_find(struct rconn *c, uint64_t unique)
{
	struct req *q = *bucket_of(c, unique);

	while (q && q->unique != unique)
		q = q->hnext;
	return q;
}

static void to_kernel(struct fuse_relay *r, struct rconn *c, const void *msg, size_t len)
{
	if (write(c->fuse, msg, len) < 0 && errno != ENOENT) {
		/* ENOENT: the caller was interrupted, or a replayed INIT. */
		if (errno == ENODEV)
			c->fuse_dead = true;
		else if (!r->warned_write) {
			r->warned_write = true;
			log_msg(LOG_WARNING, "fuse relay: the kernel refused an answer: %s",
				strerror(errno));
		}
	}
}

/* Answer q ourselves with -err and forget it. */
static void fail_req(struct fuse_relay *r, struct rconn *c, struct req *q, int err)
{
	struct fuse_out_header out = { .len = sizeof(out), .error = -err, .unique = q->unique };

	to_kernel(r, c, &out, sizeof(out));
	req_unlink(c, q);
	atomic_fetch_add(&r->failed, 1);
}

/* No answer ever comes for these. */
static bool expects_reply(uint32_t opcode)
{
	return opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT;
}

/* Send what waits, in arrival order, until the channel is full. */
static void flush(struct fuse_relay *r, struct rconn *c)
{
	struct req *q = c->head, *next;

	while (q && c->unsent && c->sock >= 0) {
		next = q->next;
		if (!q->sent) {
			if (send(c->sock, q->data, q->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				return; /* full (POLLOUT) or the renderer is gone (EOF) */
			if (q->tries++)
				atomic_fetch_add(&r->resent, 1);
			q->sent = true;
			c->unsent--;
			if (!expects_reply(q->opcode))
				req_unlink(c, q);
		}
		q = next;
	}
}

/* The renderer's messages: answers to requests, and notifications
 * (unique 0), both for the kernel. Returns false at EOF. */
static bool from_renderer(struct fuse_relay *r, struct rconn *c, int sock)
{
	for (;;) {
		ssize_t n = recv(sock, r->buf, r->bufsize, MSG_DONTWAIT);
		const struct fuse_out_header *out = (const void *)r->buf;
		struct req *q;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return false;
		if ((size_t)n < sizeof(*out))
			continue;
		if (out->unique && (q = req_find(c, out->unique)))
			req_unlink(c, q);
		to_kernel(r, c, r->buf, (size_t)n);
	}
}

/* The channel's renderer is gone (EOF, or a new channel replaces it after
 * its death): everything it was sent goes to the next one. */
static void channel_lost(struct fuse_relay *r, struct rconn *c)
{
	struct req *q = c->head, *next;

	if (c->sock >= 0) {
		(void)from_renderer(r, c, c->sock); /* its last answers */
		close(c->sock);
		c->sock = -1;
	}
	for (; q; q = next) {
		next = q->next;
		if (!q->sent)
			continue;
		q->sent = false;
		c->unsent++;
		if (q->tries >= FUSE_RELAY_MAX_TRIES) {
			log_msg(LOG_ERR, "fuse relay: a request (opcode %u) was in flight at %u renderer deaths; failing it with EIO",
				q->opcode, q->tries);
			fail_req(r, c, q, EIO);
		}
	}
}

static void from_kernel(struct fuse_relay *r, struct rconn *c)
{
	for (int i = 0; i < READ_BATCH && !c->unsent && c->count < FUSE_RELAY_MAX_INFLIGHT; i++) {
		ssize_t n = read(c->fuse, r->buf, r->bufsize);
		const struct fuse_in_header *in = (const void *)r->buf;
		struct req *q;

		if (n < 0) {
			if (errno == ENODEV)
				c->fuse_dead = true; /* unmounted or aborted */
			if (errno == EINTR || errno == ENOENT)
				continue;
			return;
		}
		if ((size_t)n < sizeof(*in))
			return;
		q = malloc(sizeof(*q) + (size_t)n);
		if (!q) {
			struct fuse_out_header out = { .len = sizeof(out), .error = -ENOMEM,
						       .unique = in->unique };

			if (expects_reply(in->opcode))
				to_kernel(r, c, &out, sizeof(out));
			continue;
		}
		*q = (struct req){ .prev = c->tail, .unique = in->unique, .len = (uint32_t)n,
				   .opcode = in->opcode };
		memcpy(q->data, r->buf, (size_t)n);
		if (c->tail)
			c->tail->next = q;
		else
			c->head = q;
		c->tail = q;
		if (expects_reply(q->opcode)) {
			struct req **b = bucket_of(c, q->unique);

			q->hnext = *b;
			*b = q;
		}
		c->count++;
		c->unsent++;
		atomic_fetch_add(&r->requests, 1);
		flush(r, c);
	}
}

/* Take the main thread's commands. Returns false to stop. */
static bool commands(struct fuse_relay *r)
{
	uint64_t v;
	int fuse[LEDGER_CONNS], sock[LEDGER_CONNS];
	bool stop;

	(void)!read(r->wake, &v, sizeof(v));
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < LEDGER_CONNS; i++) {
		fuse[i] = r->new_fuse[i];
		sock[i] = r->new_sock[i];
		r->new_fuse[i] = r->new_sock[i] = -1;
	}
	stop = r->stop;
	if (r->drain_until) {
		r->draining_until = r->drain_until;
		r->drain_until = 0;
	}
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < LEDGER_CONNS; i++) {
		struct rconn *c = &r->c[i];

		if (fuse[i] >= 0)
			c->fuse = fuse[i];
		if (sock[i] >= 0) {
			channel_lost(r, c);
			c->sock = sock[i];
			flush(r, c);
		}
	}
	return !stop;
}

static void drain_check(struct fuse_relay *r)
{
	size_t left = 0;
	int failed = 0;

	for (int i = 0; i < LEDGER_CONNS; i++)
		left += r->c[i].count;
	if (left && now_ms() < r->draining_until)
		return;
	for (int i = 0; i < LEDGER_CONNS; i++)
		while (r->c[i].head) {
			fail_req(r, &r->c[i], r->c[i].head, EIO);
			failed++;
		}
	r->draining_until = 0;
	r->quiet = true;
	pthread_mutex_lock(&r->lock);
	r->drained = true;
	r->drain_failed = failed;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *relay_main(void *arg)
{
	struct fuse_relay *r = arg;

	for (;;) {
		struct pollfd p[1 + 2 * LEDGER_CONNS];
		int timeout = -1;

		p[0] = (struct pollfd){ .fd = r->wake, .events = POLLIN };
		for (int i = 0; i < LEDGER_CONNS; i++) {
			struct rconn *c = &r->c[i];
			bool take = c->fuse >= 0 && !c->fuse_dead && c->sock >= 0 && !c->unsent &&
				    c->count < FUSE_RELAY_MAX_INFLIGHT && !r->draining_until && !r->quiet;

			p[1 + 2 * i] = (struct pollfd){ .fd = take ? c->fuse : -1, .events = POLLIN };
			p[2 + 2 * i] = (struct pollfd){ .fd = c->sock,
							.events = POLLIN | (c->unsent ? POLLOUT : 0) };
		}
		if (r->draining_until)
			timeout = 20;
		if (poll(p, ARRAY_SIZE(p), timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents && !commands(r))
			break;
		for (int i = 0; i < LEDGER_CONNS; i++) {
			struct rconn *c = &r->c[i];

			if (c->sock >= 0 && p[2 + 2 * i].fd == c->sock && p[2 + 2 * i].revents) {
				if (!from_renderer(r, c, c->sock))
					channel_lost(r, c);
				else
					flush(r, c);
			}
			if (p[1 + 2 * i].revents && p[1 + 2 * i].fd == c->fuse)
				from_kernel(r, c);
			/* The kernel ended the connection: the renderer is told by
			 * EOF, exits, and the holder sees the mount is gone. */
			if (c->fuse_dead && c->sock >= 0) {
				close(c->sock);
				c->sock = -1;
			}
		}
		if (r->draining_until)
			drain_check(r);
	}
	/* Nobody may wait on a drain this thread will never finish. */
	pthread_mutex_lock(&r->lock);
	r->done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int fuse_relay_new(struct fuse_relay **out)
{
	struct fuse_relay *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	int e;

	if (!r)
		return -ENOMEM;
	/* As big as libfuse's own buffer: the kernel refuses a read smaller
	 * than its largest request. */
	r->bufsize = 256 * (size_t)sysconf(_SC_PAGESIZE) + 8192;
	r->buf = malloc(r->bufsize);
	r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (int i = 0; i < LEDGER_CONNS; i++)
		r->c[i].fuse = r->c[i].sock = r->new_fuse[i] = r->new_sock[i] = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (!r->buf || r->wake < 0) {
		e = r->buf ? errno : ENOMEM;
		goto fail;
	}
	{
		/* The thread takes no signal: the holder reads its own from a
		 * signalfd, which only sees what every thread blocks. */
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		e = pthread_create(&r->thread, NULL, relay_main, r);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (e == 0) {
		*out = r;
		return 0;
	}
fail:
	if (r->wake >= 0)
		close(r->wake);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	free(r);
	return -e;
}

static void wake(struct fuse_relay *r)
{
	uint64_t one = 1;

	(void)!write(r->wake, &one, sizeof(one));
}

void fuse_relay_free(struct fuse_relay *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_mutex_unlock(&r->lock);
	wake(r);
	pthread_join(r->thread, NULL);
	for (int i = 0; i < LEDGER_CONNS; i++) {
		while (r->c[i].head)
			req_unlink(&r->c[i], r->c[i].head);
		if (r->c[i].sock >= 0)
			close(r->c[i].sock);
		if (r->new_sock[i] >= 0)
			close(r->new_sock[i]);
	}
	close(r->wake);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	free(r);
}

int fuse_relay_add(struct fuse_relay *r, int conn, int fuse_fd)
{
	int fl = fcntl(fuse_fd, F_GETFL);

	if (conn < 0 || conn >= LEDGER_CONNS)
		return -EINVAL;
	if (fl < 0 || fcntl(fuse_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	pthread_mutex_lock(&r->lock);
	r->new_fuse[conn] = fuse_fd;
	pthread_mutex_unlock(&r->lock);
	wake(r);
	return 0;
}

int fuse_relay_channel(struct fuse_relay *r, int conn)
{
	int sp[2], size = CHANNEL_SNDBUF;

	if (conn < 0 || conn >= LEDGER_CONNS)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	/* A reply larger than the send buffer would fail (EMSGSIZE) and its
	 * caller would wait forever: root may go past wmem_max. */
	if (setsockopt(sp[1], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	pthread_mutex_lock(&r->lock);
	if (r->new_sock[conn] >= 0)
		close(r->new_sock[conn]); /* never taken: its renderer died first */
	r->new_sock[conn] = sp[0];
	pthread_mutex_unlock(&r->lock);
	wake(r);
	return sp[1];
}

int fuse_relay_drain(struct fuse_relay *r, int timeout_ms)
{
	int failed;

	pthread_mutex_lock(&r->lock);
	r->drained = false;
	r->drain_until = now_ms() + MAX(timeout_ms, 1);
	pthread_mutex_unlock(&r->lock);
	wake(r);
	pthread_mutex_lock(&r->lock);
	while (!r->drained && !r->done)
		pthread_cond_wait(&r->cond, &r->lock);
	failed = r->drained ? r->drain_failed : 0;
	pthread_mutex_unlock(&r->lock);
	return failed;
}

void fuse_relay_get_stats(struct fuse_relay *r, struct fuse_relay_stats *s)
{
	s->requests = atomic_load(&r->requests);
	s->resent = atomic_load(&r->resent);
	s->failed = atomic_load(&r->failed);
}
