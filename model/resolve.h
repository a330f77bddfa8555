/* Which container is reading? Maps a reader pid to a cached container,
 * keyed by its pid namespace and cgroup membership. */
#pragma once
#include <sys/types.h>

#include "container.h"
#include "view.h"

struct resolver;

/* At most this many cached readers' containers; past it, readers are
 * served uncached until the sweep frees entries. */
#define RESOLVER_MAX 4096
/* Entries of host-namespace readers (no namespace init whose exit ends
 * them) are dropped after this long unread. */
#define RESOLVER_HOST_IDLE_MS (60 * 1000)

int resolver_new(const struct view_ctx *ctx, struct resolver **out);
void resolver_free(struct resolver *r);
/* A reference to the reader's container, or NULL: serve the host. */
struct container *resolve_reader(struct resolver *r, pid_t pid);
/* A container fixed to pid, checked against its start time (the
 * per-container tree). NULL if the pid is gone or was reused. */
struct container *resolve_pid(const struct view_ctx *ctx, pid_t pid,
			      uint64_t starttime);
/* Call fn on every cached container; drop entries idle for idle_ms
 * (RESOLVER_HOST_IDLE_MS for host-namespace ones) or whose namespace
 * init has gone. */
void resolver_sweep(struct resolver *r, int64_t idle_ms,
		    void (*fn)(struct container *c, void *data), void *data);
size_t resolver_size(struct resolver *r);
