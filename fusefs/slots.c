#include "slots.h"
#include "ledger.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot **table;  /* by index; NULL when free */
static uint32_t *gens;	     /* generation of each index, kept while free */
static uint32_t *free_idx;   /* stack of free indices */
static uint8_t *reserved;    /* in use per the ledger, not loaded here yet */
static size_t n_used, n_alloc, n_free, n_reserved;
static struct slot *buckets[NBUCKETS];
static struct container *(*loader)(pid_t pid, uint64_t starttime, void *data);
static void *loader_data;

static struct slot *load_reserved(uint32_t idx, uint32_t gen);

static size_t bucket_of(pid_t pid, uint64_t starttime)
{
	uint64_t h = ((uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL) ^ starttime;

	return (size_t)((h ^ (h >> 29)) % NBUCKETS);
}

uint64_t slot_ino(const struct slot *s, int node)
{
	return (uint64_t)s->gen << 32 | (uint64_t)(s->idx + 1) << SLOT_NODE_BITS |
	       (uint64_t)node;
}

static void snap_free(struct slot_snap *sn)
{
	free(sn);
}

void slot_snap_unref(struct slot_snap *sn)
{
	if (sn && atomic_fetch_sub(&sn->refs, 1) == 1)
		snap_free(sn);
}

static struct slot_snap *snap_ref(struct slot_snap *sn)
{
	if (sn)
		atomic_fetch_add(&sn->refs, 1);
	return sn;
}

static void slot_free(struct slot *s)
{
	for (int v = 0; v < V_COUNT; v++)
		slot_snap_unref(s->snaps[v]);
	container_unref(s->c);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->render_lock);
	free(s);
}

void slot_unref(struct slot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		slot_free(s);
}

static struct slot *slot_ref(struct slot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

struct slot *slots_find_ino(uint64_t ino, int *node)
{
	uint64_t idx1 = (ino >> SLOT_NODE_BITS) & ((1u << SLOT_IDX_BITS) - 1);
	uint32_t gen = (uint32_t)(ino >> 32);
	struct slot *s = NULL;

	*node = (int)(ino & ((1u << SLOT_NODE_BITS) - 1));
	if (idx1 == 0)
		return NULL;
	bool load = false;

	pthread_mutex_lock(&table_lock);
	if (idx1 - 1 < n_alloc && table[idx1 - 1] && table[idx1 - 1]->gen == gen)
		s = slot_ref(table[idx1 - 1]);
	else if (idx1 - 1 < n_alloc && reserved[idx1 - 1] && gens[idx1 - 1] == gen)
		load = true;
	pthread_mutex_unlock(&table_lock);
	/* An inode a previous renderer handed out: the ledger names it. */
	if (load)
		s = load_reserved((uint32_t)(idx1 - 1), gen);
	return s;
}

static struct slot *find_locked(pid_t pid, uint64_t starttime)
{
	for (struct slot *s = buckets[bucket_of(pid, starttime)]; s; s = s->hnext)
		if (s->pid == pid && s->starttime == starttime)
			return s;
	return NULL;
}

struct slot *slots_find(pid_t pid, uint64_t starttime)
{
	struct slot *s;

	pthread_mutex_lock(&table_lock);
	s = find_locked(pid, starttime);
	if (s)
		slot_ref(s);
	pthread_mutex_unlock(&table_lock);
	return s;
}

/* The arrays hold at least need indices. */
static int grow_to(size_t need)
{
	size_t cap = n_alloc ? n_alloc : 64;
	struct slot **t;
	uint32_t *g, *f;
	uint8_t *rv;

	if (need <= n_alloc)
		return 0;
	if (need > SLOT_MAX)
		return -ENOSPC;
	while (cap < need)
		cap *= 2;
	cap = MIN(cap, (size_t)SLOT_MAX);
	t = realloc(table, cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	table = t;
	g = realloc(gens, cap * sizeof(*g));
	if (!g)
		return -ENOMEM;
	gens = g;
	f = realloc(free_idx, cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	free_idx = f;
	rv = realloc(reserved, cap * sizeof(*rv));
	if (!rv)
		return -ENOMEM;
	reserved = rv;
	for (size_t i = n_alloc; i < cap; i++) {
		table[i] = NULL;
		gens[i] = 0;
		reserved[i] = 0;
	}
	n_alloc = cap;
	return 0;
}

/* A free index: the free stack first, then a new one (the arrays grow). */
static int take_index(uint32_t *idx)
{
	int r;

	if (n_free) {
		*idx = free_idx[--n_free];
		return 0;
	}
	if (n_used == n_alloc && (r = grow_to(n_alloc ? n_alloc * 2 : 64)) < 0)
		return r;
	*idx = (uint32_t)n_used;
	return 0;
}

static struct slot *slot_alloc(pid_t pid, uint64_t starttime, struct container *c)
{
	struct slot *s = calloc(1, sizeof(*s));

	if (!s) {
		container_unref(c);
		return NULL;
	}
	atomic_init(&s->refs, 1); /* the table's */
	s->pid = pid;
	s->starttime = starttime;
	s->c = c;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->render_lock, NULL);
	return s;
}

/* Make s the slot at idx (table lock held); a reference for the caller. */
static struct slot *place_locked(struct slot *s, uint32_t idx)
{
	s->idx = idx;
	s->gen = gens[idx];
	table[idx] = s;
	s->hnext = buckets[bucket_of(s->pid, s->starttime)];
	buckets[bucket_of(s->pid, s->starttime)] = s;
	return slot_ref(s);
}

/* A reserved index goes back to the free stack (its container is gone). */
static void unreserve_locked(uint32_t idx)
{
	reserved[idx] = 0;
	n_reserved--;
	free_idx[n_free++] = idx;
	ledger_slot_set(idx, 0, 0, gens[idx]);
}

/* Load the container a previous renderer put at idx (generation gen, or
 * any if gen is 0); a reference, or NULL. */
static struct slot *load_reserved(uint32_t idx, uint32_t gen)
{
	struct container *c;
	struct slot *s, *got = NULL;
	pid_t pid;
	uint64_t start;
	uint32_t lgen;

	if (!loader || ledger_slot_get(idx, &pid, &start, &lgen) < 0 || pid <= 0 ||
	    (gen && lgen != gen))
		return NULL;
	c = loader(pid, start, loader_data);
	pthread_mutex_lock(&table_lock);
	if (idx < n_alloc && table[idx] && table[idx]->pid == pid && table[idx]->starttime == start)
		got = slot_ref(table[idx]); /* another thread loaded it first */
	else if (idx < n_alloc && reserved[idx] && gens[idx] == lgen && !c)
		unreserve_locked(idx);
	else if (idx < n_alloc && reserved[idx] && gens[idx] == lgen &&
		 (s = slot_alloc(pid, start, container_ref(c)))) {
		reserved[idx] = 0;
		n_reserved--;
		got = place_locked(s, idx);
	}
	pthread_mutex_unlock(&table_lock);
	container_unref(c);
	return got;
}

void slots_set_loader(struct container *(*fn)(pid_t pid, uint64_t starttime, void *data),
		      void *data)
{
	loader = fn;
	loader_data = data;
}

int slots_adopt_ledger(void)
{
	size_t n = ledger_slots_used();
	int r;

	pthread_mutex_lock(&table_lock);
	r = n_used ? -EBUSY : grow_to(n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		pid_t pid;
		uint64_t start;
		uint32_t gen;

		if (ledger_slot_get(i, &pid, &start, &gen) < 0)
			pid = 0, gen = 0;
		gens[i] = gen;
		if (pid > 0) {
			reserved[i] = 1;
			n_reserved++;
		} else {
			free_idx[n_free++] = (uint32_t)i;
		}
	}
	if (r == 0)
		n_used = n;
	pthread_mutex_unlock(&table_lock);
	return r;
}

int slots_insert(pid_t pid, uint64_t starttime, struct container *c, struct slot **out)
{
	struct slot *s, *other;
	uint32_t idx;
	int r;

	s = slot_alloc(pid, starttime, c);
	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&table_lock);
	other = find_locked(pid, starttime);
	if (other) {
		*out = slot_ref(other);
		pthread_mutex_unlock(&table_lock);
		slot_free(s);
		return 0;
	}
	/* Named before this renderer's time: keep its index and generation. */
	for (size_t i = 0; n_reserved && i < n_used; i++) {
		pid_t lp;
		uint64_t ls;
		uint32_t lg;

		if (reserved[i] && ledger_slot_get(i, &lp, &ls, &lg) == 0 && lp == pid &&
		    ls == starttime && lg == gens[i]) {
			reserved[i] = 0;
			n_reserved--;
			*out = place_locked(s, (uint32_t)i);
			pthread_mutex_unlock(&table_lock);
			return 0;
		}
	}
	r = take_index(&idx);
	if (r < 0) {
		pthread_mutex_unlock(&table_lock);
		slot_free(s);
		return r;
	}
	if (idx == n_used) {
		n_used++;
		ledger_slots_set_used(n_used);
	}
	/* A new generation per use: inodes of the index's last slot go stale.
	 * 0 is skipped so no inode ever has generation 0. */
	if (++gens[idx] == 0)
		gens[idx] = 1;
	ledger_slot_set(idx, pid, starttime, gens[idx]);
	*out = place_locked(s, idx);
	pthread_mutex_unlock(&table_lock);
	return 0;
}

/* Unlink s from the table (if still there); the table's reference goes. */
static void remove_slot(struct slot *s)
{
	bool drop = false;

	pthread_mutex_lock(&table_lock);
	if (s->idx < n_alloc && table[s->idx] == s) {
		struct slot **pp = &buckets[bucket_of(s->pid, s->starttime)];

		while (*pp && *pp != s)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = s->hnext;
		table[s->idx] = NULL;
		free_idx[n_free++] = s->idx;
		ledger_slot_set(s->idx, 0, 0, s->gen);
		drop = true;
	}
	pthread_mutex_unlock(&table_lock);
	if (drop)
		slot_unref(s);
}

static int render_snap(struct slot *s, int view, int64_t tick, unsigned staleness_ms,
		       slot_render_fn render, const void *ctx, struct slot_snap **out)
{
	struct buf b = { 0 };
	struct slot_snap *sn;
	int r;

	container_touch(s->c);
	r = render(ctx, s->c, view, &b);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	sn = malloc(sizeof(*sn) + b.len + 1);
	if (!sn) {
		buf_free(&b);
		return -ENOMEM;
	}
	atomic_init(&sn->refs, 1);
	sn->tick = tick;
	/* mtime changes with every tick so auto_inval_data drops old pages. */
	sn->mtime.tv_sec = (time_t)(tick * staleness_ms / 1000);
	sn->mtime.tv_nsec = (long)((tick * staleness_ms % 1000) * 1000000);
	sn->len = b.len;
	if (b.len)
		memcpy(sn->data, b.data, b.len);
	sn->data[b.len] = '\0';
	buf_free(&b);
	*out = sn;
	return 0;
}

struct slot_snap *slot_snapshot(struct slot *s, int view, int64_t tick, bool need_fresh,
				unsigned staleness_ms, slot_render_fn render, const void *ctx,
				int *err)
{
	struct slot_snap *cur, *fresh = NULL;
	int r;

	if (view < 0 || view >= V_COUNT) {
		*err = -EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	cur = snap_ref(s->snaps[view]);
	pthread_mutex_unlock(&s->lock);
	if (cur && (!need_fresh || cur->tick == tick))
		return cur;
	/* Stale: one thread renders; the others serve what there is rather
	 * than park a worker thread that other containers need. Only the
	 * very first snapshot of a view is waited for. */
	if (cur) {
		if (pthread_mutex_trylock(&s->render_lock) != 0)
			return cur;
	} else {
		pthread_mutex_lock(&s->render_lock);
	}
	pthread_mutex_lock(&s->lock);
	if (s->snaps[view] && s->snaps[view]->tick == tick)
		fresh = snap_ref(s->snaps[view]); /* rendered while we waited */
	pthread_mutex_unlock(&s->lock);
	if (!fresh) {
		r = render_snap(s, view, tick, staleness_ms, render, ctx, &fresh);
		if (r < 0) {
			pthread_mutex_unlock(&s->render_lock);
			if (cur)
				return cur; /* the previous snapshot beats an error */
			*err = r;
			return NULL;
		}
		pthread_mutex_lock(&s->lock);
		slot_snap_unref(s->snaps[view]);
		s->snaps[view] = snap_ref(fresh);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&s->render_lock);
	slot_snap_unref(cur);
	return fresh;
}

void slots_foreach(void (*fn)(const struct slot *s, void *data), void *data)
{
	pthread_mutex_lock(&table_lock);
	for (size_t i = 0; i < n_used; i++)
		if (table[i])
			fn(table[i], data);
	pthread_mutex_unlock(&table_lock);
}

void slots_sweep(bool (*alive)(const struct slot *s, void *data),
		 void (*live)(struct slot *s, void *data), void *data)
{
	struct slot **all = NULL;
	size_t n = 0;

	/* Indices a previous renderer left: load them (or free the dead
	 * ones), so that they are checked like the others. */
	for (uint32_t i = 0;; i++) {
		bool more, res;

		pthread_mutex_lock(&table_lock);
		more = n_reserved && i < n_used;
		res = more && reserved[i];
		pthread_mutex_unlock(&table_lock);
		if (!more)
			break;
		if (res)
			slot_unref(load_reserved(i, 0));
	}
	/* References under the lock; the checks read /proc, so outside it. */
	pthread_mutex_lock(&table_lock);
	if (n_used - n_free)
		all = malloc((n_used - n_free) * sizeof(*all));
	for (size_t i = 0; all && i < n_used; i++)
		if (table[i])
			all[n++] = slot_ref(table[i]);
	pthread_mutex_unlock(&table_lock);
	for (size_t i = 0; i < n; i++) {
		if (!alive(all[i], data))
			remove_slot(all[i]); /* its inodes now answer ENOENT */
		else if (live)
			live(all[i], data);
		slot_unref(all[i]);
	}
	free(all);
}

size_t slots_count(void)
{
	size_t n;

	pthread_mutex_lock(&table_lock);
	n = n_used - n_free;
	pthread_mutex_unlock(&table_lock);
	return n;
}

size_t slots_capacity(void)
{
	size_t n;

	pthread_mutex_lock(&table_lock);
	n = n_used;
	pthread_mutex_unlock(&table_lock);
	return n;
}
