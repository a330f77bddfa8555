#include "container.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
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
	free(c->mono);
	for (size_t i = 0; i < ARRAY_SIZE(c->snaps); i++)
		free(c->snaps[i].data);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->snap_lock);
	free(c);
}

struct container *container_new(const struct cg_root *root, const char *cgroup_text)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->snap_lock, NULL);
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

int container_snapshot(struct container *c, int view, int64_t tick,
		       int (*render)(const void *ctx, struct container *c, int view, struct buf *out),
		       const void *ctx, char **data, size_t *len)
{
	int r = 0;

	if (view < 0 || (size_t)view >= ARRAY_SIZE(c->snaps))
		return -EINVAL;
	pthread_mutex_lock(&c->snap_lock);
	if (!c->snaps[view].data || c->snaps[view].tick != tick) {
		struct buf out = { 0 };

		r = render(ctx, c, view, &out);
		if (r == 0) {
			free(c->snaps[view].data);
			c->snaps[view].data = buf_steal(&out, &c->snaps[view].len);
			if (!c->snaps[view].data)
				c->snaps[view].data = strdup("");
			c->snaps[view].tick = tick;
		}
		buf_free(&out);
	}
	if (r == 0) {
		*len = c->snaps[view].len;
		*data = malloc(*len ? *len : 1);
		if (*data)
			memcpy(*data, c->snaps[view].data, *len);
		else
			r = -ENOMEM;
	}
	pthread_mutex_unlock(&c->snap_lock);
	return r;
}
