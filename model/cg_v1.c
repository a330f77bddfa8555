/* cgroup v1: one hierarchy per controller (also the hybrid layout). */
#include "cg_impl.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>



int cg_v1_memory(const struct cg_root *r, const char *path, struct cg_memory *m)
{
	int hfd = r->v1fd[CTRL_MEMORY];
	_cleanup_free_ char *stat = NULL;
	uint64_t memsw_usage, memsw_limit;
	int ret;

	if (hfd < 0)
		return -ENOENT;
	ret = cg_read_u64(hfd, path, "memory.usage_in_bytes", &m->usage);
	if (ret < 0)
		return ret; /* gone or unreadable: the caller serves the host */
	m->limit = cg_min_up(hfd, path, "memory.limit_in_bytes");
	if (cg_read_text(hfd, path, "memory.stat", &stat) >= 0)
		cg_parse_memory_stat(stat, true, m);
	m->swap_limit = CG_UNLIMITED;
	if (cg_read_u64(hfd, path, "memory.memsw.usage_in_bytes", &memsw_usage) == 0) {
		m->swap_accounted = true;
		m->swap_usage = memsw_usage > m->usage ? memsw_usage - m->usage : 0;
		memsw_limit = cg_min_up(hfd, path, "memory.memsw.limit_in_bytes");
		if (memsw_limit != CG_UNLIMITED)
			m->swap_limit = memsw_limit > m->limit ? memsw_limit - m->limit : 0;
	}
	return 0;
}

static void cpu_quota(int hfd, const char *path, struct cg_cpu *c)
{
	char p[PATH_MAX];

	if (hfd < 0 || !path || snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return;
	do {
		int64_t q, per;

		if (cg_read_i64(hfd, p, "cpu.cfs_quota_us", &q) == 0 && q > 0 &&
		    cg_read_i64(hfd, p, "cpu.cfs_period_us", &per) == 0 && per > 0) {
			uint64_t milli = (uint64_t)q * 1000 / (uint64_t)per;

			if (!milli)
				milli = 1;
			if (!c->quota_milli || milli < c->quota_milli)
				c->quota_milli = milli;
		}
	} while (cg_parent(p));
}

static int cpu_usage(int hfd, const char *path, struct cg_cpu *c)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *ut = NULL, *st = NULL;

	if (cg_read_text(hfd, path, "cpuacct.usage_all", &text) >= 0 &&
	    cg_parse_usage_all(text, c) == 0)
		return 0;
	cg_cpu_free(c);
	c->user_ns = c->system_ns = 0;
	/* older kernels: per-cpu user and system in two files */
	if (cg_read_text(hfd, path, "cpuacct.usage_percpu_user", &ut) >= 0 &&
	    cg_read_text(hfd, path, "cpuacct.usage_percpu_sys", &st) >= 0) {
		char *pu = ut, *ps = st;

		for (int cpu = 0; cpu < CPUSET_MAX; cpu++) {
			char *eu, *es;
			uint64_t u = strtoull(pu, &eu, 10), s = strtoull(ps, &es, 10);

			if (eu == pu || es == ps)
				break;
			c->user_ns += u;
			c->system_ns += s;
			pu = eu;
			ps = es;
		}
		c->has_usage = true;
		return 0;
	}
	return -ENOENT;
}

int cg_v1_cpu(const struct cg_root *r, const struct cg_paths *p, struct cg_cpu *c)
{
	_cleanup_free_ char *cpus = NULL;
	int hfd = r->v1fd[CTRL_CPUSET];

	if (hfd >= 0 && p->cpuset &&
	    (cg_read_text(hfd, p->cpuset, "cpuset.effective_cpus", &cpus) >= 0 ||
	     cg_read_text(hfd, p->cpuset, "cpuset.cpus", &cpus) >= 0) &&
	    cpuset_parse(cpus, &c->cpus) == 0 && cpuset_count(&c->cpus) > 0)
		c->has_cpuset = true;
	cpu_quota(r->v1fd[CTRL_CPU], p->cpu, c);
	if (r->v1fd[CTRL_CPUACCT] >= 0 && p->cpuacct)
		(void)cpu_usage(r->v1fd[CTRL_CPUACCT], p->cpuacct, c);
	return 0;
}

int cg_v1_io(const struct cg_root *r, const char *path, struct cg_io *io)
{
	_cleanup_free_ char *bytes = NULL, *ios = NULL;
	int hfd = r->v1fd[CTRL_BLKIO];

	if (hfd < 0)
		return -ENOENT;
	if (cg_read_text(hfd, path, "blkio.throttle.io_service_bytes_recursive", &bytes) < 0)
		return -ENOENT;
	(void)cg_read_text(hfd, path, "blkio.throttle.io_serviced_recursive", &ios);
	return cg_parse_blkio(bytes, ios, io);
}
