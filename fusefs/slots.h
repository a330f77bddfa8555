/* The per-container table: one refcounted slot per <pid>-<starttime>,
 * found by name (hash) or by inode (index + generation).
 *
 * Locking: one mutex guards the table, held only to find a slot and take
 * a reference, never while reading a file, rendering or waiting on a
 * slot. Each slot publishes immutable, refcounted snapshots under a
 * short mutex of its own; one thread renders while the others serve the
 * previous snapshot. So a container that floods its own files cannot
 * hold anything another container's LOOKUP or READ needs.
 *
 * Freed slots are reused; each reuse bumps the index's generation, which
 * is part of the inode number, so a reused slot's old inodes answer ENOENT. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "container.h"
#include "view.h"

#define SLOT_NODE_BITS 8
#define SLOT_IDX_BITS 24
#define SLOT_MAX ((1u << SLOT_IDX_BITS) - 2)

struct slot_snap {
	atomic_int refs;
	int64_t tick; /* staleness period this content belongs to */
	struct timespec mtime;
	size_t len;
	char data[];
};

struct slot {
	atomic_int refs;
	pid_t pid;
	uint64_t starttime;
	uint32_t idx, gen;
	struct container *c;
	struct slot *hnext; /* hash chain, under the table lock */
	pthread_mutex_t lock;	     /* guards snaps[] (pointer swaps) and pace_next_us */
	pthread_mutex_t render_lock; /* one renderer per slot */
	struct slot_snap *snaps[V_COUNT];
	int64_t pace_next_us; /* pace.c: when this container's next request is due */
};

typedef int (*slot_render_fn)(const void *ctx, struct container *c, int view, struct buf *out);

/* Inode of node in slot s: gen << 32 | (idx + 1) << 8 | node. */
uint64_t slot_ino(const struct slot *s, int node);
/* A reference to the slot an inode names, or NULL (unknown, freed, reused). */
struct slot *slots_find_ino(uint64_t ino, int *node);
/* A reference to the slot named pid-starttime, or NULL. */
struct slot *slots_find(pid_t pid, uint64_t starttime);
/* Insert a slot for pid-starttime owning c; if one raced in first, c is
 * dropped and that one is returned. A reference either way. -ENOSPC when
 * the table is full, -ENOMEM. */
int slots_insert(pid_t pid, uint64_t starttime, struct container *c, struct slot **out);
void slot_unref(struct slot *s);

/* The snapshot of view no older than tick (need_fresh), or any snapshot
 * (!need_fresh: rendered only if there is none). While another thread
 * renders, the previous snapshot is returned instead of waiting. A
 * reference, or NULL with *err set. */
struct slot_snap *slot_snapshot(struct slot *s, int view, int64_t tick, bool need_fresh,
				unsigned staleness_ms, slot_render_fn render, const void *ctx,
				int *err);
void slot_snap_unref(struct slot_snap *sn);

/* fn for every slot, under the table lock: it must be quick and must not
 * block (directory listings). */
void slots_foreach(void (*fn)(const struct slot *s, void *data), void *data);
/* Free every slot alive() says is gone (called without the table lock),
 * then call live() on the others (also without it). */
void slots_sweep(bool (*alive)(const struct slot *s, void *data),
		 void (*live)(struct slot *s, void *data), void *data);
size_t slots_count(void);
/* Table capacity in use (slots ever allocated at once; reuse keeps it flat). */
size_t slots_capacity(void);

/* Across a renderer's restart (ledger.h): every index is recorded in the
 * ledger; a new renderer adopts the record before serving, and loads each
 * container lazily through fn (resolve it, or NULL if gone) when one of
 * its inodes or names comes up, or at the next sweep. */
void slots_set_loader(struct container *(*fn)(pid_t pid, uint64_t starttime, void *data),
		      void *data);
/* Take the indices and generations a previous renderer left (empty table
 * only: -EBUSY otherwise). */
int slots_adopt_ledger(void);
