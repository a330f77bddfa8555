/* Pure parsers of cgroup file text, shared by both backends and fuzzed. */
#include "cg_impl.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "key value" lines: call fn for each well-formed one. */
static void each_kv(const char *text, void (*fn)(const char *key, size_t klen, uint64_t v, void *d),
		    void *d)
{
	const char *line = text;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		const char *sp = line;
		char *end;
		uint64_t v;

		while (*sp && *sp != ' ' && *sp != '\n')
			sp++;
		if (*sp == ' ' && sp > line && sp[1] >= '0' && sp[1] <= '9') {
			errno = 0;
			v = strtoull(sp + 1, &end, 10);
			if (!errno && (*end == '\n' || *end == '\0'))
				fn(line, (size_t)(sp - line), v, d);
		}
		line = eol ? eol + 1 : NULL;
	}
}

struct memkey {
	const char *v1, *v2;
	size_t off;
};
#define MK(a, b, f) { a, b, offsetof(struct cg_memory, f) }
static const struct memkey memkeys[] = {
	MK("total_cache", "file", cache),
	MK("total_rss", "anon", anon),
	MK("total_shmem", "shmem", shmem),
	MK("total_mapped_file", "file_mapped", mapped),
	MK("total_dirty", "file_dirty", dirty),
	MK("total_writeback", "file_writeback", writeback),
	MK("total_rss_huge", "anon_thp", anon_thp),
	MK("total_active_anon", "active_anon", active_anon),
	MK("total_inactive_anon", "inactive_anon", inactive_anon),
	MK("total_active_file", "active_file", active_file),
	MK("total_inactive_file", "inactive_file", inactive_file),
	MK("total_unevictable", "unevictable", unevictable),
	MK(NULL, "slab_reclaimable", slab_reclaimable),
	MK(NULL, "slab_unreclaimable", slab_unreclaimable),
};

struct memstat_ctx {
	bool v1;
	struct cg_memory *m;
};

static void memstat_kv(const char *key, size_t klen, uint64_t v, void *d)
{
	struct memstat_ctx *c = d;

	for (size_t i = 0; i < ARRAY_SIZE(memkeys); i++) {
		const char *k = c->v1 ? memkeys[i].v1 : memkeys[i].v2;

		if (k && strlen(k) == klen && strncmp(key, k, klen) == 0) {
			*(uint64_t *)((char *)c->m + memkeys[i].off) = v;
			if (!c->v1 && strncmp(k, "slab_", 5) == 0)
				c->m->has_slab = true;
		}
	}
}

int cg_parse_memory_stat(const char *text, bool v1, struct cg_memory *out)
{
	struct memstat_ctx c = { v1, out };

	if (!text)
		return -EINVAL;
	each_kv(text, memstat_kv, &c);
	return 0;
}

int cg_parse_cpu_max(const char *text, uint64_t *quota_milli)
{
	char *end;
	uint64_t q, p;

	if (!text)
		return -EINVAL;
	if (strncmp(text, "max", 3) == 0 && (text[3] == ' ' || text[3] == '\n' || !text[3])) {
		*quota_milli = 0;
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	q = strtoull(text, &end, 10);
	if (errno || *end != ' ' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	p = strtoull(end + 1, &end, 10);
	if (errno || p == 0 || (*end != '\n' && *end != '\0') || q > UINT64_MAX / 1000)
		return -EINVAL;
	*quota_milli = q * 1000 / p;
	if (*quota_milli == 0)
		*quota_milli = 1; /* a tiny quota is still a limit */
	return 0;
}

static int grow_percpu(struct cg_cpu *c, int cpu)
{
	uint64_t *u, *s;
	int n = cpu + 1;

	if (cpu < 0 || cpu >= CPUSET_MAX)
		return -ERANGE;
	if (n <= c->npercpu)
		return 0;
	u = realloc(c->percpu_user_ns, (size_t)n * sizeof(*u));
	if (u)
		c->percpu_user_ns = u;
	s = realloc(c->percpu_system_ns, (size_t)n * sizeof(*s));
	if (s)
		c->percpu_system_ns = s;
	if (!u || !s)
		return -ENOMEM;
	for (int i = c->npercpu; i < n; i++)
		u[i] = s[i] = 0;
	c->npercpu = n;
	return 0;
}

int cg_parse_usage_all(const char *text, struct cg_cpu *out)
{
	const char *line;
	bool any = false;

	if (!text || strncmp(text, "cpu user system", 15) != 0)
		return -EINVAL;
	line = strchr(text, '\n');
	while (line && *++line) {
		char *end;
		long cpu;
		uint64_t u, s;

		errno = 0;
		cpu = strtol(line, &end, 10);
		if (end == line || *end != ' ')
			return -EINVAL;
		u = strtoull(end + 1, &end, 10);
		if (*end != ' ')
			return -EINVAL;
		s = strtoull(end + 1, &end, 10);
		if (errno || (*end != '\n' && *end != '\0'))
			return -EINVAL;
		/* Range-check the long itself: a cast first would make 2^32 cpu 0
		 * and index far past the array. */
		if (cpu < 0 || cpu >= CPUSET_MAX || grow_percpu(out, (int)cpu) < 0)
			return -ERANGE;
		out->percpu_user_ns[cpu] = u;
		out->percpu_system_ns[cpu] = s;
		out->user_ns += u;
		out->system_ns += s;
		any = true;
		line = strchr(line, '\n');
	}
	out->has_usage = any;
	return any ? 0 : -EINVAL;
}

static void cpustat_kv(const char *key, size_t klen, uint64_t v, void *d)
{
	struct cg_cpu *c = d;

	if (klen == 9 && strncmp(key, "user_usec", 9) == 0) {
		c->user_ns = v * 1000;
		c->has_usage = true;
	} else if (klen == 11 && strncmp(key, "system_usec", 11) == 0) {
		c->system_ns = v * 1000;
		c->has_usage = true;
	}
}

int cg_parse_cpu_stat_v2(const char *text, struct cg_cpu *out)
{
	if (!text)
		return -EINVAL;
	each_kv(text, cpustat_kv, out);
	return out->has_usage ? 0 : -EINVAL;
}

static struct cg_io_dev *io_dev(struct cg_io *io, unsigned maj, unsigned min)
{
	struct cg_io_dev *d;

	for (int i = 0; i < io->n; i++)
		if (io->devs[i].major == maj && io->devs[i].minor == min)
			return &io->devs[i];
	if (io->n >= 4096)
		return NULL;
	d = realloc(io->devs, (size_t)(io->n + 1) * sizeof(*d));
	if (!d)
		return NULL;
	io->devs = d;
	d = &io->devs[io->n++];
	memset(d, 0, sizeof(*d));
	d->major = maj;
	d->minor = min;
	return d;
}

/* "8:0 Read 1234" lines; bytes selects rbytes/wbytes else rios/wios. */
static int parse_blkio_one(const char *text, bool bytes, struct cg_io *io)
{
	const char *line = text;

	while (line && *line) {
		unsigned maj, min;
		char op[16];
		unsigned long long v;
		struct cg_io_dev *d;

		if (sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &v) == 4) {
			bool rd = strcmp(op, "Read") == 0, wr = strcmp(op, "Write") == 0;

			if (rd || wr) {
				d = io_dev(io, maj, min);
				if (!d)
					return -ENOMEM;
				if (bytes)
					*(rd ? &d->rbytes : &d->wbytes) += v;
				else
					*(rd ? &d->rios : &d->wios) += v;
			}
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

int cg_parse_blkio(const char *bytes_text, const char *ios_text, struct cg_io *out)
{
	int r = 0;

	if (bytes_text)
		r = parse_blkio_one(bytes_text, true, out);
	if (r == 0 && ios_text)
		r = parse_blkio_one(ios_text, false, out);
	return r;
}

int cg_parse_io_stat(const char *text, struct cg_io *out)
{
	const char *line = text;

	while (line && *line) {
		unsigned maj, min;
		int used = 0;

		if (sscanf(line, "%u:%u%n", &maj, &min, &used) == 2) {
			struct cg_io_dev *d = io_dev(out, maj, min);
			const char *p = line + used;
			const char *eol = strchr(p, '\n');

			if (!d)
				return -ENOMEM;
			while (*p && p != eol) {
				static const char *const keys[] = { "rbytes=", "wbytes=", "rios=", "wios=" };
				uint64_t *slots[] = { &d->rbytes, &d->wbytes, &d->rios, &d->wios };

				while (*p == ' ')
					p++;
				for (int k = 0; k < 4; k++)
					if (strncmp(p, keys[k], strlen(keys[k])) == 0)
						*slots[k] += strtoull(p + strlen(keys[k]), NULL, 10);
				while (*p && *p != ' ' && *p != '\n')
					p++;
			}
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}
