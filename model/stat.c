/* /proc/stat: the cpu lines carry the cgroup's CPU time on the visible
 * CPUs; every other line is the host's. */
#include "render.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NS_PER_TICK 10000000ULL /* USER_HZ is 100 on every ABI procps supports */
#define MIN_COLS 4              /* user nice system idle: the 2.4 layout */
#define MAX_COLS 32

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static bool is_cpu_line(const char *p, const char *eol)
{
	return eol - p >= 4 && memcmp(p, "cpu", 3) == 0 &&
	       (p[3] == ' ' || isdigit((unsigned char)p[3]));
}

static bool is_key(const char *p, const char *eol, const char *key)
{
	size_t k = strlen(key);

	return (size_t)(eol - p) > k && memcmp(p, key, k) == 0 && p[k] == ' ';
}

/* Numbers on the host's aggregate cpu line; 0 when there is none. */
static int host_columns(const char *text)
{
	for (const char *p = text; *p; ) {
		const char *eol = strchrnul(p, '\n');

		if (is_cpu_line(p, eol) && p[3] == ' ') {
			int n = 0;

			for (const char *q = p + 3; q < eol; ) {
				while (q < eol && *q == ' ')
					q++;
				if (q < eol)
					n++;
				while (q < eol && *q != ' ')
					q++;
			}
			return n < MIN_COLS ? MIN_COLS : n > MAX_COLS ? MAX_COLS : n;
		}
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}

/* ns totals into ticks spread over n cpus; the remainder goes to the first
 * ones so the sum is exact and each share only grows as the total does. */
static void spread(uint64_t total_ns, int n, uint64_t *ticks)
{
	uint64_t t = total_ns / NS_PER_TICK;

	for (int i = 0; i < n; i++)
		ticks[i] = t / (uint64_t)n + ((uint64_t)i < t % (uint64_t)n);
}

/* Per-cpu usage folded onto the visible CPUs. A host cpu that is visible
 * lands on its own slot. The others fold by their rank in the cpuset (or
 * their host id without a cpuset, or when they are outside it: time from
 * before a cpuset change) modulo n. Nothing is dropped, so the sum of the
 * cpuN lines equals the cgroup's total. */
static int fold_percpu(const struct cpu_view *v, const struct cg_cpu *cg,
		       uint64_t *user, uint64_t *sys)
{
	_cleanup_free_ uint64_t *uns = calloc((size_t)v->n, sizeof(*uns));
	_cleanup_free_ uint64_t *sns = calloc((size_t)v->n, sizeof(*sns));
	_cleanup_free_ int *vis = malloc(CPUSET_MAX * sizeof(*vis));
	int n = v->n, rank = 0;

	if (!uns || !sns || !vis)
		return -ENOMEM;
	for (int h = 0; h < CPUSET_MAX; h++)
		vis[h] = -1;
	for (int i = n; i-- > 0;)
		if (v->host_ids[i] >= 0 && v->host_ids[i] < CPUSET_MAX)
			vis[v->host_ids[i]] = i;
	for (int h = 0; h < cg->npercpu; h++) {
		bool member = cg->has_cpuset && cpuset_has(&cg->cpus, h);
		uint64_t u = cg->percpu_user_ns[h];
		uint64_t s = cg->percpu_system_ns ? cg->percpu_system_ns[h] : 0;
		int i;

		if (h < CPUSET_MAX && vis[h] >= 0)
			i = vis[h];
		else if (member)
			i = rank % n;
		else
			i = h % n;
		rank += member;
		uns[i] = sat_add(uns[i], u);
		sns[i] = sat_add(sns[i], s);
	}
	for (int i = 0; i < n; i++) {
		user[i] = uns[i] / NS_PER_TICK;
		sys[i] = sns[i] / NS_PER_TICK;
	}
	/* v1 may give per-cpu totals without the user/system split. */
	if (!cg->percpu_system_ns)
		spread(cg->system_ns, n, sys);
	return 0;
}

static int emit_cpu_line(struct buf *out, int cpu, uint64_t user, uint64_t sys,
			 uint64_t idle, int cols)
{
	int r = cpu < 0 ? buf_puts(out, "cpu ") : buf_printf(out, "cpu%d", cpu);

	if (r == 0)
		r = buf_printf(out, " %llu 0 %llu %llu", (unsigned long long)user,
			       (unsigned long long)sys, (unsigned long long)idle);
	for (int c = MIN_COLS; r == 0 && c < cols; c++)
		r = buf_puts(out, " 0");
	return r < 0 ? r : buf_puts(out, "\n");
}

static int emit_cpu_lines(struct buf *out, int n, const uint64_t *user,
			  const uint64_t *sys, const uint64_t *idle, int cols)
{
	uint64_t tu = 0, ts = 0, ti = 0;
	int r;

	for (int i = 0; i < n; i++) {
		tu = sat_add(tu, user[i]);
		ts = sat_add(ts, sys[i]);
		ti = sat_add(ti, idle[i]);
	}
	r = emit_cpu_line(out, -1, tu, ts, ti, cols);
	for (int i = 0; r == 0 && i < n; i++)
		r = emit_cpu_line(out, i, user[i], sys[i], idle[i], cols);
	return r;
}

/* Never let a field go backwards: top and friends compute rates from
 * differences, and a cgroup counter can drop (cpuset change folds the
 * time differently, a v1 reset, age rounding). mono has room for a
 * bounded number of CPUs; beyond that, values are emitted as computed. */
static void apply_mono(struct stat_mono *mono, int n, uint64_t *user,
		       uint64_t *sys, uint64_t *idle)
{
	int m = n < (int)ARRAY_SIZE(mono->user) ? n : (int)ARRAY_SIZE(mono->user);

	if (mono->n != n) {
		memset(mono, 0, sizeof(*mono));
		mono->n = n;
	}
	for (int i = 0; i < m; i++) {
		user[i] = mono->user[i] = MAX(mono->user[i], user[i]);
		sys[i] = mono->system[i] = MAX(mono->system[i], sys[i]);
		idle[i] = mono->idle[i] = MAX(mono->idle[i], idle[i]);
	}
}

int render_stat(const char *host_stat, const struct cpu_view *v,
		const struct cg_cpu *cg, const struct stat_extra *x,
		struct stat_mono *mono, struct buf *out)
{
	_cleanup_free_ uint64_t *user = NULL, *sys = NULL, *idle = NULL;
	uint64_t age = x ? x->age_ns / NS_PER_TICK : 0;
	int n, cols, r = 0;
	bool done;

	if (!host_stat || !out)
		return -EINVAL;
	if (!cg)
		return buf_puts(out, host_stat);
	if (!v || v->n < 1 || v->n > CPUSET_MAX)
		return -EINVAL;
	n = v->n;
	user = calloc((size_t)n, sizeof(*user));
	sys = calloc((size_t)n, sizeof(*sys));
	idle = calloc((size_t)n, sizeof(*idle));
	if (!user || !sys || !idle)
		return -ENOMEM;
	/* A NULL array means "not available" whatever npercpu says. */
	if (cg->percpu_user_ns && cg->npercpu > 0) {
		r = fold_percpu(v, cg, user, sys);
		if (r < 0)
			return r;
	} else if (cg->has_usage) {
		spread(cg->user_ns, n, user);
		spread(cg->system_ns, n, sys);
	}
	for (int i = 0; i < n; i++) {
		uint64_t busy = sat_add(user[i], sys[i]);

		idle[i] = age > busy ? age - busy : 0;
	}
	if (mono)
		apply_mono(mono, n, user, sys, idle);

	cols = host_columns(host_stat);
	done = cols == 0; /* no cpu line to replace: put ours first */
	if (done)
		r = emit_cpu_lines(out, n, user, sys, idle, 10);
	for (const char *p = host_stat; r == 0 && *p; ) {
		const char *eol = strchrnul(p, '\n'), *next = *eol ? eol + 1 : eol;

		if (is_cpu_line(p, eol)) {
			if (!done)
				r = emit_cpu_lines(out, n, user, sys, idle, cols);
			done = true;
		} else if (x && x->procs_running >= 0 && is_key(p, eol, "procs_running")) {
			r = buf_printf(out, "procs_running %d\n", x->procs_running);
		} else if (x && x->procs_blocked >= 0 && is_key(p, eol, "procs_blocked")) {
			r = buf_printf(out, "procs_blocked %d\n", x->procs_blocked);
		} else {
			r = buf_append(out, p, (size_t)(next - p));
		}
		p = next;
	}
	return r;
}
