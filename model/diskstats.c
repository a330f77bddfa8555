/* /proc/diskstats: only the devices the cgroup did I/O on, with the
 * counters the io controller keeps; the rest of each line is zero. */
#include "render.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define MIN_FIELDS 11 /* the 2.6 layout; fewer means a malformed line */
#define MAX_FIELDS 64

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* A non-negative decimal that fits an unsigned, then a blank. */
static bool take_uint(const char **pp, const char *eol, unsigned *out)
{
	const char *p = *pp;
	unsigned long v = 0;

	while (p < eol && *p == ' ')
		p++;
	if (p == eol || !isdigit((unsigned char)*p))
		return false;
	for (; p < eol && isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (unsigned)v;
	*pp = p;
	return p < eol && *p == ' ';
}

static int count_fields(const char *p, const char *eol)
{
	int n = 0;

	while (p < eol) {
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p < eol)
			n++;
		while (p < eol && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

/* Sum over every entry for the device: v1 may list one twice. */
static bool find_dev(const struct cg_io *io, unsigned major, unsigned minor,
		     struct cg_io_dev *sum)
{
	bool any = false;

	*sum = (struct cg_io_dev){ major, minor, 0, 0, 0, 0 };
	for (int i = 0; i < io->n; i++) {
		const struct cg_io_dev *d = &io->devs[i];

		if (d->major != major || d->minor != minor)
			continue;
		sum->rbytes = sat_add(sum->rbytes, d->rbytes);
		sum->wbytes = sat_add(sum->wbytes, d->wbytes);
		sum->rios = sat_add(sum->rios, d->rios);
		sum->wios = sat_add(sum->wios, d->wios);
		any = true;
	}
	return any && (sum->rbytes || sum->wbytes || sum->rios || sum->wios);
}

int render_diskstats(const char *host_diskstats, const struct cg_io *io,
		     struct buf *out)
{
	if (!host_diskstats || !out)
		return -EINVAL;
	if (!io)
		return buf_puts(out, host_diskstats);
	if (io->n < 0 || (io->n > 0 && !io->devs))
		return -EINVAL;
	for (const char *p = host_diskstats; *p; ) {
		const char *eol = strchrnul(p, '\n'), *q = p, *name;
		unsigned major, minor;
		struct cg_io_dev d;
		size_t nlen;
		int nf, r;

		p = *eol ? eol + 1 : eol;
		if (!take_uint(&q, eol, &major) || !take_uint(&q, eol, &minor))
			continue;
		while (q < eol && *q == ' ')
			q++;
		name = q;
		while (q < eol && *q != ' ' && *q != '\t')
			q++;
		nlen = (size_t)(q - name);
		if (nlen == 0 || !find_dev(io, major, minor, &d))
			continue;
		nf = count_fields(q, eol);
		nf = nf < MIN_FIELDS ? MIN_FIELDS : nf > MAX_FIELDS ? MAX_FIELDS : nf;
		/* reads, merged, sectors, ms, writes, merged, sectors, then
		 * times, queue and discard/flush counters we cannot know. */
		r = buf_printf(out, "%4u %7u %.*s %llu 0 %llu 0 %llu 0 %llu", major, minor,
			       (int)nlen, name, (unsigned long long)d.rios,
			       (unsigned long long)(d.rbytes / 512), (unsigned long long)d.wios,
			       (unsigned long long)(d.wbytes / 512));
		for (int f = 7; r == 0 && f < nf; f++)
			r = buf_puts(out, " 0");
		if (r == 0)
			r = buf_puts(out, "\n");
		if (r < 0)
			return r;
	}
	return 0;
}
