/* The one CPU numbering shared by cpuinfo, stat, uptime and the cpu lists. */
#include "render.h"

#include <stddef.h>

void cpu_view_compute(const struct cpuset *host_online, const struct cg_cpu *cg,
		      bool use_quota, struct cpu_view *out)
{
	const struct cpuset *mask = cg && cg->has_cpuset ? &cg->cpus : NULL;
	int limit = CPUSET_MAX;

	out->n = 0;
	if (use_quota && cg && cg->quota_milli > 0) {
		/* ceil(quota) without overflowing on absurd quotas. */
		uint64_t q = cg->quota_milli / 1000 + (cg->quota_milli % 1000 != 0);

		if (q < CPUSET_MAX)
			limit = (int)q;
	}
	for (size_t w = 0; host_online && w < CPUSET_MAX / 64 && out->n < limit; w++) {
		uint64_t bits = host_online->bits[w] & (mask ? mask->bits[w] : ~UINT64_C(0));

		while (bits && out->n < limit) {
			int b = __builtin_ctzll(bits);

			out->host_ids[out->n++] = (int)(w * 64) + b;
			bits &= bits - 1;
		}
	}
	if (out->n > 0)
		return;
	/* An empty intersection (offline cpuset, racing hotplug) must still
	 * give the container one CPU: readers divide by this count. */
	out->n = 1;
	out->host_ids[0] = host_online && cpuset_nth(host_online, 0) >= 0
				   ? cpuset_nth(host_online, 0)
				   : 0;
}
