/* Kernel-exact load average, uptime and their output formats. */
#include "buf.h"
#include "render.h"
#include "tap.h"

#include <errno.h>
#include <math.h>

#define ONE_MINUS_INV_E 0.6321205588 /* 1 - e^-1: one time constant of load */

static void run(struct loadavg_state *s, int samples, unsigned active)
{
	for (int i = 0; i < samples; i++)
		loadavg_sample(s, active, active, 10, 42);
}

static const char *show(const struct loadavg_state *s)
{
	static struct buf b;

	buf_reset(&b);
	if (render_loadavg(s, &b) < 0)
		return "(error)";
	return b.data;
}

static void test_loadavg(void)
{
	struct loadavg_state s = { 0 };

	is_str(show(&s), "0.00 0.00 0.00 0/0 0\n", "loadavg: never sampled");
	run(&s, 1, 1);
	is_str(show(&s), "0.08 0.02 0.01 1/10 42\n", "loadavg: one sample of one task");
	ok(s.sampled, "loadavg: sampled set");
	run(&s, 11, 1);
	/* A minute of one runnable task: the kernel's 1-min average is 0.63. */
	is_str(show(&s), "0.63 0.18 0.06 1/10 42\n", "loadavg: 12 samples (1 min) of 1 task");
	ok(fabs((double)s.avenrun[0] / 2048 - ONE_MINUS_INV_E) < 0.01, "loadavg: 1-min within 0.01 of 1-1/e");
	is_u64(s.avenrun[0], 1299, "loadavg: fixed point 1-min after 12 samples");
	run(&s, 48, 1);
	is_str(show(&s), "1.00 0.64 0.29 1/10 42\n", "loadavg: 60 samples (5 min) of 1 task");
	/* Rounding up while rising puts the fixed point a little above. */
	ok(fabs((double)s.avenrun[1] / 2048 - ONE_MINUS_INV_E) < 0.015, "loadavg: 5-min within 0.015 of 1-1/e");
	ok(fabs((double)s.avenrun[2] / 2048 - 0.2834686894) < 0.01, "loadavg: 15-min within 0.01 of 1-e^(-1/3)");
	run(&s, 120, 1);
	is_str(show(&s), "1.00 0.96 0.65 1/10 42\n", "loadavg: 180 samples (15 min)");
	run(&s, 540, 1);
	is_u64(s.avenrun[0], 2048, "loadavg: steady load converges exactly (round up while rising)");
	is_str(show(&s), "1.00 1.00 1.00 1/10 42\n", "loadavg: converged");

	s = (struct loadavg_state){ 0 };
	run(&s, 60, 1);
	run(&s, 12, 0);
	is_str(show(&s), "0.36 0.52 0.27 0/10 42\n", "loadavg: a minute of decay after 5 min of load");

	s = (struct loadavg_state){ 0 };
	run(&s, 720, 4);
	is_str(show(&s), "4.00 4.00 3.95 4/10 42\n", "loadavg: an hour of 4 tasks");

	loadavg_sample(&s, 0, 3, 120, 31337);
	ok(strstr(show(&s), " 3/120 31337\n") != NULL, "loadavg: running/total and last pid");

	s = (struct loadavg_state){ 0 };
	run(&s, 5000, 100000);
	ok(s.avenrun[0] == 100000UL * 2048, "loadavg: 100000 tasks, no overflow");
	ok(render_loadavg(NULL, &(struct buf){ 0 }) == -EINVAL, "loadavg: NULL state refused");
	loadavg_sample(NULL, 1, 1, 1, 1);
	ok(1, "loadavg: NULL sample ignored");
}

static void test_uptime(void)
{
	struct buf b = { 0 };

	ok(render_uptime(100.5, 30.25, 2, &b) == 0, "uptime: renders");
	is_str(b.data, "100.50 170.75\n", "uptime: idle = age * cpus - busy");
	buf_reset(&b);
	render_uptime(10, 50, 2, &b);
	is_str(b.data, "10.00 0.00\n", "uptime: busy above capacity gives idle 0");
	buf_reset(&b);
	render_uptime(-0.001, -5, 0, &b);
	is_str(b.data, "0.00 0.00\n", "uptime: negative inputs, 0 cpus: zeros, no -0.00");
	buf_reset(&b);
	render_uptime(NAN, INFINITY, 1, &b);
	is_str(b.data, "0.00 0.00\n", "uptime: NaN and infinity give zeros");
	buf_reset(&b);
	render_uptime(86400 * 365.0, 0, 64, &b);
	is_str(b.data, "31536000.00 2018304000.00\n", "uptime: a year on 64 cpus");
	buf_free(&b);
}

static void test_cpulist_again(void)
{
	struct buf b = { 0 };
	struct cpu_view v = { .n = 4096 };

	render_cpulist(&v, &b);
	is_str(b.data, "0-4095\n", "cpulist: the largest view");
	buf_free(&b);
}

int main(void)
{
	test_loadavg();
	test_uptime();
	test_cpulist_again();
	return done_testing();
}
