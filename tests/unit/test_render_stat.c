/* render_stat: container CPU time on the visible CPUs, monotonic. */
#include "buf.h"
#include "fileio.h"
#include "render.h"
#include "tap.h"
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>

#define TICK 10000000ULL /* ns per USER_HZ tick */
#define SEC 1000000000ULL


static const char HOST[] =
	"cpu  100 0 100 1000 0 0 0 0 0 0\n"
	"cpu0 50 0 50 500 0 0 0 0 0 0\n"
	"cpu1 50 0 50 500 0 0 0 0 0 0\n"
	"intr 12345 0 0\n"
	"ctxt 999\n"
	"btime 1700000000\n"
	"processes 4242\n"
	"procs_running 3\n"
	"procs_blocked 1\n"
	"softirq 1 2 3\n";

static struct cpu_view view(int n)
{
	struct cpu_view cv = { .n = n };

	for (int i = 0; i < n; i++)
		cv.host_ids[i] = i;
	return cv;
}

/* The output up to the first line that is not a cpu line. */
static const char *cpu_lines(const char *s)
{
	static char out[4096];
	const char *p = s;

	while (!strncmp(p, "cpu", 3) && strchr(p, '\n'))
		p = strchr(p, '\n') + 1;
	snprintf(out, sizeof(out), "%.*s", (int)(p - s), s);
	return out;
}

static void test_spread(void)
{
	struct cpu_view cv = view(2);
	struct cg_cpu cg = { .has_usage = true, .user_ns = 1230 * TICK / 10, .system_ns = 45 * TICK };
	struct stat_extra x = { .age_ns = 10 * SEC, .procs_running = 2, .procs_blocked = 0 };
	struct stat_mono mono = { 0 };
	struct buf b = { 0 };

	ok(render_stat(HOST, &cv, &cg, &x, &mono, &b) == 0, "v2 spread: renders");
	is_str(b.data,
	       "cpu  123 0 45 1832 0 0 0 0 0 0\n"
	       "cpu0 62 0 23 915 0 0 0 0 0 0\n"
	       "cpu1 61 0 22 917 0 0 0 0 0 0\n"
	       "intr 12345 0 0\n"
	       "ctxt 999\n"
	       "btime 1700000000\n"
	       "processes 4242\n"
	       "procs_running 2\n"
	       "procs_blocked 0\n"
	       "softirq 1 2 3\n",
	       "v2 spread: even split, remainder first, idle = age - busy, procs replaced");
	buf_reset(&b);

	/* Monotonic: a smaller usage on the next read changes nothing. */
	cg.user_ns = 100 * TICK;
	cg.system_ns = 10 * TICK;
	ok(render_stat(HOST, &cv, &cg, &x, &mono, &b) == 0, "mono: renders");
	is_str(cpu_lines(b.data),
	       "cpu  123 0 45 1890 0 0 0 0 0 0\n"
	       "cpu0 62 0 23 945 0 0 0 0 0 0\n"
	       "cpu1 61 0 22 945 0 0 0 0 0 0\n",
	       "mono: smaller usage keeps user/system; idle grows from the smaller busy");
	buf_reset(&b);

	x.age_ns = 11 * SEC;
	render_stat(HOST, &cv, &cg, &x, &mono, &b);
	is_str(cpu_lines(b.data),
	       "cpu  123 0 45 2090 0 0 0 0 0 0\n"
	       "cpu0 62 0 23 1045 0 0 0 0 0 0\n"
	       "cpu1 61 0 22 1045 0 0 0 0 0 0\n",
	       "mono: idle moves on from the new age while busy holds");
	buf_reset(&b);

	/* A different cpu count resets the state. */
	cv = view(1);
	render_stat(HOST, &cv, &cg, &x, &mono, &b);
	is_str(cpu_lines(b.data), "cpu  100 0 10 990 0 0 0 0 0 0\ncpu0 100 0 10 990 0 0 0 0 0 0\n",
	       "mono: n change resets, one cpu");
	is_u64(mono.n, 1, "mono: n recorded");
	buf_reset(&b);

	/* No mono state at all is allowed. */
	render_stat(HOST, &cv, &cg, &x, NULL, &b);
	is_str(cpu_lines(b.data), "cpu  100 0 10 990 0 0 0 0 0 0\ncpu0 100 0 10 990 0 0 0 0 0 0\n",
	       "mono NULL: plain values");
	buf_reset(&b);

	/* Busy beyond age (clock skew): idle 0, never negative. */
	x.age_ns = 1 * SEC;
	render_stat(HOST, &cv, &cg, &x, NULL, &b);
	is_str(cpu_lines(b.data), "cpu  100 0 10 0 0 0 0 0 0 0\ncpu0 100 0 10 0 0 0 0 0 0 0\n",
	       "busy above age: idle 0");
	buf_reset(&b);

	/* Nothing known: all idle. procs -1 keep the host's lines. */
	cg = (struct cg_cpu){ 0 };
	x = (struct stat_extra){ .age_ns = 5 * SEC, .procs_running = -1, .procs_blocked = -1 };
	render_stat(HOST, &cv, &cg, &x, NULL, &b);
	ok(strstr(b.data, "cpu0 0 0 0 500 0 0 0 0 0 0\n") && strstr(b.data, "procs_running 3\nprocs_blocked 1\n"),
	   "no usage: all idle; procs -1 keep the host's lines");
	buf_free(&b);
}

static void test_fold(const char *host16)
{
	struct cpuset online, cs;
	struct cg_cpu cg = { .has_cpuset = true, .quota_milli = 2500, .has_usage = true, .npercpu = 16 };
	uint64_t pu[16], ps[16], tu = 0, ts = 0;
	struct stat_extra x = { .age_ns = 100 * SEC, .procs_running = -1, .procs_blocked = -1 };
	struct stat_mono mono = { 0 };
	struct cpu_view cv;
	struct buf b = { 0 };
	const char *rest;

	for (int h = 0; h < 16; h++) {
		pu[h] = (uint64_t)(h + 1) * 10 * TICK;
		ps[h] = TICK;
		tu += pu[h];
		ts += ps[h];
	}
	cg.percpu_user_ns = pu;
	cg.percpu_system_ns = ps;
	cg.user_ns = tu;
	cg.system_ns = ts;
	cpuset_parse("0-15", &online);
	cpuset_parse("0-3,8,10-11", &cs);
	cg.cpus = cs;
	cpu_view_compute(&online, &cg, true, &cv);
	is_u64(cv.n, 3, "fold: quota 2.5 on a 7-cpu cpuset gives 3 cpus");
	ok(render_stat(host16, &cv, &cg, &x, &mono, &b) == 0, "fold: renders");
	/* cpuset ranks 3,4,5,6 (hosts 3,8,10,11) fold to 0,1,2,0; cpus outside
	 * the cpuset (4-7,9,12-15) fold by host id mod 3. */
	is_str(cpu_lines(b.data),
	       "cpu  1360 0 16 28624 0 0 0 0 0 0\n"
	       "cpu0 630 0 7 9363 0 0 0 0 0 0\n"
	       "cpu1 380 0 5 9615 0 0 0 0 0 0\n"
	       "cpu2 350 0 4 9646 0 0 0 0 0 0\n",
	       "fold: per-cpu usage folded, totals conserved");
	rest = strstr(b.data, "intr ");
	ok(rest && strstr(host16, rest) && !strstr(b.data, "cpu3"), "fold: host lines after the cpu block kept, no cpu3");
	buf_reset(&b);

	/* v1 with per-cpu totals but no user/system split. */
	cg.percpu_system_ns = NULL;
	render_stat(host16, &cv, &cg, &x, NULL, &b);
	is_str(cpu_lines(b.data),
	       "cpu  1360 0 16 28624 0 0 0 0 0 0\n"
	       "cpu0 630 0 6 9364 0 0 0 0 0 0\n"
	       "cpu1 380 0 5 9615 0 0 0 0 0 0\n"
	       "cpu2 350 0 5 9645 0 0 0 0 0 0\n",
	       "fold: no per-cpu system, system spread evenly");
	buf_reset(&b);

	/* No cpuset: host ids fold by id mod n. */
	cg.has_cpuset = false;
	cg.percpu_system_ns = ps;
	cg.quota_milli = 0;
	cpuset_parse("0-3", &online);
	cpu_view_compute(&online, &cg, true, &cv);
	render_stat(host16, &cv, &cg, &x, NULL, &b);
	is_str(cpu_lines(b.data),
	       "cpu  1360 0 16 38624 0 0 0 0 0 0\n"
	       "cpu0 280 0 4 9716 0 0 0 0 0 0\n"
	       "cpu1 320 0 4 9676 0 0 0 0 0 0\n"
	       "cpu2 360 0 4 9636 0 0 0 0 0 0\n"
	       "cpu3 400 0 4 9596 0 0 0 0 0 0\n",
	       "fold: 16 host cpus onto 4 online, no cpuset");
	buf_free(&b);
}

static void test_layouts(const char *host2)
{
	struct cpu_view cv = view(2);
	struct cg_cpu cg = { .has_usage = true, .user_ns = 2 * TICK, .system_ns = 2 * TICK };
	struct stat_extra x = { .age_ns = SEC, .procs_running = -1, .procs_blocked = -1 };
	struct buf b = { 0 };

	ok(render_stat(host2, &cv, NULL, &x, NULL, &b) == 0 && !strcmp(b.data, host2),
	   "cg NULL: host verbatim");
	buf_reset(&b);

	render_stat("cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\nctxt 1\n", &cv, &cg, &x, NULL, &b);
	is_str(b.data, "cpu  2 0 2 196 0 0 0 0\ncpu0 1 0 1 98 0 0 0 0\ncpu1 1 0 1 98 0 0 0 0\nctxt 1\n",
	       "8-column host: 8 columns out");
	buf_reset(&b);

	render_stat("cpu  1\nctxt 1\n", &cv, &cg, &x, NULL, &b);
	is_str(b.data, "cpu  2 0 2 196\ncpu0 1 0 1 98\ncpu1 1 0 1 98\nctxt 1\n", "short host cpu line: 4 columns");
	buf_reset(&b);

	render_stat("ctxt 1\nbtime 5", &cv, &cg, &x, NULL, &b);
	is_str(b.data,
	       "cpu  2 0 2 196 0 0 0 0 0 0\ncpu0 1 0 1 98 0 0 0 0 0 0\ncpu1 1 0 1 98 0 0 0 0 0 0\nctxt 1\nbtime 5",
	       "no cpu line in host: ours first, 10 columns");
	buf_reset(&b);

	ok(render_stat("", &cv, &cg, NULL, NULL, &b) == 0 && !strncmp(b.data, "cpu  2 0 2 0 ", 13),
	   "empty host, no extra: renders, idle 0");
	buf_reset(&b);
	ok(render_stat(host2, NULL, &cg, &x, NULL, &b) == -EINVAL, "NULL view refused");
	cv.n = 0;
	ok(render_stat(host2, &cv, &cg, &x, NULL, &b) == -EINVAL, "n 0 refused");
	cv.n = 2;
	cg.npercpu = 4;
	buf_reset(&b);
	ok(render_stat(host2, &cv, &cg, &x, NULL, &b) == 0 && !strncmp(b.data, "cpu  2 0 2 196 ", 15),
	   "npercpu without an array: totals spread");
	buf_free(&b);
}

static void test_many(const char *host2)
{
	struct cpu_view cv = view(300);
	struct cg_cpu cg = { .has_usage = true, .user_ns = 3000 * TICK, .system_ns = 600 * TICK };
	struct stat_extra x = { .age_ns = 10 * SEC, .procs_running = -1, .procs_blocked = -1 };
	struct stat_mono mono = { 0 };
	struct buf b = { 0 };

	render_stat(host2, &cv, &cg, &x, &mono, &b);
	ok(strstr(b.data, "\ncpu299 10 0 2 988 ") && !strncmp(b.data, "cpu  3000 0 600 296400 ", 23),
	   "300 cpus: beyond the mono array still rendered");
	buf_reset(&b);
	cg.user_ns = 0;
	render_stat(host2, &cv, &cg, &x, &mono, &b);
	ok(strstr(b.data, "\ncpu255 10 0 2 998 ") && strstr(b.data, "\ncpu256 0 0 2 998 "),
	   "300 cpus: mono covers the first 256, the rest as computed");
	buf_free(&b);
}

int main(void)
{
	char *host16 = fixture("stat-16"), *host2 = fixture("host-stat");

	test_spread();
	if (host16 && host2) {
		test_fold(host16);
		test_layouts(host2);
		test_many(host2);
	}
	free(host16);
	free(host2);
	return done_testing();
}
