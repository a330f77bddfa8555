/* /proc/meminfo as the memory cgroup sees it. The host text is the
 * template: every line keeps its key, position and column layout, and
 * only the lines the cgroup can answer get a new number. */
#include "render.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t kb(uint64_t bytes)
{
	return bytes / 1024;
}

static const char *next_line(const char *eol)
{
	return *eol ? eol + 1 : eol;
}

/* The number after "Key:", up to eol. Trailing " kB" is not checked:
 * HugePages_* lines are plain counts and the caller knows which is which. */
static int parse_value(const char *p, const char *eol, uint64_t *out)
{
	uint64_t v = 0;

	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; p < eol && isdigit((unsigned char)*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int meminfo_get(const char *text, const char *key, uint64_t *kbp)
{
	size_t klen;

	if (!text || !key || !kbp)
		return -EINVAL;
	klen = strlen(key);
	if (klen == 0)
		return -EINVAL;
	for (const char *p = text; *p; ) {
		const char *eol = strchrnul(p, '\n');

		if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ':')
			return parse_value(p + klen + 1, eol, kbp);
		p = next_line(eol);
	}
	return -ENOENT;
}

struct field {
	const char *key;
	uint64_t kb;
};

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Rewrite "Key:<spaces><number><rest>" so the new number ends in the
 * column where the old one did. The kernel pads keys to a fixed width and
 * numbers to a minimum width; tools that split on whitespace do not care,
 * but humans diffing against the host and column-sensitive parsers do. A
 * wider number keeps one separating space and pushes the suffix right. */
static int emit_rewritten(struct buf *out, const char *line, const char *colon,
			  const char *eol, uint64_t val)
{
	const char *ws_end = colon + 1, *num_end;
	int width, minw, r;

	while (ws_end < eol && (*ws_end == ' ' || *ws_end == '\t'))
		ws_end++;
	num_end = ws_end;
	while (num_end < eol && isdigit((unsigned char)*num_end))
		num_end++;
	/* Fuzzed lines can carry megabytes of blanks; a sane cap is enough. */
	width = num_end - (colon + 1) > 4096 ? 4096 : (int)(num_end - (colon + 1));
	minw = digits(val) + (ws_end > colon + 1);
	r = buf_append(out, line, (size_t)(colon + 1 - line));
	if (r == 0)
		r = buf_printf(out, "%*llu", width > minw ? width : minw,
			       (unsigned long long)val);
	if (r == 0)
		r = buf_append(out, num_end, (size_t)(eol - num_end));
	if (r == 0 && *eol)
		r = buf_append(out, "\n", 1);
	return r;
}

static const struct field *find_field(const struct field *f, size_t n,
				      const char *key, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(f[i].key) == klen && memcmp(f[i].key, key, klen) == 0)
			return &f[i];
	return NULL;
}

int render_meminfo(const char *host_meminfo, const struct cg_memory *cg,
		   struct buf *out)
{
	struct field f[32];
	size_t nf = 0;
	uint64_t host_total, host_swap = 0, total, mfree, avail, srec, sunrec;

	if (!host_meminfo || !out)
		return -EINVAL;
	if (!cg)
		return buf_puts(out, host_meminfo);
	if (meminfo_get(host_meminfo, "MemTotal", &host_total) < 0)
		return -EINVAL;

	total = min_u64(kb(cg->limit), host_total);
	mfree = total > kb(cg->usage) ? total - kb(cg->usage) : 0;
	/* v1 memory.stat has no slab counters; reporting the host's slab
	 * would put host kernel memory into a container's view (often more
	 * than its whole limit), so without them slab is shown as 0 and
	 * MemAvailable counts only reclaimable page cache. */
	srec = cg->has_slab ? kb(cg->slab_reclaimable) : 0;
	sunrec = cg->has_slab ? kb(cg->slab_unreclaimable) : 0;
	avail = sat_add(sat_add(mfree, kb(cg->active_file)), kb(cg->inactive_file));
	avail = min_u64(sat_add(avail, srec), total);

#define F(k, v) f[nf++] = (struct field){ (k), (v) }
	F("MemTotal", total);
	F("MemFree", mfree);
	F("MemAvailable", avail);
	F("Buffers", 0); /* the page cache of block devices is not charged apart */
	F("Cached", kb(cg->cache));
	F("SwapCached", 0);
	F("Active", sat_add(kb(cg->active_anon), kb(cg->active_file)));
	F("Inactive", sat_add(kb(cg->inactive_anon), kb(cg->inactive_file)));
	F("Active(anon)", kb(cg->active_anon));
	F("Inactive(anon)", kb(cg->inactive_anon));
	F("Active(file)", kb(cg->active_file));
	F("Inactive(file)", kb(cg->inactive_file));
	F("Unevictable", kb(cg->unevictable));
	F("Dirty", kb(cg->dirty));
	F("Writeback", kb(cg->writeback));
	F("AnonPages", kb(cg->anon));
	F("Mapped", kb(cg->mapped));
	F("Shmem", kb(cg->shmem));
	/* KReclaimable >= SReclaimable in the kernel; keeping the host's
	 * value would break that and leak host kernel memory. */
	F("KReclaimable", srec);
	F("Slab", sat_add(srec, sunrec));
	F("SReclaimable", srec);
	F("SUnreclaim", sunrec);
	F("AnonHugePages", kb(cg->anon_thp));
	/* Without swap accounting the container's share of swap is unknown
	 * and it may use all of the host's, so the host's lines stay. */
	if (cg->swap_accounted) {
		uint64_t st, su = kb(cg->swap_usage);

		meminfo_get(host_meminfo, "SwapTotal", &host_swap);
		st = min_u64(kb(cg->swap_limit), host_swap);
		F("SwapTotal", st);
		F("SwapFree", st > su ? st - su : 0);
	}
#undef F

	for (const char *p = host_meminfo; *p; ) {
		const char *eol = strchrnul(p, '\n');
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		const struct field *fi = colon ? find_field(f, nf, p, (size_t)(colon - p)) : NULL;
		int r;

		if (fi)
			r = emit_rewritten(out, p, colon, eol, fi->kb);
		else
			r = buf_append(out, p, (size_t)(next_line(eol) - p));
		if (r < 0)
			return r;
		p = next_line(eol);
	}
	return 0;
}
