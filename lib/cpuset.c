#include "cpuset.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cpuset_clear(struct cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void cpuset_set(struct cpuset *s, int cpu)
{
	if (cpu >= 0 && cpu < CPUSET_MAX)
		s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

bool cpuset_has(const struct cpuset *s, int cpu)
{
	if (cpu < 0 || cpu >= CPUSET_MAX)
		return false;
	return s->bits[cpu / 64] & (UINT64_C(1) << (cpu % 64));
}

int cpuset_count(const struct cpuset *s)
{
	int n = 0;

	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		n += __builtin_popcountll(s->bits[i]);
	return n;
}

void cpuset_and(struct cpuset *dst, const struct cpuset *other)
{
	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		dst->bits[i] &= other->bits[i];
}

int cpuset_nth(const struct cpuset *s, int n)
{
	for (int cpu = 0; cpu < CPUSET_MAX; cpu++)
		if (cpuset_has(s, cpu) && n-- == 0)
			return cpu;
	return -1;
}

static int parse_id(const char **p, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	v = strtol(*p, &end, 10);
	if (errno || v >= CPUSET_MAX)
		return -ERANGE;
	*p = end;
	*out = (int)v;
	return 0;
}

int cpuset_parse(const char *text, struct cpuset *out)
{
	const char *p = text;

	cpuset_clear(out);
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != '\n') {
		int lo, hi, r;

		r = parse_id(&p, &lo);
		if (r < 0)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = parse_id(&p, &hi);
			if (r < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		for (int c = lo; c <= hi; c++)
			cpuset_set(out, c);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	if (*p == '\n' && p[1] != '\0')
		return -EINVAL;
	return 0;
}

int cpuset_format(const struct cpuset *s, struct buf *out)
{
	bool first = true;
	int r;

	for (int c = 0; c < CPUSET_MAX; c++) {
		int end = c;

		if (!cpuset_has(s, c))
			continue;
		while (end + 1 < CPUSET_MAX && cpuset_has(s, end + 1))
			end++;
		if (end == c)
			r = buf_printf(out, "%s%d", first ? "" : ",", c);
		else
			r = buf_printf(out, "%s%d-%d", first ? "" : ",", c, end);
		if (r < 0)
			return r;
		first = false;
		c = end;
	}
	return buf_puts(out, "\n");
}
