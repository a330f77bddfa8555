/* cgroup v2: one unified tree; limits in memory.max, cpu.max, ... */
#include "cg_impl.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>


int cg_v2_memory(const struct cg_root *r, const char *path, struct cg_memory *m)
{
	int hfd = r->unifiedfd;
	_cleanup_free_ char *stat = NULL;
	int ret;

	ret = cg_read_u64(hfd, path, "memory.current", &m->usage);
	if (ret < 0)
		return ret;
	m->limit = cg_min_up(hfd, path, "memory.max");
	if (cg_read_text(hfd, path, "memory.stat", &stat) >= 0)
		cg_parse_memory_stat(stat, false, m);
	m->swap_limit = CG_UNLIMITED;
	if (cg_read_u64(hfd, path, "memory.swap.current", &m->swap_usage) == 0) {
		m->swap_accounted = true;
		m->swap_limit = cg_min_up(hfd, path, "memory.swap.max");
	}
	return 0;
}

int cg_v2_cpu(const struct cg_root *r, const struct cg_paths *p, struct cg_cpu *c)
{
	_cleanup_free_ char *cpus = NULL, *stat = NULL;
	int hfd = r->unifiedfd;
	char path[PATH_MAX];

	if (!p->unified)
		return -ENOENT;
	if (cg_read_text(hfd, p->unified, "cpuset.cpus.effective", &cpus) >= 0 &&
	    cpuset_parse(cpus, &c->cpus) == 0 && cpuset_count(&c->cpus) > 0)
		c->has_cpuset = true;
	if (snprintf(path, sizeof(path), "%s", p->unified) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	do {
		_cleanup_free_ char *max = NULL;
		uint64_t milli;

		if (cg_read_text(hfd, path, "cpu.max", &max) >= 0 &&
		    cg_parse_cpu_max(max, &milli) == 0 && milli &&
		    (!c->quota_milli || milli < c->quota_milli))
			c->quota_milli = milli;
	} while (cg_parent(path));
	if (cg_read_text(hfd, p->unified, "cpu.stat", &stat) >= 0)
		(void)cg_parse_cpu_stat_v2(stat, c);
	return 0;
}

int cg_v2_io(const struct cg_root *r, const char *path, struct cg_io *io)
{
	_cleanup_free_ char *text = NULL;

	if (cg_read_text(r->unifiedfd, path, "io.stat", &text) < 0)
		return -ENOENT;
	return cg_parse_io_stat(text, io);
}
