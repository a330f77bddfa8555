#define FUSE_USE_VERSION 312
#include "fs.h"
#include "fh.h"
#include "ledger.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The static tree. Node 1 is the root: the mount root for the per-reader
 * filesystem, and each <pid>-<starttime> directory for the per-container
 * one. Files carry their view id. */
enum { N_NONE, N_ROOT, N_PROC, N_PRESSURE, N_SYS, N_DEVICES, N_SYSTEM, N_CPU,
       N_CONTAINERS, N_FILES };
struct node {
	const char *name;
	int parent;
	int view; /* -1 for directories */
};
static const struct node nodes[] = {
	[N_ROOT] = { "", 0, -1 },
	[N_PROC] = { "proc", N_ROOT, -1 },
	[N_PRESSURE] = { "pressure", N_PROC, -1 },
	[N_SYS] = { "sys", N_ROOT, -1 },
	[N_DEVICES] = { "devices", N_SYS, -1 },
	[N_SYSTEM] = { "system", N_DEVICES, -1 },
	[N_CPU] = { "cpu", N_SYSTEM, -1 },
	[N_CONTAINERS] = { "containers", N_ROOT, -1 },
	[N_FILES + V_MEMINFO] = { "meminfo", N_PROC, V_MEMINFO },
	[N_FILES + V_CPUINFO] = { "cpuinfo", N_PROC, V_CPUINFO },
	[N_FILES + V_STAT] = { "stat", N_PROC, V_STAT },
	[N_FILES + V_UPTIME] = { "uptime", N_PROC, V_UPTIME },
	[N_FILES + V_LOADAVG] = { "loadavg", N_PROC, V_LOADAVG },
	[N_FILES + V_DISKSTATS] = { "diskstats", N_PROC, V_DISKSTATS },
	[N_FILES + V_SWAPS] = { "swaps", N_PROC, V_SWAPS },
	[N_FILES + V_PSI_CPU] = { "cpu", N_PRESSURE, V_PSI_CPU },
	[N_FILES + V_PSI_MEMORY] = { "memory", N_PRESSURE, V_PSI_MEMORY },
	[N_FILES + V_PSI_IO] = { "io", N_PRESSURE, V_PSI_IO },
	[N_FILES + V_ONLINE] = { "online", N_CPU, V_ONLINE },
	[N_FILES + V_PRESENT] = { "present", N_CPU, V_PRESENT },
	[N_FILES + V_POSSIBLE] = { "possible", N_CPU, V_POSSIBLE },
};
#define NNODES ((int)ARRAY_SIZE(nodes))
#define NODE_BITS 8 /* per-container inode = (slot + 1) << NODE_BITS | node */

static struct fs_opts opts;
static struct timespec t_start;

static int64_t current_tick(struct timespec *now);

static int render_cb(const void *ctx, struct container *c, int view, struct buf *out)
{
	return view_render(ctx, c, (enum view_id)view, out);
}

static bool node_visible(int n, bool reader_fs)
{
	return n > N_NONE && n < NNODES && nodes[n].name &&
	       (reader_fs || n != N_CONTAINERS);
}

static int child_node(int parent, const char *name, bool reader_fs)
{
	for (int n = N_PROC; n < NNODES; n++)
		if (node_visible(n, reader_fs) && nodes[n].parent == parent &&
		    strcmp(nodes[n].name, name) == 0)
			return n;
	return -1;
}

static void fill_attr(struct stat *st, fuse_ino_t ino, int node, off_t size,
		      const struct timespec *mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (nodes[node].view < 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = size;
	}
	st->st_atim = st->st_ctim = t_start;
	st->st_mtim = mtime ? *mtime : t_start;
}

struct dirbuf {
	char *p;
	size_t size;
};

static void dirbuf_add(fuse_req_t req, struct dirbuf *b, const char *name,
		       fuse_ino_t ino, mode_t mode)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t old = b->size, need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	char *p = realloc(b->p, old + need);

	if (!p)
		return;
	b->p = p;
	b->size += need;
	fuse_add_direntry(req, b->p + old, need, name, &st, (off_t)b->size);
}

static void reply_dirbuf(fuse_req_t req, struct dirbuf *b, size_t size, off_t off)
{
	if ((size_t)off < b->size)
		fuse_reply_buf(req, b->p + off, MIN(b->size - (size_t)off, size));
	else
		fuse_reply_buf(req, NULL, 0);
	free(b->p);
}

static void list_children(fuse_req_t req, struct dirbuf *b, int parent,
			  uint64_t base, bool reader_fs)
{
	for (int n = N_PROC; n < NNODES; n++)
		if (node_visible(n, reader_fs) && nodes[n].parent == parent)
			dirbuf_add(req, b, nodes[n].name, base | (uint64_t)n,
				   nodes[n].view < 0 ? S_IFDIR : S_IFREG);
}

static void reply_readonly(fuse_req_t req)
{
	fuse_reply_err(req, EROFS);
}

/* ---------------- per-reader filesystem ---------------- */

static void rd_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };
	int n = parent < (fuse_ino_t)NNODES ? child_node((int)parent, name, true) : -1;

	if (n < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = (fuse_ino_t)n;
	e.attr_timeout = 3600;
	e.entry_timeout = 3600;
	fill_attr(&e.attr, e.ino, n, 0, NULL);
	fuse_reply_entry(req, &e);
}

static void rd_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (!node_visible((int)ino, true) || ino >= (fuse_ino_t)NNODES) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* Size 0 like procfs: content is per reader and read with direct_io. */
	fill_attr(&st, ino, (int)ino, 0, NULL);
	fuse_reply_attr(req, &st, 3600);
}

static void rd_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirbuf b = { 0 };

	(void)fi;
	if (ino >= (fuse_ino_t)NNODES || nodes[ino].view >= 0) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	dirbuf_add(req, &b, ".", ino, S_IFDIR);
	dirbuf_add(req, &b, "..", ino == N_ROOT ? ino : (fuse_ino_t)nodes[ino].parent, S_IFDIR);
	list_children(req, &b, (int)ino, 0, true);
	reply_dirbuf(req, &b, size, off);
}

/* One snapshot per open: every later read slices these bytes. A
 * container's rendering is shared by its readers for one tick. */
static int reader_snapshot(pid_t pid, int view, struct fh_data **out)
{
	struct container *c = resolve_reader(opts.resolver, pid);
	struct buf b = { 0 };
	char *data = NULL;
	size_t len = 0;
	int r;

	if (c) {
		struct timespec now;

		r = container_snapshot(c, view, current_tick(&now), render_cb, opts.ctx, &data,
				       &len);
	} else {
		r = view_render(opts.ctx, NULL, view, &b);
		data = buf_steal(&b, &len);
	}
	container_unref(c);
	buf_free(&b);
	if (r < 0) {
		free(data);
		return r;
	}
	*out = fh_new(data, len);
	if (!*out) {
		free(data);
		return -ENOMEM;
	}
	return 0;
}

static void rd_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fh_data *h;
	uint64_t token;
	int r;

	if (ino >= (fuse_ino_t)NNODES || nodes[ino].view < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	r = reader_snapshot(fuse_req_ctx(req)->pid, nodes[ino].view, &h);
	if (r == 0)
		r = fh_insert(h, &token);
	fh_unref(h);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = token;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		fh_remove(token); /* the open was interrupted: no RELEASE will come */
}

static void rd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fh_data *h = fh_get(fi->fh);

	/* Opened before this renderer took over the connection: a fresh
	 * snapshot for the same reader, kept for the rest of that open. */
	if (!h && ino < (fuse_ino_t)NNODES && nodes[ino].view >= 0) {
		int r = reader_snapshot(fuse_req_ctx(req)->pid, nodes[ino].view, &h);

		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		h = fh_adopt(fi->fh, h);
	}
	if (!h) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (off < 0 || (size_t)off >= h->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, h->data + off, MIN(size, h->len - (size_t)off));
	fh_unref(h);
}

static void rd_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fh_remove(fi->fh);
	fuse_reply_err(req, 0);
}

static void any_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	(void)ino, (void)attr, (void)to_set, (void)fi;
	reply_readonly(req);
}

static void any_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	reply_readonly(req);
}

static void any_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	reply_readonly(req);
}

static void any_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	reply_readonly(req);
}

static void any_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	reply_readonly(req);
}

static void any_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		      off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)size, (void)off, (void)fi;
	reply_readonly(req);
}

static void rd_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Content differs per reader: never let the kernel cache pages. */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
}

static const struct fuse_lowlevel_ops reader_ops = {
	.init = rd_init,
	.lookup = rd_lookup,
	.getattr = rd_getattr,
	.readdir = rd_readdir,
	.open = rd_open,
	.read = rd_read,
	.release = rd_release,
	.setattr = any_setattr,
	.mknod = any_mknod,
	.mkdir = any_mkdir,
	.unlink = any_unlink,
	.rmdir = any_unlink,
	.create = any_create,
	.write = any_write,
};

/* ---------------- per-container filesystem ---------------- */

struct snap {
	char *data;
	size_t len;
	int64_t tick; /* staleness period this content belongs to */
	struct timespec mtime;
};

struct slot {
	pid_t pid;
	uint64_t starttime;
	struct container *c;
	pthread_mutex_t lock; /* guards snaps */
	struct snap snaps[V_COUNT];
};

static pthread_rwlock_t slots_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct slot **slots;
static size_t nslots, capslots;

static void slot_free(struct slot *s)
{
	for (int v = 0; v < V_COUNT; v++)
		free(s->snaps[v].data);
	container_unref(s->c);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Put s at index idx (a ledger index) unless a slot is there already;
 * returns the slot now at idx. Takes the write lock. */
static struct slot *slot_install(size_t idx, struct slot *s)
{
	struct slot *have;

	pthread_rwlock_wrlock(&slots_lock);
	if (idx >= capslots) {
		size_t cap = MAX(capslots ? capslots * 2 : 64, idx + 1);
		struct slot **p = realloc(slots, cap * sizeof(*p));

		if (!p) {
			pthread_rwlock_unlock(&slots_lock);
			slot_free(s);
			return NULL;
		}
		memset(p + capslots, 0, (cap - capslots) * sizeof(*p));
		slots = p;
		capslots = cap;
	}
	have = slots[idx];
	if (!have) {
		slots[idx] = have = s;
		nslots = MAX(nslots, idx + 1);
	}
	pthread_rwlock_unlock(&slots_lock);
	if (have != s)
		slot_free(s);
	return have;
}

static struct slot *slot_new(pid_t pid, uint64_t starttime)
{
	struct container *c = resolve_pid(opts.ctx, pid, starttime);
	struct slot *s;

	if (!c)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		container_unref(c);
		return NULL;
	}
	s->pid = pid;
	s->starttime = starttime;
	s->c = c;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

/* Find or create the slot for <pid>-<starttime>; returns its index. The
 * index comes from the ledger, so a later renderer maps the inode numbers
 * the kernel still holds to the same containers. */
static long slot_get(pid_t pid, uint64_t starttime)
{
	struct slot *s;
	long idx = -1;

	pthread_rwlock_rdlock(&slots_lock);
	for (size_t i = 0; i < nslots; i++)
		if (slots[i] && slots[i]->pid == pid && slots[i]->starttime == starttime) {
			idx = (long)i;
			break;
		}
	pthread_rwlock_unlock(&slots_lock);
	if (idx >= 0)
		return idx;

	s = slot_new(pid, starttime);
	if (!s)
		return -ENOENT;
	idx = ledger_slot_add(pid, starttime);
	if (idx < 0) {
		slot_free(s);
		return idx;
	}
	return slot_install((size_t)idx, s) ? idx : -ENOMEM;
}

/* Slot and node of an inode; takes the slots read lock on success. An
 * index this renderer has not seen is rebuilt from the ledger. */
static struct slot *slot_of(fuse_ino_t ino, int *node)
{
	uint64_t si = (ino >> NODE_BITS);
	struct slot *s = NULL;
	pid_t pid;
	uint64_t start;

	*node = (int)(ino & ((1u << NODE_BITS) - 1));
	if (si == 0 || *node >= NNODES || !node_visible(*node, false))
		return NULL;
	pthread_rwlock_rdlock(&slots_lock);
	if (si - 1 < nslots)
		s = slots[si - 1];
	if (s)
		return s;
	pthread_rwlock_unlock(&slots_lock);
	if (ledger_slot_get(si - 1, &pid, &start) < 0 || !(s = slot_new(pid, start)) ||
	    !slot_install(si - 1, s))
		return NULL;
	pthread_rwlock_rdlock(&slots_lock);
	s = si - 1 < nslots ? slots[si - 1] : NULL;
	if (!s)
		pthread_rwlock_unlock(&slots_lock);
	return s;
}

static int64_t current_tick(struct timespec *now)
{
	clock_gettime(CLOCK_REALTIME, now);
	return ((int64_t)now->tv_sec * 1000 + now->tv_nsec / 1000000) /
	       (int64_t)(opts.staleness_ms ? opts.staleness_ms : 1);
}

/* Bring the snapshot up to the current tick; called with s->lock held.
 * getattr and read must agree on one snapshot per tick: the kernel sizes
 * its page cache from getattr and reads pages later. */
static int snap_refresh(struct slot *s, int view)
{
	struct snap *sn = &s->snaps[view];
	struct timespec now;
	int64_t tick = current_tick(&now);
	struct buf out = { 0 };
	int r;

	if (sn->data && sn->tick == tick)
		return 0;
	container_touch(s->c);
	r = view_render(opts.ctx, s->c, view, &out);
	if (r < 0) {
		buf_free(&out);
		return r;
	}
	free(sn->data);
	sn->data = buf_steal(&out, &sn->len);
	if (!sn->data)
		sn->data = strdup("");
	sn->tick = tick;
	/* mtime changes with every tick so auto_inval_data drops old pages. */
	sn->mtime.tv_sec = (time_t)(tick * opts.staleness_ms / 1000);
	sn->mtime.tv_nsec = (long)((tick * opts.staleness_ms % 1000) * 1000000);
	return 0;
}

static double attr_timeout(void)
{
	return (double)opts.staleness_ms / 1000.0;
}

static void ct_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };
	struct slot *s;
	int node, n;

	if (parent == FUSE_ROOT_ID) {
		int pid;
		unsigned long long start;
		char tail;
		long idx;

		if (sscanf(name, "%d-%llu%c", &pid, &start, &tail) != 2 || pid <= 0) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		idx = slot_get(pid, start);
		if (idx < 0) {
			fuse_reply_err(req, (int)-idx);
			return;
		}
		e.ino = ((fuse_ino_t)idx + 1) << NODE_BITS | N_ROOT;
		e.entry_timeout = 3600;
		e.attr_timeout = 3600;
		fill_attr(&e.attr, e.ino, N_ROOT, 0, NULL);
		fuse_reply_entry(req, &e);
		return;
	}
	s = slot_of(parent, &node);
	if (!s) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	n = child_node(node, name, false);
	if (n < 0) {
		pthread_rwlock_unlock(&slots_lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = (parent & ~(fuse_ino_t)((1u << NODE_BITS) - 1)) | (fuse_ino_t)n;
	e.entry_timeout = 3600;
	if (nodes[n].view >= 0) {
		pthread_mutex_lock(&s->lock);
		if (snap_refresh(s, nodes[n].view) < 0) {
			pthread_mutex_unlock(&s->lock);
			pthread_rwlock_unlock(&slots_lock);
			fuse_reply_err(req, EIO);
			return;
		}
		fill_attr(&e.attr, e.ino, n, (off_t)s->snaps[nodes[n].view].len,
			  &s->snaps[nodes[n].view].mtime);
		pthread_mutex_unlock(&s->lock);
		e.attr_timeout = attr_timeout();
	} else {
		fill_attr(&e.attr, e.ino, n, 0, NULL);
		e.attr_timeout = 3600;
	}
	pthread_rwlock_unlock(&slots_lock);
	fuse_reply_entry(req, &e);
}

static void ct_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	struct slot *s;
	int node, r = 0;

	(void)fi;
	if (ino == FUSE_ROOT_ID) {
		fill_attr(&st, ino, N_ROOT, 0, NULL);
		fuse_reply_attr(req, &st, 1);
		return;
	}
	s = slot_of(ino, &node);
	if (!s) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (nodes[node].view < 0) {
		fill_attr(&st, ino, node, 0, NULL);
	} else {
		pthread_mutex_lock(&s->lock);
		r = snap_refresh(s, nodes[node].view);
		if (r == 0)
			fill_attr(&st, ino, node, (off_t)s->snaps[nodes[node].view].len,
				  &s->snaps[nodes[node].view].mtime);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_rwlock_unlock(&slots_lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, nodes[node].view < 0 ? 3600 : attr_timeout());
}

static void ct_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct slot *s;
	struct snap *sn;
	int node;

	(void)fi;
	s = slot_of(ino, &node);
	if (!s) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (nodes[node].view < 0) {
		pthread_rwlock_unlock(&slots_lock);
		fuse_reply_err(req, EISDIR);
		return;
	}
	pthread_mutex_lock(&s->lock);
	sn = &s->snaps[nodes[node].view];
	/* Serve the snapshot getattr sized; render only if there is none. */
	if (!sn->data && snap_refresh(s, nodes[node].view) < 0) {
		pthread_mutex_unlock(&s->lock);
		pthread_rwlock_unlock(&slots_lock);
		fuse_reply_err(req, EIO);
		return;
	}
	if (off < 0 || (size_t)off >= sn->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, sn->data + off, MIN(size, sn->len - (size_t)off));
	pthread_mutex_unlock(&s->lock);
	pthread_rwlock_unlock(&slots_lock);
}

static void ct_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirbuf b = { 0 };
	struct slot *s;
	int node;

	(void)fi;
	dirbuf_add(req, &b, ".", ino, S_IFDIR);
	dirbuf_add(req, &b, "..", FUSE_ROOT_ID, S_IFDIR);
	if (ino == FUSE_ROOT_ID) {
		pthread_rwlock_rdlock(&slots_lock);
		for (size_t i = 0; i < nslots; i++) {
			char name[64];

			if (!slots[i])
				continue;
			snprintf(name, sizeof(name), "%d-%" PRIu64, (int)slots[i]->pid,
				 slots[i]->starttime);
			dirbuf_add(req, &b, name, (i + 1) << NODE_BITS | N_ROOT, S_IFDIR);
		}
		pthread_rwlock_unlock(&slots_lock);
	} else {
		s = slot_of(ino, &node);
		if (!s) {
			free(b.p);
			fuse_reply_err(req, ENOENT);
			return;
		}
		list_children(req, &b, node, ino & ~(fuse_ino_t)((1u << NODE_BITS) - 1), false);
		pthread_rwlock_unlock(&slots_lock);
	}
	reply_dirbuf(req, &b, size, off);
}

/* ENOSYS to OPEN is how a server says "no opens at all": the kernel stops
 * sending OPEN and RELEASE for this connection and keeps pages cached
 * across opens (libfuse only relays it, it does not answer it for us). */
static void ct_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		fuse_reply_err(req, EACCES);
	else
		fuse_reply_err(req, ENOSYS);
}

static void ct_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Pages may be cached: no OPEN round trip, and the kernel drops
	 * pages whenever getattr reports a new mtime or size. */
	if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT)
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
}

static const struct fuse_lowlevel_ops container_ops = {
	.init = ct_init,
	.lookup = ct_lookup,
	.open = ct_open,
	.getattr = ct_getattr,
	.readdir = ct_readdir,
	.read = ct_read,
	.setattr = any_setattr,
	.mknod = any_mknod,
	.mkdir = any_mkdir,
	.unlink = any_unlink,
	.rmdir = any_unlink,
	.create = any_create,
	.write = any_write,
};

void fs_containers_sweep(void (*fn)(struct container *c, void *data), void *data)
{
	int64_t now = monotonic_ms();
	struct container **live = NULL;
	size_t nlive = 0;

	pthread_rwlock_wrlock(&slots_lock);
	if (fn && nslots)
		live = calloc(nslots, sizeof(*live));
	for (size_t i = 0; i < nslots; i++) {
		struct slot *s = slots[i];
		uint64_t st;

		if (!s)
			continue;
		if (proc_starttime(opts.ctx->proc_fd, s->pid, &st) < 0 || st != s->starttime) {
			/* The container is gone; its inodes now answer ENOENT. */
			slots[i] = NULL;
			slot_free(s);
			continue;
		}
		if (live && now - __atomic_load_n(&s->c->last_read_ms, __ATOMIC_RELAXED) <
				    10 * 60 * 1000)
			live[nlive++] = container_ref(s->c);
	}
	pthread_rwlock_unlock(&slots_lock);
	/* Sampling reads files: do it without blocking lookups. */
	for (size_t i = 0; i < nlive; i++) {
		fn(live[i], data);
		container_unref(live[i]);
	}
	free(live);
}

size_t fs_containers_count(void)
{
	size_t n = 0;

	pthread_rwlock_rdlock(&slots_lock);
	for (size_t i = 0; i < nslots; i++)
		n += slots[i] != NULL;
	pthread_rwlock_unlock(&slots_lock);
	return n;
}

/* allow_other: container processes run as any uid. ro: the kernel
 * refuses writes before they reach us. */
static int mount_options(const char *fsname, char *out, size_t size)
{
	int n = snprintf(out, size, "ro,allow_other,fsname=%s,subtype=procviewd", fsname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

struct fuse_session *fs_session_new(const char *fsname, const struct fuse_lowlevel_ops *ops,
				    size_t ops_size)
{
	char opt[256];
	/* PROCVIEW_FUSE_DEBUG=1 prints every request (foreground only). */
	bool debug = getenv("PROCVIEW_FUSE_DEBUG") != NULL;
	char *argv[] = { "procviewd", "-o", opt, debug ? "-d" : NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, argv);
	struct fuse_session *se;

	if (mount_options(fsname, opt, sizeof(opt)) < 0)
		return NULL;
	se = fuse_session_new(&args, ops, ops_size, NULL);
	fuse_opt_free_args(&args);
	return se;
}

static struct fuse_session *session_new(const struct fs_opts *o, const char *fsname,
					const struct fuse_lowlevel_ops *ops)
{
	opts = *o;
	if (!t_start.tv_sec)
		clock_gettime(CLOCK_REALTIME, &t_start);
	return fs_session_new(fsname, ops, sizeof(*ops));
}

struct fuse_session *fs_reader_new(const struct fs_opts *o, const char *fsname)
{
	return session_new(o, fsname, &reader_ops);
}

struct fuse_session *fs_containers_new(const struct fs_opts *o, const char *fsname)
{
	return session_new(o, fsname, &container_ops);
}
