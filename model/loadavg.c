/* /proc/loadavg from samples of the cgroup's tasks, with the kernel's own
 * fixed-point arithmetic so the numbers decay exactly like the host's. */
#include "render.h"

#include <errno.h>

#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
#define EXP_1 1884UL  /* 1/exp(5s/1min) in fixed point */
#define EXP_5 2014UL  /* 1/exp(5s/5min) */
#define EXP_15 2037UL /* 1/exp(5s/15min) */
#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)

static unsigned long calc_load(unsigned long load, unsigned long exp,
			       unsigned long active)
{
	unsigned long newload = load * exp + active * (FIXED_1 - exp);

	/* Round up while rising so a steady load converges to it. */
	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

void loadavg_sample(struct loadavg_state *s, unsigned active, unsigned running,
		    unsigned total, int last_pid)
{
	static const unsigned long exps[3] = { EXP_1, EXP_5, EXP_15 };
	unsigned long a = (unsigned long)active * FIXED_1;

	if (!s)
		return;
	for (int i = 0; i < 3; i++)
		s->avenrun[i] = calc_load(s->avenrun[i], exps[i], a);
	s->running = running;
	s->total = total;
	s->last_pid = last_pid;
	s->sampled = true;
}

int render_loadavg(const struct loadavg_state *s, struct buf *out)
{
	unsigned long a[3];

	if (!s || !out)
		return -EINVAL;
	/* The kernel adds FIXED_1/200 so the two decimals round, not truncate. */
	for (int i = 0; i < 3; i++)
		a[i] = s->avenrun[i] + FIXED_1 / 200;
	return buf_printf(out, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %d\n",
			  LOAD_INT(a[0]), LOAD_FRAC(a[0]), LOAD_INT(a[1]),
			  LOAD_FRAC(a[1]), LOAD_INT(a[2]), LOAD_FRAC(a[2]),
			  s->running, s->total, s->last_pid);
}
