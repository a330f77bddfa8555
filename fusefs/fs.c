#define FUSE_USE_VERSION 312
#include "fs.h"
#include "conn.h"
#include "fh.h"
#include "fileio.h"
#include "ledger.h"
#include "procfs.h"
#include "pace.h"
#include "slots.h"
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
#define NODE_BITS SLOT_NODE_BITS /* per-container inodes: see slots.h */

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
	if (r == 0) {
		r = fh_insert(h, &token);
		fh_unref(h);
	}
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* A token, not a pointer: a later renderer gets READs and RELEASEs
	 * for opens this one answered. */
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

/* The table lives in slots.c; nothing here holds its lock. */

static int64_t current_tick(struct timespec *now)
{
	clock_gettime(CLOCK_REALTIME, now);
	return ((int64_t)now->tv_sec * 1000 + now->tv_nsec / 1000000) /
	       (int64_t)(opts.staleness_ms ? opts.staleness_ms : 1);
}

static double attr_timeout(void)
{
	return (double)opts.staleness_ms / 1000.0;
}

/* getattr and read agree on one snapshot per tick: the kernel sizes its
 * page cache from getattr and reads pages later. */
static struct slot_snap *snap_of(struct slot *s, int view, bool need_fresh, int *err)
{
	struct timespec now;

	return slot_snapshot(s, view, current_tick(&now), need_fresh, opts.staleness_ms,
			     render_cb, opts.ctx, err);
}

/* "<pid>-<starttime>", both plain decimal: no sign, no space, no leading
 * zero, no overflow (sscanf took "+12" and wrapped large numbers). */
int fs_parse_name(const char *name, pid_t *pid, uint64_t *starttime)
{
	uint64_t v[2] = { 0, 0 };
	const char *p = name;

	for (int k = 0; k < 2; k++) {
		const char *begin = p;

		if (*p == '0' && p[1] >= '0' && p[1] <= '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (v[k] > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return -EINVAL;
			v[k] = v[k] * 10 + (uint64_t)(*p - '0');
		}
		if (p == begin || *p != (k == 0 ? '-' : '\0'))
			return -EINVAL;
		p++;
	}
	if (v[0] == 0 || v[0] > INT32_MAX)
		return -EINVAL;
	*pid = (pid_t)v[0];
	*starttime = v[1];
	return 0;
}

/* Creating and listing slots is for the host's root: uid 0 as the kernel
 * reports it to us (the daemon runs in the initial user namespace), or
 * CAP_SYS_ADMIN in that namespace. Reads of attached files need neither. */
static bool caller_privileged(fuse_req_t req)
{
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	_cleanup_free_ char *status = NULL;
	uint64_t ns, init_ns;
	unsigned long long caps;
	const char *l;
	char path[32];

	if (fc->uid == 0)
		return true;
	snprintf(path, sizeof(path), "%d/status", (int)fc->pid);
	if (fc->pid <= 0 || read_file_at(opts.ctx->proc_fd, path, 65536, &status) < 0 ||
	    !(l = strstr(status, "\nCapEff:")) || sscanf(l + 8, "%llx", &caps) != 1 ||
	    !(caps & (1ULL << 21 /* CAP_SYS_ADMIN */)))
		return false;
	return proc_ns_ino(opts.ctx->proc_fd, fc->pid, "user", &ns) == 0 &&
	       proc_ns_ino(opts.ctx->proc_fd, 1, "user", &init_ns) == 0 && ns == init_ns;
}

/* The slot for a root-level name: found, or resolved and inserted. */
static int slot_for_name(const char *name, struct slot **out)
{
	struct container *c;
	pid_t pid;
	uint64_t start;

	if (fs_parse_name(name, &pid, &start) < 0)
		return -ENOENT;
	*out = slots_find(pid, start);
	if (*out)
		return 0;
	c = resolve_pid(opts.ctx, pid, start);
	if (!c)
		return -ENOENT;
	return slots_insert(pid, start, c, out);
}

static void ct_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };
	struct slot *s;
	int node, n, r;

	if (parent == FUSE_ROOT_ID) {
		if (!caller_privileged(req)) {
			fuse_reply_err(req, EACCES);
			return;
		}
		r = slot_for_name(name, &s);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		e.ino = slot_ino(s, N_ROOT);
		slot_unref(s);
		e.entry_timeout = 3600;
		e.attr_timeout = 3600;
		fill_attr(&e.attr, e.ino, N_ROOT, 0, NULL);
		fuse_reply_entry(req, &e);
		return;
	}
	s = slots_find_ino(parent, &node);
	if (!s || !node_visible(node, false) || (n = child_node(node, name, false)) < 0) {
		slot_unref(s);
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = slot_ino(s, n);
	e.entry_timeout = 3600;
	if (nodes[n].view >= 0) {
		struct slot_snap *sn = snap_of(s, nodes[n].view, true, &r);

		if (!sn) {
			slot_unref(s);
			fuse_reply_err(req, EIO);
			return;
		}
		fill_attr(&e.attr, e.ino, n, (off_t)sn->len, &sn->mtime);
		slot_snap_unref(sn);
		e.attr_timeout = attr_timeout();
	} else {
		fill_attr(&e.attr, e.ino, n, 0, NULL);
		e.attr_timeout = 3600;
	}
	slot_unref(s);
	fuse_reply_entry(req, &e);
}

static void getattr_now(fuse_req_t req, fuse_ino_t ino)
{
	struct stat st;
	struct slot *s;
	int node, r = 0;

	s = slots_find_ino(ino, &node);
	if (!s || !node_visible(node, false)) {
		slot_unref(s);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (nodes[node].view < 0) {
		fill_attr(&st, ino, node, 0, NULL);
	} else {
		struct slot_snap *sn = snap_of(s, nodes[node].view, true, &r);

		if (sn)
			fill_attr(&st, ino, node, (off_t)sn->len, &sn->mtime);
		slot_snap_unref(sn);
	}
	slot_unref(s);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, nodes[node].view < 0 ? 3600 : attr_timeout());
}

static void read_now(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off)
{
	struct slot_snap *sn;
	struct slot *s;
	int node, r = 0;

	s = slots_find_ino(ino, &node);
	if (!s || !node_visible(node, false)) {
		slot_unref(s);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (nodes[node].view < 0) {
		slot_unref(s);
		fuse_reply_err(req, EISDIR);
		return;
	}
	/* Serve the snapshot getattr sized; render only if there is none. */
	sn = snap_of(s, nodes[node].view, false, &r);
	slot_unref(s);
	if (!sn) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (off < 0 || (size_t)off >= sn->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, sn->data + off, MIN(size, sn->len - (size_t)off));
	slot_snap_unref(sn);
}

/* A request held back by pace.c, answered later from the pacer thread. */
struct paced {
	fuse_req_t req;
	fuse_ino_t ino;
	size_t size;
	off_t off;
	bool is_read;
};

static void paced_run(void *arg)
{
	struct paced *p = arg;

	if (p->is_read)
		read_now(p->req, p->ino, p->size, p->off);
	else
		getattr_now(p->req, p->ino);
	free(p);
}

/* Defer a file's GETATTR or READ when its container is over its pace;
 * true if deferred (the pacer replies). */
static bool pace_or_serve(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool is_read)
{
	struct slot *s;
	struct paced *p;
	int node;
	int64_t delay;

	s = slots_find_ino(ino, &node);
	if (!s)
		return false;
	delay = node_visible(node, false) && nodes[node].view >= 0 ? pace_delay_us(s) : 0;
	slot_unref(s);
	if (delay <= 0 || !(p = malloc(sizeof(*p))))
		return false;
	*p = (struct paced){ req, ino, size, off, is_read };
	if (pace_defer(delay, paced_run, p) < 0) {
		free(p);
		return false;
	}
	return true;
}

static void ct_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino == FUSE_ROOT_ID) {
		fill_attr(&st, ino, N_ROOT, 0, NULL);
		st.st_mode = S_IFDIR | 0700; /* with default_permissions: root only */
		fuse_reply_attr(req, &st, 1);
		return;
	}
	if (!pace_or_serve(req, ino, 0, 0, false))
		getattr_now(req, ino);
}

static void ct_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)fi;
	if (!pace_or_serve(req, ino, size, off, true))
		read_now(req, ino, size, off);
}

static void add_slot_dirent(const struct slot *s, void *data)
{
	void **a = data;
	char name[64];

	snprintf(name, sizeof(name), "%d-%" PRIu64, (int)s->pid, s->starttime);
	dirbuf_add(a[0], a[1], name, slot_ino(s, N_ROOT), S_IFDIR);
}

static void ct_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirbuf b = { 0 };
	struct slot *s;
	int node;

	(void)fi;
	if (ino == FUSE_ROOT_ID) {
		void *a[2] = { req, &b };

		if (!caller_privileged(req)) {
			fuse_reply_err(req, EACCES);
			return;
		}
		dirbuf_add(req, &b, ".", ino, S_IFDIR);
		dirbuf_add(req, &b, "..", FUSE_ROOT_ID, S_IFDIR);
		slots_foreach(add_slot_dirent, a);
	} else {
		s = slots_find_ino(ino, &node);
		if (!s || !node_visible(node, false) || nodes[node].view >= 0) {
			slot_unref(s);
			fuse_reply_err(req, s ? ENOTDIR : ENOENT);
			return;
		}
		dirbuf_add(req, &b, ".", ino, S_IFDIR);
		dirbuf_add(req, &b, "..", FUSE_ROOT_ID, S_IFDIR);
		list_children(req, &b, node, ino & ~(fuse_ino_t)((1u << NODE_BITS) - 1), false);
		slot_unref(s);
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

struct sweep_job {
	void (*fn)(struct container *c, void *data);
	void *data;
	int64_t now;
};

/* Same start time and not a zombie: an exited container's init may
 * linger unreaped, with no cgroup left to show. */
static bool slot_alive(const struct slot *s, void *data)
{
	_cleanup_free_ char *text = NULL;
	char path[32], state;
	uint64_t st;

	(void)data;
	snprintf(path, sizeof(path), "%d/stat", (int)s->pid);
	return read_file_at(opts.ctx->proc_fd, path, 4096, &text) >= 0 &&
	       proc_parse_starttime(text, &st) == 0 && st == s->starttime &&
	       proc_parse_state(text, &state) == 0 && state != 'Z' && state != 'X';
}

static void slot_live(struct slot *s, void *data)
{
	struct sweep_job *j = data;

	if (j->fn && j->now - __atomic_load_n(&s->c->last_read_ms, __ATOMIC_RELAXED) <
			     10 * 60 * 1000)
		j->fn(s->c, j->data);
}

void fs_containers_sweep(void (*fn)(struct container *c, void *data), void *data)
{
	struct sweep_job j = { fn, data, monotonic_ms() };

	/* Sampling reads files: slots.c calls us without its lock held. */
	slots_sweep(slot_alive, slot_live, &j);
}

size_t fs_containers_count(void)
{
	return slots_count();
}

struct fuse_session *fs_session_new(const char *fsname, const struct fuse_lowlevel_ops *ops,
				    size_t ops_size, const char *extra)
{
	char opt[256];
	/* PROCVIEW_FUSE_DEBUG=1 prints every request (foreground only). */
	bool debug = getenv("PROCVIEW_FUSE_DEBUG") != NULL;
	char *argv[] = { "procviewd", "-o", opt, debug ? "-d" : NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, argv);
	struct fuse_session *se;
	int n;

	/* allow_other: container processes run as any uid. ro: the kernel
	 * refuses writes before they reach us. */
	n = snprintf(opt, sizeof(opt), "ro,allow_other,fsname=%s,subtype=procviewd%s", fsname,
		     extra);
	if (n < 0 || (size_t)n >= sizeof(opt))
		return NULL;
	se = fuse_session_new(&args, ops, ops_size, NULL);
	fuse_opt_free_args(&args);
	return se;
}

static struct fuse_session *session_new(const struct fs_opts *o, const char *fsname,
					const struct fuse_lowlevel_ops *ops, const char *extra)
{
	opts = *o;
	/* The mount's age, the same for every renderer that serves it. */
	if (!t_start.tv_sec)
		ledger_start_time(&t_start);
	return fs_session_new(fsname, ops, sizeof(*ops), extra);
}

struct fuse_session *fs_reader_new(const struct fs_opts *o, const char *fsname)
{
	return session_new(o, fsname, &reader_ops, FS_READER_OPTS);
}

static struct container *load_slot(pid_t pid, uint64_t starttime, void *data)
{
	(void)data;
	return resolve_pid(opts.ctx, pid, starttime);
}

struct fuse_session *fs_containers_new(const struct fs_opts *o, const char *fsname)
{
	struct fuse_session *se = session_new(o, fsname, &container_ops, FS_CONTAINERS_OPTS);

	slots_set_loader(load_slot, NULL);
	return se;
}
