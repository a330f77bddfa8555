/* /proc/swaps: the host's header and, when the container may swap, one
 * pseudo device sized from the rendered meminfo so free(1), which reads
 * meminfo, and swapon -s, which reads this file, agree. */
#include "render.h"

#include <errno.h>
#include <string.h>

#define KERNEL_HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

int render_swaps(const char *host_swaps, const struct cg_memory *cg,
		 const char *container_meminfo, struct buf *out)
{
	uint64_t total = 0, sfree = 0, used;
	const char *eol;
	int r;

	if (!host_swaps || !out)
		return -EINVAL;
	if (!cg)
		return buf_puts(out, host_swaps);
	if (!container_meminfo)
		return -EINVAL;
	eol = strchrnul(host_swaps, '\n');
	if (eol == host_swaps)
		r = buf_puts(out, KERNEL_HEADER);
	else if ((r = buf_append(out, host_swaps, (size_t)(eol - host_swaps))) == 0)
		r = buf_puts(out, "\n");
	if (r < 0)
		return r;
	if (meminfo_get(container_meminfo, "SwapTotal", &total) < 0 || total == 0)
		return 0;
	if (meminfo_get(container_meminfo, "SwapFree", &sfree) < 0)
		sfree = total;
	used = total > sfree ? total - sfree : 0;
	/* The kernel's swap_show layout: the name padded to 40 columns, then
	 * tab-separated fields with a second tab after short numbers so they
	 * line up under the header. The type gets a tab like the kernel's
	 * "file\t": "virtual" ends before the Size column's tab stop. */
	return buf_printf(out, "%-40s%s\t\t%llu\t%s%llu\t%s%d\n", "none", "virtual",
			  (unsigned long long)total, total < 10000000 ? "\t" : "",
			  (unsigned long long)used, used < 10000000 ? "\t" : "", -1);
}
