#include "resolve.h"
#include "fileio.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscalls.h"

#define NBUCKETS 1024

struct entry {
	struct entry *next;
	uint64_t hash;
	struct container *c;
};

struct resolver {
	const struct view_ctx *ctx;
	uint64_t self_pidns;
	pthread_mutex_t lock; /* held for table walks only, never while reading files */
	struct entry *buckets[NBUCKETS];
	size_t n;
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int resolver_new(const struct view_ctx *ctx, struct resolver **out)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->ctx = ctx;
	pthread_mutex_init(&r->lock, NULL);
	if (proc_ns_ino(ctx->proc_fd, getpid(), "pid", &r->self_pidns) < 0)
		r->self_pidns = 0;
	*out = r;
	return 0;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct entry *e = r->buckets[i];

		while (e) {
			struct entry *next = e->next;

			container_unref(e->c);
			free(e);
			e = next;
		}
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static struct container *lookup(struct resolver *r, uint64_t hash, uint64_t ns,
				const char *text)
{
	struct container *found = NULL;

	pthread_mutex_lock(&r->lock);
	for (struct entry *e = r->buckets[hash % NBUCKETS]; e; e = e->next)
		if (e->hash == hash && e->c->pidns_ino == ns &&
		    strcmp(e->c->cgroup_text, text) == 0) {
			found = container_ref(e->c);
			break;
		}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* Insert c unless an equal entry raced in first; returns the winner. */
static struct container *insert(struct resolver *r, uint64_t hash, struct container *c)
{
	struct container *other = lookup(r, hash, c->pidns_ino, c->cgroup_text);
	struct entry *e;

	if (other) {
		container_unref(c);
		return other;
	}
	/* Full: serve uncached rather than grow (the sweep makes room). */
	if (__atomic_load_n(&r->n, __ATOMIC_RELAXED) >= RESOLVER_MAX)
		return c;
	e = calloc(1, sizeof(*e));
	if (!e)
		return c; /* uncached, still usable */
	e->hash = hash;
	e->c = container_ref(c);
	pthread_mutex_lock(&r->lock);
	e->next = r->buckets[hash % NBUCKETS];
	r->buckets[hash % NBUCKETS] = e;
	r->n++;
	pthread_mutex_unlock(&r->lock);
	return c;
}

struct container *resolve_reader(struct resolver *r, pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	char path[32];
	uint64_t ns, hash;
	struct container *c;

	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	if (read_file_at(r->ctx->proc_fd, path, 65536, &text) < 0)
		return NULL;
	if (proc_ns_ino(r->ctx->proc_fd, pid, "pid", &ns) < 0)
		return NULL;
	hash = fnv1a(0xcbf29ce484222325ULL ^ ns, text);
	c = lookup(r, hash, ns, text);
	if (c) {
		container_touch(c);
		return c;
	}
	c = container_new(r->ctx->cg, text);
	if (!c)
		return NULL;
	c->pidns_ino = ns;
	c->host_pidns = ns == r->self_pidns;
	if (!c->host_pidns) {
		/* The namespace's init gives the container's age (uptime). */
		if (proc_pidns_init(r->ctx->proc_fd, pid, &c->init_pid) < 0 ||
		    proc_starttime(r->ctx->proc_fd, c->init_pid, &c->start_ticks) < 0)
			c->host_pidns = true;
	}
	return insert(r, hash, c);
}

static bool same_process(const struct view_ctx *ctx, pid_t pid, uint64_t starttime)
{
	uint64_t st;

	return proc_starttime(ctx->proc_fd, pid, &st) == 0 && st == starttime;
}

struct container *resolve_pid(const struct view_ctx *ctx, pid_t pid, uint64_t starttime)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int pidfd = -1;
	char path[32];
	struct container *c;

	if (pid <= 0)
		return NULL;
	/* Pin the process, then check it is the named one, read its cgroup,
	 * and check again: a pid reused in between cannot lend its cgroup. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && errno != ENOSYS)
		return NULL;
	if (!same_process(ctx, pid, starttime))
		return NULL;
	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	if (read_file_at(ctx->proc_fd, path, 65536, &text) < 0)
		return NULL;
	if (!same_process(ctx, pid, starttime) ||
	    (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0))
		return NULL;
	c = container_new(ctx->cg, text);
	if (!c)
		return NULL;
	c->init_pid = pid;
	c->start_ticks = starttime;
	return c;
}

static bool init_alive(const struct view_ctx *ctx, const struct container *c)
{
	uint64_t st;

	if (c->host_pidns || !c->init_pid)
		return true;
	return proc_starttime(ctx->proc_fd, c->init_pid, &st) == 0 && st == c->start_ticks;
}

void resolver_sweep(struct resolver *r, int64_t idle_ms,
		    void (*fn)(struct container *c, void *data), void *data)
{
	int64_t now = monotonic_ms();

	for (size_t i = 0; i < NBUCKETS; i++) {
		struct container *batch[64];
		size_t nb = 0;
		struct entry **pp;

		pthread_mutex_lock(&r->lock);
		pp = &r->buckets[i];
		while (*pp) {
			struct entry *e = *pp;
			int64_t last = __atomic_load_n(&e->c->last_read_ms, __ATOMIC_RELAXED);

			/* Host-namespace entries have no init to outlive: only
			 * idleness ends them, so they get the shorter bound. */
			int64_t idle = e->c->host_pidns ? MIN(idle_ms, RESOLVER_HOST_IDLE_MS) : idle_ms;

			if (now - last > idle || !init_alive(r->ctx, e->c)) {
				*pp = e->next;
				r->n--;
				container_unref(e->c);
				free(e);
				continue;
			}
			if (fn && nb < ARRAY_SIZE(batch))
				batch[nb++] = container_ref(e->c);
			pp = &e->next;
		}
		pthread_mutex_unlock(&r->lock);
		/* Sample outside the table lock: it reads files. */
		for (size_t k = 0; k < nb; k++) {
			fn(batch[k], data);
			container_unref(batch[k]);
		}
	}
}

size_t resolver_size(struct resolver *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->n;
	pthread_mutex_unlock(&r->lock);
	return n;
}
