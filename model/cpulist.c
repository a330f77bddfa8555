/* /sys/devices/system/cpu/{online,present,possible}: the renumbered CPUs
 * are always contiguous from 0, whatever host ids they stand for. */
#include "render.h"

#include <errno.h>

int render_cpulist(const struct cpu_view *v, struct buf *out)
{
	if (!v || v->n < 1 || v->n > CPUSET_MAX)
		return -EINVAL;
	if (v->n == 1)
		return buf_puts(out, "0\n");
	return buf_printf(out, "0-%d\n", v->n - 1);
}
