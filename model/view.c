#include "view.h"
#include "fileio.h"
#include "procfs.h"
#include "render.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>


static long read_host(const struct view_ctx *ctx, enum view_id id, char **text)
{
	const struct view_file *f = &view_files[id];

	return read_file_at(f->sys ? ctx->sys_fd : ctx->proc_fd, f->host_path,
			    READ_MAX_DEFAULT, text);
}

int view_host(const struct view_ctx *ctx, enum view_id id, struct buf *out)
{
	_cleanup_free_ char *text = NULL;
	long n = read_host(ctx, id, &text);

	if (n < 0)
		return (int)n;
	return buf_append(out, text, (size_t)n);
}

/* Root or absent: this controller does not limit the reader. */
static bool unlimited(const char *path)
{
	return !path || cg_path_is_root(path);
}

static bool cpu_is_host(const struct container *c)
{
	return unlimited(c->paths.cpuset) && unlimited(c->paths.cpu) &&
	       unlimited(c->paths.cpuacct);
}

static int host_online(const struct view_ctx *ctx, struct cpuset *online)
{
	_cleanup_free_ char *text = NULL;
	long n = read_file_at(ctx->sys_fd, "devices/system/cpu/online", 65536, &text);

	if (n < 0)
		return (int)n;
	return cpuset_parse(text, online);
}

/* Everything a CPU file needs: the cgroup's CPU facts and the one view
 * (count and numbering) that every CPU file shares. */
struct cpu_inputs {
	struct cg_cpu cg;
	struct cpu_view v;
};

static void cpu_inputs_freep(struct cpu_inputs **in)
{
	if (*in) {
		cg_cpu_free(&(*in)->cg);
		free(*in);
	}
}

/* One CPU numbering for every file comes from this single computation. */
static int gather_cpu(const struct view_ctx *ctx, const struct container *c,
		      struct cpu_inputs **out)
{
	_cleanup_(cpu_inputs_freep) struct cpu_inputs *in = calloc(1, sizeof(*in));
	struct cpuset online;
	int r;

	if (!in)
		return -ENOMEM;
	r = host_online(ctx, &online);
	if (r < 0)
		return r;
	r = cg_read_cpu(ctx->cg, &c->paths, &in->cg);
	if (r < 0)
		return r;
	cpu_view_compute(&online, &in->cg, ctx->cpu_quota, &in->v);
	*out = steal_pointer(&in);
	return 0;
}

static int r_meminfo_into(const struct view_ctx *ctx, struct container *c,
			  struct cg_memory *m, struct buf *out)
{
	_cleanup_free_ char *host = NULL;
	int r;

	if (read_host(ctx, V_MEMINFO, &host) < 0)
		return -EIO;
	r = cg_read_memory(ctx->cg, c->paths.memory, m);
	if (r < 0)
		return r;
	return render_meminfo(host, m, out);
}

static int r_meminfo(const struct view_ctx *ctx, struct container *c, enum view_id id,
		     struct buf *out)
{
	(void)id;
	struct cg_memory m;

	return r_meminfo_into(ctx, c, &m, out);
}

static int r_swaps(const struct view_ctx *ctx, struct container *c, enum view_id id,
		   struct buf *out)
{
	(void)id;
	_cleanup_free_ char *host = NULL;
	struct buf mem = { 0 };
	struct cg_memory m;
	int r;

	if (read_host(ctx, V_SWAPS, &host) < 0)
		return -EIO;
	r = r_meminfo_into(ctx, c, &m, &mem);
	if (r == 0)
		r = render_swaps(host, &m, mem.data, out);
	buf_free(&mem);
	return r;
}

static int r_cpuinfo(const struct view_ctx *ctx, struct container *c, enum view_id id,
		     struct buf *out)
{
	_cleanup_free_ char *host = NULL;
	_cleanup_(cpu_inputs_freep) struct cpu_inputs *in = NULL;
	int r;

	(void)id;
	if (read_host(ctx, V_CPUINFO, &host) < 0)
		return -EIO;
	r = gather_cpu(ctx, c, &in);
	return r < 0 ? r : render_cpuinfo(host, &in->v, out);
}

static int r_cpulist(const struct view_ctx *ctx, struct container *c, enum view_id id,
		     struct buf *out)
{
	_cleanup_(cpu_inputs_freep) struct cpu_inputs *in = NULL;
	int r = gather_cpu(ctx, c, &in);

	(void)id;
	return r < 0 ? r : render_cpulist(&in->v, out);
}

/* The container's age: uptime's first field and sysinfo's uptime. */
static double age_seconds(const struct container *c)
{
	double age = boottime_now() - (double)c->start_ticks / (double)clock_ticks();

	return age > 0 ? age : 0;
}

static int r_stat(const struct view_ctx *ctx, struct container *c, enum view_id id,
		  struct buf *out)
{
	_cleanup_free_ char *host = NULL;
	_cleanup_(cpu_inputs_freep) struct cpu_inputs *in = NULL;
	struct stat_extra x;
	int r;

	(void)id;
	if (read_host(ctx, V_STAT, &host) < 0)
		return -EIO;
	r = gather_cpu(ctx, c, &in);
	if (r < 0)
		return r;
	x.age_ns = (uint64_t)((c->host_pidns ? boottime_now() : age_seconds(c)) * 1e9);
	pthread_mutex_lock(&c->lock);
	x.procs_running = c->load.sampled ? (int)c->load.running : -1;
	x.procs_blocked = c->load.sampled ? c->procs_blocked : -1;
	if (!c->mono)
		c->mono = calloc(1, sizeof(*c->mono));
	r = c->mono ? render_stat(host, &in->v, &in->cg, &x, c->mono, out) : -ENOMEM;
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int r_uptime(const struct view_ctx *ctx, struct container *c, enum view_id id,
		    struct buf *out)
{
	_cleanup_(cpu_inputs_freep) struct cpu_inputs *in = NULL;
	int r = gather_cpu(ctx, c, &in);

	(void)id;
	if (r < 0)
		return r;
	return render_uptime(age_seconds(c), (double)(in->cg.user_ns + in->cg.system_ns) / 1e9,
			     in->v.n, out);
}

/* One pass over a cgroup's tasks: R and D counts, total, newest pid as
 * the container numbers it. */
struct load_sample {
	unsigned running, blocked, total;
	int last_pid;
};

static void sample_tasks(const struct view_ctx *ctx, const struct container *c,
			 struct load_sample *ls)
{
	_cleanup_free_ pid_t *tids = NULL;
	size_t n = 0;
	unsigned running = 0, blocked = 0;
	pid_t maxtid = 0;
	int last_pid = 0;

	if (cg_read_tasks(ctx->cg, &c->paths, &tids, &n, 65536) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		char path[48], st;

		snprintf(path, sizeof(path), "%d/stat", (int)tids[i]);
		if (read_file_at(ctx->proc_fd, path, 4096, &text) < 0 ||
		    proc_parse_state(text, &st) < 0)
			continue;
		running += st == 'R';
		blocked += st == 'D';
		if (tids[i] > maxtid)
			maxtid = tids[i];
	}
	/* Show the newest pid as the container numbers it. */
	if (maxtid) {
		_cleanup_free_ char *status = NULL;
		char path[48];
		const char *l;

		snprintf(path, sizeof(path), "%d/status", (int)maxtid);
		if (read_file_at(ctx->proc_fd, path, 65536, &status) >= 0 &&
		    (l = strstr(status, "\nNSpid:"))) {
			const char *end = strchr(l + 1, '\n');
			const char *sp = end;

			while (sp > l && sp[-1] != '\t' && sp[-1] != ' ')
				sp--;
			last_pid = atoi(sp);
		}
		if (last_pid <= 0)
			last_pid = maxtid;
	}
	*ls = (struct load_sample){ running, blocked, (unsigned)n, last_pid };
}

static void apply_sample(struct container *c, const struct load_sample *ls)
{
	pthread_mutex_lock(&c->lock);
	loadavg_sample(&c->load, ls->running + ls->blocked, ls->running, ls->total, ls->last_pid);
	c->procs_blocked = (int)ls->blocked;
	c->last_sample_ms = monotonic_ms();
	pthread_mutex_unlock(&c->lock);
}

void view_sample_load(const struct view_ctx *ctx, struct container *c)
{
	struct load_sample ls;

	sample_tasks(ctx, c, &ls);
	apply_sample(c, &ls);
}

static int by_cgroup(const void *a, const void *b)
{
	const struct container *x = *(struct container *const *)a;
	const struct container *y = *(struct container *const *)b;

	return strcmp(x->cgroup_text, y->cgroup_text);
}

size_t view_sample_load_all(const struct view_ctx *ctx, struct container **cs, size_t n)
{
	size_t sampled = 0;

	/* Containers in the same cgroups (a per-reader entry and a slot, two
	 * pid namespaces in one cgroup) share one walk of the tasks. */
	qsort(cs, n, sizeof(*cs), by_cgroup);
	for (size_t i = 0; i < n;) {
		struct load_sample ls;
		size_t j = i;

		sample_tasks(ctx, cs[i], &ls);
		sampled++;
		for (; j < n && strcmp(cs[j]->cgroup_text, cs[i]->cgroup_text) == 0; j++)
			apply_sample(cs[j], &ls);
		i = j;
	}
	return sampled;
}

/* The container's load state, as loadavg and sysinfo both show it. */
static void load_snapshot(const struct view_ctx *ctx, struct container *c,
			  struct loadavg_state *out)
{
	bool sampled, empty;

	pthread_mutex_lock(&c->lock);
	sampled = c->load.sampled;
	empty = c->load.total == 0;
	pthread_mutex_unlock(&c->lock);
	/* First read: sample now so running/total are real at once. */
	if (!sampled) {
		view_sample_load(ctx, c);
	} else if (empty) {
		/* The last sample found the cgroup empty (between two short-lived
		 * readers), but someone reads now: recount the tasks, without a
		 * decay step out of period. */
		struct load_sample ls;

		sample_tasks(ctx, c, &ls);
		pthread_mutex_lock(&c->lock);
		c->load.running = ls.running;
		c->load.total = ls.total;
		c->load.last_pid = ls.last_pid;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->lock);
	*out = c->load;
	pthread_mutex_unlock(&c->lock);
}

static int r_loadavg(const struct view_ctx *ctx, struct container *c, enum view_id id,
		     struct buf *out)
{
	struct loadavg_state load;

	(void)id;
	if (!ctx->loadavg)
		return view_host(ctx, V_LOADAVG, out);
	load_snapshot(ctx, c, &load);
	return render_loadavg(&load, out);
}

static int r_diskstats(const struct view_ctx *ctx, struct container *c, enum view_id id,
		       struct buf *out)
{
	(void)id;
	_cleanup_free_ char *host = NULL;
	struct cg_io io = { 0 };
	int r;

	if (read_host(ctx, V_DISKSTATS, &host) < 0)
		return -EIO;
	r = cg_read_io(ctx->cg, c->paths.blkio, &io);
	if (r == 0)
		r = render_diskstats(host, &io, out);
	cg_io_free(&io);
	return r;
}

static int r_pressure(const struct view_ctx *ctx, struct container *c, enum view_id id,
		      struct buf *out)
{
	static const char *const which[] = { "cpu", "memory", "io" };
	_cleanup_free_ char *text = NULL;
	int r = cg_read_pressure(ctx->cg, &c->paths, which[id - V_PSI_CPU], &text);

	if (r < 0)
		return r;
	return buf_puts(out, text);
}

/* Is this file, for this container, simply the host's? */
static bool is_host_view(const struct container *c, enum view_id id)
{
	switch (id) {
	case V_MEMINFO:
	case V_SWAPS:
		return unlimited(c->paths.memory);
	case V_UPTIME:
		return c->host_pidns;
	case V_LOADAVG:
	case V_STAT:
		return unlimited(c->paths.cpuacct) && cpu_is_host(c);
	case V_DISKSTATS:
		return unlimited(c->paths.blkio);
	case V_PSI_CPU:
	case V_PSI_MEMORY:
	case V_PSI_IO:
		return unlimited(c->paths.unified);
	default:
		return cpu_is_host(c);
	}
}

static int snapshot_render(const void *ctx, struct container *c, int view, struct buf *out)
{
	return view_render(ctx, c, (enum view_id)view, out);
}

int view_sysinfo(const struct view_ctx *ctx, struct container *c, const struct sysinfo *host,
		 int64_t tick, struct sysinfo *out)
{
	_cleanup_free_ char *meminfo = NULL;
	struct sysinfo_inputs in = { 0 };
	struct loadavg_state load;
	size_t len;
	int r;

	if (c && !is_host_view(c, V_MEMINFO)) {
		/* The very bytes /proc/meminfo serves this tick; swaps agrees
		 * with them by construction. */
		r = tick >= 0 ? container_snapshot(c, V_MEMINFO, tick, snapshot_render, ctx,
						   &meminfo, &len)
			      : -EAGAIN;
		if (r < 0) {
			struct buf b = { 0 };

			r = view_render(ctx, c, V_MEMINFO, &b);
			if (r < 0) {
				buf_free(&b);
				return r;
			}
			meminfo = buf_steal(&b, &len);
		}
		in.meminfo = meminfo;
	}
	if (c && !is_host_view(c, V_UPTIME)) {
		in.has_uptime = true;
		in.uptime_s = age_seconds(c);
	}
	if (c && ctx->loadavg && !is_host_view(c, V_LOADAVG)) {
		load_snapshot(ctx, c, &load);
		in.load = &load;
	}
	return sysinfo_compute(host, &in, out);
}

bool view_sysinfo_is_host(const struct view_ctx *ctx, const struct container *c)
{
	return !c || (is_host_view(c, V_MEMINFO) && is_host_view(c, V_UPTIME) &&
		      (!ctx->loadavg || is_host_view(c, V_LOADAVG)));
}

int view_render(const struct view_ctx *ctx, struct container *c, enum view_id id,
		struct buf *out)
{
	int r;

	if ((unsigned)id >= V_COUNT)
		return -EINVAL;
	if (!c || is_host_view(c, id))
		return view_host(ctx, id, out);
	r = view_files[id].render(ctx, c, id, out);
	if (r < 0) {
		/* Gone mid-read or unreadable: the host's file beats an error. */
		if (ctx->stats) {
			atomic_store(&ctx->stats->last_view, (int)id);
			atomic_store(&ctx->stats->last_err, r);
			atomic_fetch_add(&ctx->stats->fallbacks, 1);
		}
		buf_reset(out);
		return view_host(ctx, id, out);
	}
	return 0;
}

/* Every file: where it lives, where the host keeps its own, who renders it. */
const struct view_file view_files[V_COUNT] = {
	[V_MEMINFO] = { "proc/meminfo", "meminfo", false, r_meminfo },
	[V_CPUINFO] = { "proc/cpuinfo", "cpuinfo", false, r_cpuinfo },
	[V_STAT] = { "proc/stat", "stat", false, r_stat },
	[V_UPTIME] = { "proc/uptime", "uptime", false, r_uptime },
	[V_LOADAVG] = { "proc/loadavg", "loadavg", false, r_loadavg },
	[V_DISKSTATS] = { "proc/diskstats", "diskstats", false, r_diskstats },
	[V_SWAPS] = { "proc/swaps", "swaps", false, r_swaps },
	[V_PSI_CPU] = { "proc/pressure/cpu", "pressure/cpu", false, r_pressure },
	[V_PSI_MEMORY] = { "proc/pressure/memory", "pressure/memory", false, r_pressure },
	[V_PSI_IO] = { "proc/pressure/io", "pressure/io", false, r_pressure },
	[V_ONLINE] = { "sys/devices/system/cpu/online", "devices/system/cpu/online", true, r_cpulist },
	[V_PRESENT] = { "sys/devices/system/cpu/present", "devices/system/cpu/present", true, r_cpulist },
	[V_POSSIBLE] = { "sys/devices/system/cpu/possible", "devices/system/cpu/possible", true, r_cpulist },
};
