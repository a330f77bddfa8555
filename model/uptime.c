/* /proc/uptime: the container's age, and the idle time of its visible
 * CPUs over that age (the kernel sums idle over all CPUs likewise). */
#include "render.h"

#include <errno.h>
#include <math.h>

/* Negative, NaN or infinite inputs come from clock races or garbage;
 * print 0 rather than "-0.00" or "nan". */
static double sane(double x)
{
	return isfinite(x) && x > 0 ? x : 0;
}

int render_uptime(double age_s, double busy_s, int ncpu, struct buf *out)
{
	double age = sane(age_s);

	if (!out)
		return -EINVAL;
	if (ncpu < 1)
		ncpu = 1;
	return buf_printf(out, "%.2f %.2f\n", age, sane(age * ncpu - sane(busy_s)));
}
