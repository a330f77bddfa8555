/* /proc/cpuinfo: the host's per-processor blocks for the visible CPUs, in
 * view order, renumbered. Blocks without a "processor" line (a leading
 * s390 summary, a trailing ARM "Hardware" section) stay where they were. */
#include "render.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { NOT_CPU = -1, BAD_CPU = -2 };

struct block {
	const char *s, *end; /* lines [s, end), end just past the last '\n' or at NUL */
	int proc;            /* host id, NOT_CPU or BAD_CPU */
	int pkg;             /* "physical id", -1 when absent or out of range */
};

/* Key of one line: the text before ':' without trailing blanks. */
static bool key_is(const char *line, const char *eol, const char *key, const char **val)
{
	const char *colon = memchr(line, ':', (size_t)(eol - line)), *k;
	size_t klen = strlen(key);

	if (!colon)
		return false;
	k = colon;
	while (k > line && (k[-1] == ' ' || k[-1] == '\t'))
		k--;
	if ((size_t)(k - line) != klen || memcmp(line, key, klen) != 0)
		return false;
	*val = colon + 1;
	return true;
}

/* A small non-negative decimal after optional blanks, else -1. */
static int parse_small(const char *p, const char *eol)
{
	int v = 0;

	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || !isdigit((unsigned char)*p))
		return -1;
	for (; p < eol && isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v >= CPUSET_MAX)
			return -1;
	}
	while (p < eol && isspace((unsigned char)*p))
		p++;
	return p == eol ? v : -1;
}

static void scan_block(struct block *b)
{
	b->proc = NOT_CPU;
	b->pkg = -1;
	for (const char *p = b->s; p < b->end; ) {
		const char *eol = memchr(p, '\n', (size_t)(b->end - p)), *val;

		if (!eol)
			eol = b->end;
		if (key_is(p, eol, "processor", &val)) {
			if (b->proc == NOT_CPU) {
				int id = parse_small(val, eol);

				b->proc = id >= 0 ? id : BAD_CPU;
			}
		} else if (key_is(p, eol, "physical id", &val) && b->pkg < 0) {
			b->pkg = parse_small(val, eol);
		}
		p = eol < b->end ? eol + 1 : eol;
	}
}

/* Split text into blocks separated by empty lines. */
static int split_blocks(const char *text, struct block **out, size_t *n)
{
	size_t cap = 1, nb = 0;
	struct block *b;
	const char *p;

	for (p = text; *p; p++)
		cap += *p == '\n';
	b = calloc(cap, sizeof(*b));
	if (!b)
		return -ENOMEM;
	p = text;
	while (*p) {
		const char *s;

		while (*p == '\n')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && !(p[0] == '\n' && (p[1] == '\n' || p[1] == '\0')))
			p++;
		if (*p == '\n')
			p++;
		b[nb] = (struct block){ .s = s, .end = p };
		scan_block(&b[nb]);
		nb++;
	}
	*out = b;
	*n = nb;
	return 0;
}

static int emit_num_line(struct buf *out, const char *line, const char *val,
			 const char *eol, int num)
{
	const char *v = val;
	int r;

	/* Keep "key\t: " exactly, replace what follows. */
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	r = buf_append(out, line, (size_t)(v - line));
	return r < 0 ? r : buf_printf(out, "%d\n", num);
}

/* One visible CPU's block. siblings and cpu cores become the number of
 * visible CPUs in the same package: lscpu and scripts derive core and
 * socket counts as sum(cpu cores) over packages and siblings/cpu cores
 * as threads per core, and those must agree with the count of
 * "processor" lines (nproc, os.cpu_count via online) rather than claim
 * the host's package with SMT siblings the container cannot use. */
static int emit_cpu_block(struct buf *out, const struct block *b, int vis, int pkg_count)
{
	for (const char *p = b->s; p < b->end; ) {
		const char *eol = memchr(p, '\n', (size_t)(b->end - p)), *val;
		int r;

		if (!eol)
			eol = b->end;
		if (key_is(p, eol, "processor", &val))
			r = emit_num_line(out, p, val, eol, vis);
		else if (key_is(p, eol, "siblings", &val) || key_is(p, eol, "cpu cores", &val))
			r = emit_num_line(out, p, val, eol, pkg_count);
		else if ((r = buf_append(out, p, (size_t)(eol - p))) == 0)
			r = buf_append(out, "\n", 1);
		if (r < 0)
			return r;
		p = eol < b->end ? eol + 1 : eol;
	}
	return 0;
}

static int emit_plain_block(struct buf *out, const struct block *b)
{
	int r = buf_append(out, b->s, (size_t)(b->end - b->s));

	if (r == 0 && (b->end == b->s || b->end[-1] != '\n'))
		r = buf_append(out, "\n", 1);
	return r;
}

struct item {
	int block;
	int vis; /* -1: copy the block as it is */
};

int render_cpuinfo(const char *host_cpuinfo, const struct cpu_view *v,
		   struct buf *out)
{
	_cleanup_free_ struct block *b = NULL;
	_cleanup_free_ struct item *items = NULL;
	_cleanup_free_ int *by_host = NULL, *pkg_count = NULL;
	size_t nb = 0, ni = 0, len;
	int nopkg = 0, r;
	bool placed = false, trailing;

	if (!host_cpuinfo || !out)
		return -EINVAL;
	if (!v)
		return buf_puts(out, host_cpuinfo);
	if (v->n < 1 || v->n > CPUSET_MAX)
		return -EINVAL;
	r = split_blocks(host_cpuinfo, &b, &nb);
	if (r < 0)
		return r;
	items = calloc(nb + (size_t)v->n + 1, sizeof(*items));
	by_host = malloc(CPUSET_MAX * sizeof(*by_host));
	pkg_count = calloc(CPUSET_MAX, sizeof(*pkg_count));
	if (!items || !by_host || !pkg_count)
		return -ENOMEM;
	for (int i = 0; i < CPUSET_MAX; i++)
		by_host[i] = -1;
	for (size_t k = nb; k-- > 0;) /* backwards: the first duplicate wins */
		if (b[k].proc >= 0)
			by_host[b[k].proc] = (int)k;

	for (size_t k = 0; k < nb; k++) {
		if (b[k].proc == NOT_CPU) {
			items[ni++] = (struct item){ (int)k, -1 };
			continue;
		}
		if (placed)
			continue;
		placed = true;
		/* Visible CPU i keeps number i even when the host text lacks
		 * a block for it, so cpuinfo agrees with stat's cpuN lines. */
		for (int i = 0; i < v->n; i++) {
			int h = v->host_ids[i];

			if (h < 0 || h >= CPUSET_MAX || by_host[h] < 0)
				continue;
			items[ni++] = (struct item){ by_host[h], i };
			if (b[by_host[h]].pkg >= 0)
				pkg_count[b[by_host[h]].pkg]++;
			else
				nopkg++;
		}
	}

	len = strlen(host_cpuinfo);
	trailing = len >= 2 && host_cpuinfo[len - 1] == '\n' && host_cpuinfo[len - 2] == '\n';
	for (size_t k = 0; k < ni; k++) {
		const struct block *bk = &b[items[k].block];

		if (items[k].vis < 0)
			r = emit_plain_block(out, bk);
		else
			r = emit_cpu_block(out, bk, items[k].vis,
					   bk->pkg >= 0 ? pkg_count[bk->pkg] : nopkg);
		if (r == 0 && (k + 1 < ni || trailing))
			r = buf_append(out, "\n", 1);
		if (r < 0)
			return r;
	}
	return 0;
}
