/* cpu_view_compute (the one CPU numbering) and the cpu list files. */
#include "buf.h"
#include "render.h"
#include "tap.h"

#include <errno.h>

static struct cpu_view v;

static struct cpuset set(const char *list)
{
	struct cpuset s;

	if (cpuset_parse(list, &s) < 0)
		ok(0, "bad test cpuset %s", list);
	return s;
}

/* The view as "n:h0,h1,..." for exact comparison. */
static const char *show(const struct cpu_view *cv)
{
	static char s[1024];
	int off = snprintf(s, sizeof(s), "%d:", cv->n);

	for (int i = 0; i < cv->n && off < (int)sizeof(s) - 16; i++)
		off += snprintf(s + off, sizeof(s) - (size_t)off, "%s%d", i ? "," : "", cv->host_ids[i]);
	return s;
}

static void check(const char *online, const struct cg_cpu *cg, bool quota, const char *want,
		  const char *name)
{
	struct cpuset on = set(online);

	memset(&v, 0x5a, sizeof(v));
	cpu_view_compute(&on, cg, quota, &v);
	is_str(show(&v), want, name);
}

static void test_view(void)
{
	struct cg_cpu cg = { 0 };

	check("0-3", NULL, true, "4:0,1,2,3", "no cgroup: all online");
	check("0-3", &cg, true, "4:0,1,2,3", "no cpuset: all online");
	check("0,2,5-6", &cg, false, "4:0,2,5,6", "no cpuset: holes in online kept in order");

	cg.has_cpuset = true;
	cg.cpus = set("0-3,8,10-11");
	check("0-15", &cg, false, "7:0,1,2,3,8,10,11", "odd cpuset 0-3,8,10-11");
	check("0-9", &cg, false, "5:0,1,2,3,8", "cpuset cut by online");
	check("1-15", &cg, false, "6:1,2,3,8,10,11", "cpu 0 offline");

	cg.quota_milli = 1500;
	check("0-15", &cg, true, "2:0,1", "quota 1.5 gives 2 cpus");
	check("0-15", &cg, false, "7:0,1,2,3,8,10,11", "quota ignored when not used");
	cg.quota_milli = 5000;
	check("0-15", &cg, true, "5:0,1,2,3,8", "quota 5 below the cpuset size");
	cg.quota_milli = 5001;
	check("0-15", &cg, true, "6:0,1,2,3,8,10", "quota 5.001 rounds up to 6");
	cg.quota_milli = 32000;
	check("0-15", &cg, true, "7:0,1,2,3,8,10,11", "quota above the cpuset size");
	cg.quota_milli = 1;
	check("0-15", &cg, true, "1:0", "tiny quota still one cpu");
	cg.quota_milli = UINT64_MAX;
	check("0-15", &cg, true, "7:0,1,2,3,8,10,11", "absurd quota does not overflow");

	cg.quota_milli = 0;
	cg.cpus = set("20-21");
	check("2-15", &cg, true, "1:2", "empty intersection: first online cpu");
	check("", &cg, true, "1:0", "nothing online: cpu 0");
	cpu_view_compute(NULL, &cg, true, &v);
	is_str(show(&v), "1:0", "NULL online: cpu 0");

	cg.cpus = set("4095");
	check("0-4095", &cg, false, "1:4095", "highest cpu id");
	cg.has_cpuset = false;
	{
		struct cpuset all = set("0-4095");

		cpu_view_compute(&all, &cg, false, &v);
	}
	ok(v.n == 4096 && v.host_ids[4095] == 4095 && v.host_ids[100] == 100, "all 4096 cpus: ids kept");
}

static void test_cpulist(void)
{
	struct buf b = { 0 };
	struct cpu_view cv = { .n = 1 };

	ok(render_cpulist(&cv, &b) == 0, "cpulist: renders");
	is_str(b.data, "0\n", "cpulist: one cpu");
	buf_reset(&b);
	cv.n = 7;
	render_cpulist(&cv, &b);
	is_str(b.data, "0-6\n", "cpulist: seven cpus, contiguous");
	buf_reset(&b);
	cv.n = 0;
	ok(render_cpulist(&cv, &b) == -EINVAL, "cpulist: n 0 refused");
	ok(render_cpulist(NULL, &b) == -EINVAL, "cpulist: NULL refused");
	buf_free(&b);
}

int main(void)
{
	test_view();
	test_cpulist();
	return done_testing();
}
