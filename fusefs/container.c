#include "container.h"
#include "procfs.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct container *container_ref(struct container *c)
{
	if (c)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void container_unref(struct container *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	cg_paths_free(&c->paths);
	free(c->cgroup_text);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct container *container_new(const struct cg_root *root, const char *cgroup_text)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->lock, NULL);
	c->cgroup_text = strdup(cgroup_text);
	if (!c->cgroup_text || cg_paths_parse(cgroup_text, root, &c->paths) < 0) {
		container_unref(c);
		return NULL;
	}
	c->last_read_ms = monotonic_ms();
	return c;
}

void container_touch(struct container *c)
{
	/* A racy store is fine: the sampler only needs "recently". */
	__atomic_store_n(&c->last_read_ms, monotonic_ms(), __ATOMIC_RELAXED);
}
