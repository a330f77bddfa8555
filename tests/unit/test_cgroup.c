/* The cgroup layer on fixture trees for v1, v2 and hybrid (run from the
 * repo root), plus one real v1 cgroup on this machine when root. */
#include "cgroup.h"
#include "render.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX "tests/fixtures/cgroup/"
#define V1_CHILD "5:memory:/parent/child\n4:cpu:/parent/child\n3:cpuacct:/parent/child\n" \
		 "2:cpuset:/parent/child\n1:blkio:/parent/child\n0::/parent/child\n"

static struct cg_root *open_root(const char *dir)
{
	struct cg_root *r = NULL;
	int e = cg_root_open(dir, &r);

	ok(e == 0, "open %s", dir);
	return r;
}

static void test_paths(void)
{
	struct cg_root *v2 = open_root(FIX "v2");
	struct cg_paths p;

	ok(cg_paths_parse("12:pids:/a\n11:cpu,cpuacct:/docker/x\n4:memory:/docker/x\n"
			  "1:name=systemd:/sys\n0::/u\n",
			  NULL, &p) == 0,
	   "paths: parse a v1 + unified text");
	is_str(p.cpu, "/docker/x", "paths: combined cpu,cpuacct sets cpu");
	is_str(p.cpuacct, "/docker/x", "paths: ... and cpuacct");
	is_str(p.pids, "/a", "paths: pids");
	is_str(p.unified, "/u", "paths: the 0:: line");
	ok(p.cpuset == NULL, "paths: absent controller stays NULL");
	cg_paths_free(&p);
	ok(cg_paths_parse("0::/kubepods/pod1/c1\n", v2, &p) == 0 && p.memory &&
		   strcmp(p.memory, "/kubepods/pod1/c1") == 0 && strcmp(p.cpuset, p.unified) == 0,
	   "paths: on v2 every controller is the unified path");
	cg_paths_free(&p);
	ok(cg_paths_parse("4:memory:/a/../../etc\n", NULL, &p) == -EINVAL, "paths: '..' refused");
	ok(cg_paths_parse("4:memory:relative\n", NULL, &p) == -EINVAL, "paths: relative refused");
	ok(cg_paths_parse("garbage\n", NULL, &p) == -EINVAL, "paths: garbage refused");
	ok(cg_paths_parse("x:memory:/a\n", NULL, &p) == -EINVAL, "paths: non-numeric id refused");
	ok(cg_paths_parse("1:memory:/a..b/c\n", NULL, &p) == 0, "paths: '..' inside a name is fine");
	cg_paths_free(&p);
	ok(cg_paths_parse("", v2, &p) == -ENOENT, "paths: v2 without a 0:: line is not resolvable");
	ok(cg_path_is_root("/") && !cg_path_is_root("/a") && !cg_path_is_root(NULL), "paths: is_root");
	cg_root_free(v2);
}

static void test_v2(void)
{
	struct cg_root *r = open_root(FIX "v2");
	struct cg_paths p;
	struct cg_memory m;
	struct cg_cpu c = { 0 };
	struct cg_io io = { 0 };
	struct cpuset online;
	struct cpu_view *v = malloc(sizeof(*v));
	char *text = NULL;
	pid_t *tids = NULL;
	size_t n = 0;

	ok(cg_root_layout(r) == CG_LAYOUT_V2, "v2: layout detected");
	cg_paths_parse("0::/parent/child\n", r, &p);
	ok(cg_read_memory(r, p.memory, &m) == 0, "v2: read memory");
	is_u64(m.limit, 536870912, "v2: nested limit: parent 512M beats child 1G");
	is_u64(m.usage, 104857600, "v2: memory.current");
	is_u64(m.cache, 41943040, "v2: memory.stat file -> cache");
	is_u64(m.slab_reclaimable, 3145728, "v2: slab_reclaimable");
	ok(m.has_slab, "v2: slab present");
	ok(m.swap_accounted && m.swap_limit == CG_UNLIMITED && m.swap_usage == 0,
	   "v2: swap.max 'max' is unlimited");
	ok(cg_read_cpu(r, &p, &c) == 0, "v2: read cpu");
	ok(c.has_cpuset && cpuset_count(&c.cpus) == 7, "v2: cpuset.cpus.effective 0-3,8,10-11");
	is_u64(c.quota_milli, 1500, "v2: cpu.max 150000/100000, parent max");
	is_u64(c.user_ns, 2000000000, "v2: cpu.stat user_usec");
	is_u64(c.system_ns, 1000000000, "v2: cpu.stat system_usec");
	cpuset_parse("0-15", &online);
	cpu_view_compute(&online, &c, true, v);
	ok(v->n == 2 && v->host_ids[0] == 0 && v->host_ids[1] == 1, "v2: quota above 1 rounds up: 2 CPUs");
	cpu_view_compute(&online, &c, false, v);
	ok(v->n == 7 && v->host_ids[4] == 8 && v->host_ids[6] == 11,
	   "v2: without quota the cpuset's 7, renumbered");
	cg_cpu_free(&c);
	ok(cg_read_io(r, p.blkio, &io) == 0 && io.n == 1 && io.devs[0].rbytes == 1048576 &&
		   io.devs[0].wios == 20,
	   "v2: io.stat");
	cg_io_free(&io);
	ok(cg_read_pressure(r, &p, "memory", &text) == 0 && strncmp(text, "some avg10=1.00", 15) == 0,
	   "v2: memory.pressure");
	free(text);
	ok(cg_read_tasks(r, &p, &tids, &n, 100) == 0 && n == 2 && tids[1] == 102, "v2: cgroup.threads");
	free(tids);
	cg_paths_free(&p);

	cg_paths_parse("0::/parent/tight\n", r, &p);
	cg_read_memory(r, p.memory, &m);
	ok(m.limit == 536870912, "v2: memory.max max under a 512M parent: 512M");
	cg_read_cpu(r, &p, &c);
	cpu_view_compute(&online, &c, true, v);
	ok(v->n == 1, "v2: quota 0.5 below a 4-CPU cpuset: 1 CPU");
	cg_cpu_free(&c);
	ok(m.swap_limit == 67108864 && m.swap_usage == 1048576, "v2: swap on: swap.max and swap.current");
	cg_paths_free(&p);

	cg_paths_parse("0::/garbage\n", r, &p);
	ok(cg_read_memory(r, p.memory, &m) == 0 && m.limit == CG_UNLIMITED,
	   "v2: garbage memory.max is no limit");
	cg_read_cpu(r, &p, &c);
	ok(c.quota_milli == 0, "v2: garbage cpu.max is no quota");
	cg_cpu_free(&c);
	cg_paths_free(&p);
	cg_paths_parse("0::/gone\n", r, &p);
	ok(cg_read_memory(r, p.memory, &m) == -ENOENT, "v2: a removed cgroup reads as -ENOENT");
	cg_paths_free(&p);
	free(v);
	cg_root_free(r);
}

static void test_v1(const char *dir, enum cg_layout want)
{
	struct cg_root *r = open_root(dir);
	struct cg_paths p;
	struct cg_memory m;
	struct cg_cpu c = { 0 };
	struct cg_io io = { 0 };
	struct cpuset online;
	struct cpu_view *v = malloc(sizeof(*v));
	static const char *const garbage[] = { "empty", "abc", "negative", "huge" };
	char *text = NULL;
	pid_t *tids = NULL;
	size_t n = 0;
	int pr;

	ok(cg_root_layout(r) == want, "%s: layout detected", dir);
	cg_paths_parse(V1_CHILD, r, &p);
	ok(cg_read_memory(r, p.memory, &m) == 0, "%s: read memory", dir);
	is_u64(m.limit, 536870912, "v1: nested limit: parent 512M beats child 1G and the root");
	is_u64(m.usage, 104857600, "v1: usage_in_bytes");
	is_u64(m.cache, 41943040, "v1: total_cache, not the local cache line");
	is_u64(m.anon, 52428800, "v1: total_rss -> anon");
	ok(!m.has_slab, "v1: no slab in memory.stat");
	ok(m.swap_accounted, "v1: memsw files mean swap accounting");
	is_u64(m.swap_limit, 268435456, "v1: swap = parent memsw 768M - memory 512M");
	is_u64(m.swap_usage, 4194304, "v1: swap used = memsw usage - usage");
	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/garbage-%s", garbage[i]);
		ok(cg_read_memory(r, path, &m) == 0 && m.limit == CG_UNLIMITED,
		   "v1: garbage limit '%s' is no limit", garbage[i]);
	}
	ok(cg_read_cpu(r, &p, &c) == 0, "v1: read cpu");
	ok(c.has_cpuset && cpuset_count(&c.cpus) == 7, "v1: effective_cpus wins over cpuset.cpus");
	is_u64(c.quota_milli, 2500, "v1: cfs quota 250000/100000, parent -1");
	ok(c.npercpu >= 12 && c.percpu_user_ns[1] == 2000000000 && c.percpu_system_ns[0] == 500000000,
	   "v1: cpuacct.usage_all per cpu");
	is_u64(c.user_ns, 3000000000ULL, "v1: user total");
	cpuset_parse("0-15", &online);
	cpu_view_compute(&online, &c, true, v);
	ok(v->n == 3 && v->host_ids[2] == 2, "v1: quota 2.5 below a 7-CPU cpuset: 3 CPUs");
	cg_cpu_free(&c);
	ok(cg_read_io(r, p.blkio, &io) == 0 && io.n == 1 && io.devs[0].wbytes == 2097152 &&
		   io.devs[0].rios == 10,
	   "v1: blkio throttle recursive files");
	cg_io_free(&io);
	ok(cg_read_tasks(r, &p, &tids, &n, 100) == 0 && n == 3, "v1: tasks");
	free(tids);
	pr = cg_read_pressure(r, &p, "cpu", &text);
	if (want == CG_LAYOUT_HYBRID)
		ok(pr == 0 && text && strstr(text, "total=12345"), "hybrid: PSI from the unified tree");
	else
		ok(pr == -ENOENT, "v1: no PSI without a unified tree");
	free(text);
	cg_paths_free(&p);
	/* a missing controller: no memory line at all */
	cg_paths_parse("4:cpu:/parent/child\n", r, &p);
	ok(cg_read_memory(r, p.memory, &m) == -ENOENT, "v1: missing memory controller is -ENOENT");
	cg_paths_free(&p);
	free(v);
	cg_root_free(r);
}

/* One real cgroup with a 256M limit on this machine: v1's memory
 * hierarchy where there is one, else the unified tree (check-vm's guest). */
static void test_real(void)
{
	char dir[128], path[192];
	const char *base, *file, *layout;
	struct cg_root *r = NULL;
	struct cg_memory m;
	bool v1 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", W_OK) == 0;
	FILE *f;

	base = v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
	file = v1 ? "memory.limit_in_bytes" : "memory.max";
	layout = v1 ? "v1" : "v2";
	if (!v1) {
		char ctl[256] = "";

		f = fopen("/sys/fs/cgroup/cgroup.subtree_control", "re");
		if (f) {
			if (!fgets(ctl, sizeof(ctl), f))
				ctl[0] = '\0';
			fclose(f);
		}
		if (!strstr(ctl, "memory"))
			base = NULL;
	}
	if (geteuid() != 0 || !base) {
		ok(1, "real cgroup # SKIP needs root and a memory controller (v1, or v2 delegated)");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/pvtest-cg-%d", base, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		ok(0, "mkdir %s", dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "we");
	if (f) {
		fputs("268435456\n", f);
		fclose(f);
	}
	ok(cg_root_open("/sys/fs/cgroup", &r) == 0, "real: open /sys/fs/cgroup");
	ok(cg_read_memory(r, dir + strlen(base), &m) == 0 && m.limit == 268435456,
	   "real: a 256M %s cgroup reads 268435456", layout);
	cg_root_free(r);
	rmdir(dir);
}

/* A cpu index of 2^32 or more used to be cast to int before the bound
 * check: 4294967296 became cpu 0 and the write landed 32 GiB past the array. */
static void test_usage_all_bounds(void)
{
	static const char *const bad[] = {
		"cpu user system\n4294967296 1 2\n",
		"cpu user system\n4294967297 1 2\n",
		"cpu user system\n9223372036854775807 1 2\n",
		"cpu user system\n-1 1 2\n",
		"cpu user system\n4096 1 2\n",
	};
	struct cg_cpu c = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		c = (struct cg_cpu){ 0 };
		ok(cg_parse_usage_all(bad[i], &c) == -ERANGE && c.npercpu == 0,
		   "usage_all: cpu index out of range refused (%.*s)", (int)strcspn(bad[i] + 16, " "),
		   bad[i] + 16);
		cg_cpu_free(&c);
	}
	c = (struct cg_cpu){ 0 };
	ok(cg_parse_usage_all("cpu user system\n4095 5 7\n", &c) == 0 && c.npercpu == 4096 &&
		   c.percpu_user_ns[4095] == 5 && c.percpu_system_ns[4095] == 7,
	   "usage_all: the last cpu index accepted");
	cg_cpu_free(&c);
}

int main(void)
{
	test_usage_all_bounds();
	test_paths();
	test_v2();
	test_v1(FIX "v1", CG_LAYOUT_V1);
	test_v1(FIX "hybrid", CG_LAYOUT_HYBRID);
	test_real();
	return done_testing();
}
