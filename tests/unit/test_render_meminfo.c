/* meminfo_get, render_meminfo and render_swaps (swaps is sized from the
 * rendered meminfo, so the two are tested together). */
#include "buf.h"
#include "fileio.h"
#include "render.h"
#include "tap.h"
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#define MiB (1024ULL * 1024)


static const char HOST[] =
	"MemTotal:        8000000 kB\n"
	"MemFree:         4000000 kB\n"
	"MemAvailable:    6000000 kB\n"
	"Buffers:           10000 kB\n"
	"Cached:          1000000 kB\n"
	"SwapCached:            0 kB\n"
	"Active:          2000000 kB\n"
	"Inactive:        1000000 kB\n"
	"Active(anon):    1500000 kB\n"
	"Inactive(anon):   100000 kB\n"
	"Active(file):     500000 kB\n"
	"Inactive(file):   900000 kB\n"
	"Unevictable:           0 kB\n"
	"Mlocked:               0 kB\n"
	"SwapTotal:       1000000 kB\n"
	"SwapFree:        1000000 kB\n"
	"Dirty:               100 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:       1600000 kB\n"
	"Mapped:           200000 kB\n"
	"Shmem:             50000 kB\n"
	"KReclaimable:     300000 kB\n"
	"Slab:             400000 kB\n"
	"SReclaimable:     300000 kB\n"
	"SUnreclaim:       100000 kB\n"
	"AnonHugePages:         0 kB\n"
	"HugePages_Total:       0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap4k:      100000 kB\n";

static const char WANT[] =
	"MemTotal:        1048576 kB\n"
	"MemFree:          524288 kB\n"
	"MemAvailable:     796672 kB\n"
	"Buffers:               0 kB\n"
	"Cached:           262144 kB\n"
	"SwapCached:            0 kB\n"
	"Active:           256000 kB\n"
	"Inactive:         204800 kB\n"
	"Active(anon):     153600 kB\n"
	"Inactive(anon):    51200 kB\n"
	"Active(file):     102400 kB\n"
	"Inactive(file):   153600 kB\n"
	"Unevictable:           0 kB\n"
	"Mlocked:               0 kB\n"
	"SwapTotal:        262144 kB\n"
	"SwapFree:         261120 kB\n"
	"Dirty:                64 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:        204800 kB\n"
	"Mapped:             8192 kB\n"
	"Shmem:              4096 kB\n"
	"KReclaimable:      16384 kB\n"
	"Slab:              20480 kB\n"
	"SReclaimable:      16384 kB\n"
	"SUnreclaim:         4096 kB\n"
	"AnonHugePages:      2048 kB\n"
	"HugePages_Total:       0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap4k:      100000 kB\n";

/* A 1 GiB container with half of it used, swap and slab accounted. */
static struct cg_memory base_cg(void)
{
	return (struct cg_memory){
		.limit = 1024 * MiB, .usage = 512 * MiB,
		.swap_limit = 256 * MiB, .swap_usage = 1 * MiB, .swap_accounted = true,
		.cache = 256 * MiB, .anon = 200 * MiB, .shmem = 4 * MiB,
		.mapped = 8 * MiB, .dirty = 64 * 1024, .writeback = 0,
		.anon_thp = 2 * MiB, .active_anon = 150 * MiB,
		.inactive_anon = 50 * MiB, .active_file = 100 * MiB,
		.inactive_file = 150 * MiB, .unevictable = 0,
		.slab_reclaimable = 16 * MiB, .slab_unreclaimable = 4 * MiB,
		.has_slab = true,
	};
}

static uint64_t get(const char *text, const char *key)
{
	uint64_t v = UINT64_MAX;

	if (meminfo_get(text, key, &v) < 0)
		return UINT64_MAX;
	return v;
}

static void test_get(const char *host)
{
	uint64_t v = 0;

	ok(meminfo_get(host, "MemTotal", &v) == 0 && v == 24684092, "get: MemTotal of the fixture");
	ok(meminfo_get(host, "HugePages_Total", &v) == 0 && v == 0, "get: a line without kB");
	ok(meminfo_get(host, "Active", &v) == 0 && v == 57244, "get: Active is not Active(anon)");
	ok(meminfo_get(host, "Active(file)", &v) == 0 && v == 55716, "get: key with parentheses");
	ok(meminfo_get(host, "Mem", &v) == -ENOENT, "get: a key prefix does not match");
	ok(meminfo_get(host, "Nope", &v) == -ENOENT, "get: absent key is -ENOENT");
	ok(meminfo_get("MemTotal: abc kB\n", "MemTotal", &v) == -EINVAL, "get: garbage value is -EINVAL");
	ok(meminfo_get("MemTotal:\n", "MemTotal", &v) == -EINVAL, "get: empty value is -EINVAL");
	ok(meminfo_get("MemTotal: 99999999999999999999999 kB\n", "MemTotal", &v) == -ERANGE,
	   "get: overflow is -ERANGE");
	ok(meminfo_get("X: 1\nMemTotal:5", "MemTotal", &v) == 0 && v == 5, "get: last line without newline");
	ok(meminfo_get("", "MemTotal", &v) == -ENOENT, "get: empty text");
	ok(meminfo_get(NULL, "MemTotal", &v) == -EINVAL, "get: NULL text");
}

static void test_exact(void)
{
	struct cg_memory cg = base_cg();
	struct buf b = { 0 };

	ok(render_meminfo(HOST, &cg, &b) == 0, "exact: renders");
	is_str(b.data, WANT, "exact: every rewritten field, layout kept");
	buf_free(&b);

	ok(render_meminfo(HOST, NULL, &b) == 0, "host: renders");
	is_str(b.data, HOST, "host: cg NULL copies the host text");
	buf_free(&b);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Line i's key and width in both texts. */
static void compare_layout(const char *host, const char *got, const char *what)
{
	const char *h = host, *g = got;
	int line = 0, bad_key = 0, bad_width = 0, bad_kept = 0;
	static const char *const kept[] = { "HugePages_Total", "VmallocTotal", "DirectMap1G",
					    "Committed_AS", "Mlocked", "PageTables", NULL };

	while (*h && *g) {
		const char *he = strchrnul(h, '\n'), *ge = strchrnul(g, '\n');
		const char *hc = memchr(h, ':', (size_t)(he - h));
		const char *gc = memchr(g, ':', (size_t)(ge - g));

		line++;
		if (!hc || !gc || hc - h != gc - g || memcmp(h, g, (size_t)(hc - h)) != 0)
			bad_key++;
		else if (he - h != ge - g)
			bad_width++;
		for (int k = 0; hc && kept[k]; k++)
			if ((size_t)(hc - h) == strlen(kept[k]) && !memcmp(h, kept[k], strlen(kept[k])) &&
			    (he - h != ge - g || memcmp(h, g, (size_t)(he - h))))
				bad_kept++;
		h = *he ? he + 1 : he;
		g = *ge ? ge + 1 : ge;
	}
	ok(bad_key == 0 && line > 40, "%s: %d lines, same keys in the same order", what, line);
	ok(bad_width == 0, "%s: every line as wide as the host's (%d differ)", what, bad_width);
	ok(bad_kept == 0, "%s: unrewritten lines are the host's", what);
}

static void check_invariants(const char *host, const char *got, const char *what)
{
	uint64_t t = get(got, "MemTotal"), f = get(got, "MemFree"), a = get(got, "MemAvailable");

	ok(t != UINT64_MAX && f <= a && a <= t, "%s: MemFree %llu <= MemAvailable %llu <= MemTotal %llu",
	   what, (unsigned long long)f, (unsigned long long)a, (unsigned long long)t);
	is_u64(count_lines(got), count_lines(host), "line count equals the host's");
	compare_layout(host, got, what);
}

static void test_fixture(const char *host, const char *host_swap)
{
	struct cg_memory cg = base_cg();
	struct buf b = { 0 };

	ok(render_meminfo(host, NULL, &b) == 0 && b.len == strlen(host) && !strcmp(b.data, host),
	   "fixture: cg NULL is byte for byte");
	buf_free(&b);

	ok(render_meminfo(host, &cg, &b) == 0, "below host: renders");
	check_invariants(host, b.data, "below host");
	is_u64(get(b.data, "MemTotal"), 1048576, "below host: MemTotal is the limit");
	is_u64(get(b.data, "MemFree"), 524288, "below host: MemFree = limit - usage");
	is_u64(get(b.data, "MemAvailable"), 796672, "below host: MemAvailable adds file pages and SReclaimable");
	is_u64(get(b.data, "SwapTotal"), 0, "below host: no host swap, no container swap");
	is_u64(get(b.data, "SwapFree"), 0, "below host: SwapFree 0");
	buf_free(&b);

	cg.limit = 64 * 1024 * MiB;
	render_meminfo(host, &cg, &b);
	is_u64(get(b.data, "MemTotal"), 24684092, "above host: MemTotal is the host's");
	is_u64(get(b.data, "MemFree"), 24684092 - 524288, "above host: MemFree = host total - usage");
	check_invariants(host, b.data, "above host");
	buf_free(&b);

	cg.limit = CG_UNLIMITED;
	render_meminfo(host, &cg, &b);
	is_u64(get(b.data, "MemTotal"), 24684092, "unlimited: MemTotal is the host's");
	buf_free(&b);

	cg = base_cg();
	cg.usage = 2048 * MiB; /* over the limit: a racing read or a lowered limit */
	render_meminfo(host, &cg, &b);
	is_u64(get(b.data, "MemFree"), 0, "usage over limit: MemFree clamps to 0");
	check_invariants(host, b.data, "usage over limit");
	buf_free(&b);

	cg = base_cg();
	cg.inactive_file = 4096 * MiB;
	render_meminfo(host, &cg, &b);
	is_u64(get(b.data, "MemAvailable"), 1048576, "huge file cache: MemAvailable capped at MemTotal");
	buf_free(&b);

	cg = base_cg();
	cg.has_slab = false;
	render_meminfo(host, &cg, &b);
	ok(get(b.data, "Slab") == 0 && get(b.data, "SReclaimable") == 0 &&
	   get(b.data, "SUnreclaim") == 0 && get(b.data, "KReclaimable") == 0,
	   "no slab stats: Slab, SReclaimable, SUnreclaim, KReclaimable are 0");
	is_u64(get(b.data, "MemAvailable"), 524288 + 102400 + 153600, "no slab stats: MemAvailable without slab");
	buf_free(&b);

	/* Swap: the host has 2097148 kB, 1048572 kB free. */
	cg = base_cg();
	render_meminfo(host_swap, &cg, &b);
	is_u64(get(b.data, "SwapTotal"), 262144, "swap: SwapTotal is the swap limit");
	is_u64(get(b.data, "SwapFree"), 261120, "swap: SwapFree = limit - usage");
	is_u64(get(b.data, "SwapCached"), 0, "swap: SwapCached 0");
	check_invariants(host_swap, b.data, "swap");
	buf_free(&b);

	cg.swap_limit = CG_UNLIMITED;
	render_meminfo(host_swap, &cg, &b);
	is_u64(get(b.data, "SwapTotal"), 2097148, "swap unlimited: the host's SwapTotal");
	is_u64(get(b.data, "SwapFree"), 2097148 - 1024, "swap unlimited: minus the container's use");
	buf_free(&b);

	cg.swap_usage = 8192 * MiB;
	render_meminfo(host_swap, &cg, &b);
	is_u64(get(b.data, "SwapFree"), 0, "swap usage over total: SwapFree clamps to 0");
	buf_free(&b);

	cg = base_cg();
	cg.swap_accounted = false;
	render_meminfo(host_swap, &cg, &b);
	ok(get(b.data, "SwapTotal") == 2097148 && get(b.data, "SwapFree") == 1048572,
	   "swap not accounted: the host's swap lines stay");
	buf_free(&b);
}

static void test_layout_edges(void)
{
	struct cg_memory cg = base_cg();
	struct buf b = { 0 };

	/* Widening keeps one space; a line without spaces stays without. */
	ok(render_meminfo("MemTotal: 9999999 kB\nActive: 1 kB\nCached:1 kB\nOther: 7 kB", &cg, &b) == 0,
	   "edges: renders");
	is_str(b.data,
	       "MemTotal: 1048576 kB\nActive: 256000 kB\nCached:262144 kB\nOther: 7 kB",
	       "edges: wider numbers widen the line; no final newline stays so");
	buf_free(&b);

	ok(render_meminfo("Active: 1 kB\n", &cg, &b) == -EINVAL, "edges: no MemTotal is -EINVAL");
	buf_free(&b);
	ok(render_meminfo("MemTotal: x\n", &cg, &b) == -EINVAL, "edges: garbage MemTotal is -EINVAL");
	buf_free(&b);
	ok(render_meminfo("MemTotal: 100 kB\n\n::\nMemFree:\nMemFree\n:5\nSwapTotal: zz kB\n", &cg, &b) == 0,
	   "edges: odd lines do not stop rendering");
	is_str(b.data, "MemTotal: 100 kB\n\n::\nMemFree:0\nMemFree\n:5\nSwapTotal: 0zz kB\n",
	       "edges: odd lines rewritten best effort");
	buf_free(&b);
	ok(render_meminfo(NULL, &cg, &b) == -EINVAL, "edges: NULL host is -EINVAL");
}

static void test_swaps(const char *host_meminfo_swap)
{
	static const char hdr[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
	char *host_swaps = fixture("host-swaps-on");
	struct cg_memory cg = base_cg();
	struct buf mem = { 0 }, b = { 0 };

	if (!host_swaps)
		return;
	ok(render_swaps(host_swaps, NULL, NULL, &b) == 0 && !strcmp(b.data, host_swaps),
	   "swaps: cg NULL copies the host");
	buf_free(&b);

	render_meminfo(host_meminfo_swap, &cg, &mem);
	ok(render_swaps(host_swaps, &cg, mem.data, &b) == 0, "swaps: renders");
	is_str(b.data,
	       "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	       "none                                    virtual\t\t262144\t\t1024\t\t-1\n",
	       "swaps: header and one virtual device from meminfo");
	buf_free(&b);

	ok(render_swaps(host_swaps, &cg, "SwapTotal: 20000000 kB\nSwapFree: 5000000 kB\n", &b) == 0 &&
	   !strcmp(b.data, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			   "none                                    virtual\t\t20000000\t15000000\t-1\n"),
	   "swaps: big numbers get a single tab like the kernel");
	buf_free(&b);

	ok(render_swaps(host_swaps, &cg, "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &b) == 0, "swaps: no swap renders");
	is_str(b.data, hdr, "swaps: no swap, header only");
	buf_free(&b);

	ok(render_swaps("", &cg, mem.data, &b) == 0 && !strncmp(b.data, hdr, strlen(hdr)),
	   "swaps: empty host text gets the kernel header");
	buf_free(&b);
	ok(render_swaps(hdr, &cg, "SwapTotal: 100 kB\n", &b) == 0 &&
	   strstr(b.data, "virtual\t\t100\t\t0\t\t-1\n"), "swaps: SwapFree missing counts as unused");
	buf_free(&b);
	ok(render_swaps(hdr, &cg, NULL, &b) == -EINVAL, "swaps: NULL meminfo is -EINVAL");
	buf_free(&b);

	/* free(1) and swapon agree: used in swaps == SwapTotal - SwapFree. */
	cg.swap_usage = 100 * MiB;
	buf_free(&mem);
	render_meminfo(host_meminfo_swap, &cg, &mem);
	render_swaps(host_swaps, &cg, mem.data, &b);
	ok(strstr(b.data, "\t262144\t\t102400\t\t-1\n") != NULL, "swaps: used agrees with meminfo");
	buf_free(&b);
	buf_free(&mem);
	free(host_swaps);
}

int main(void)
{
	char *host = fixture("host-meminfo"), *host_swap = fixture("host-meminfo-swap");

	if (!host || !host_swap)
		return done_testing();
	test_get(host);
	test_exact();
	test_fixture(host, host_swap);
	test_layout_edges();
	test_swaps(host_swap);
	free(host);
	free(host_swap);
	return done_testing();
}
