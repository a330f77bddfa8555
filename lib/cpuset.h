/* CPU sets as the kernel writes them ("0-3,8,10-11"). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define CPUSET_MAX 4096

struct cpuset {
	uint64_t bits[CPUSET_MAX / 64];
};

void cpuset_clear(struct cpuset *s);
void cpuset_set(struct cpuset *s, int cpu);
bool cpuset_has(const struct cpuset *s, int cpu);
int cpuset_count(const struct cpuset *s);
void cpuset_and(struct cpuset *dst, const struct cpuset *other);
/* The host id of the n-th (0-based) member, or -1. */
int cpuset_nth(const struct cpuset *s, int n);
/* Parse a kernel cpu list. An empty string gives an empty set.
 * -EINVAL on garbage, -ERANGE on ids >= CPUSET_MAX. */
int cpuset_parse(const char *text, struct cpuset *out);
/* Write the kernel list form plus newline. */
int cpuset_format(const struct cpuset *s, struct buf *out);
