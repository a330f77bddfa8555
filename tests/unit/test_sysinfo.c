/* sysinfo_compute: struct sysinfo from the very numbers meminfo, swaps,
 * uptime and loadavg show. Host values pass through exactly. */
#include "buf.h"
#include "render.h"
#include "tap.h"
#include "util.h"
#include "fixture.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/sysinfo.h>

#define MiB (1024ULL * 1024)

/* A host struct as the kernel fills it before scaling: pages. */
static struct sysinfo host_pages(void)
{
	struct sysinfo h;

	memset(&h, 0, sizeof(h));
	h.uptime = 9120;
	h.loads[0] = 3 << 16;
	h.loads[1] = 2 << 16;
	h.loads[2] = 1 << 16;
	h.totalram = 6171023; /* pages */
	h.freeram = 6066627;
	h.sharedram = 2214;
	h.bufferram = 219;
	h.totalswap = 262143;
	h.freeswap = 262143;
	h.procs = 321;
	h.mem_unit = 4096;
	return h;
}

static void test_host_passthrough(void)
{
	struct sysinfo h = host_pages(), o;
	struct sysinfo_inputs in = { 0 };

	ok(sysinfo_compute(&h, &in, &o) == 0, "host: computed");
	is_u64(o.totalram, 6171023ULL * 4096, "host: totalram in bytes");
	is_u64(o.freeram, 6066627ULL * 4096, "host: freeram in bytes");
	is_u64(o.sharedram, 2214ULL * 4096, "host: sharedram");
	is_u64(o.bufferram, 219ULL * 4096, "host: bufferram");
	is_u64(o.totalswap, 262143ULL * 4096, "host: totalswap");
	is_u64(o.mem_unit, 1, "host: mem_unit 1");
	is_u64((unsigned long long)o.uptime, 9120, "host: uptime kept");
	is_u64(o.loads[0], 3 << 16, "host: loads kept");
	is_u64(o.procs, 321, "host: procs kept");

	/* Already in bytes (mem_unit 1): exactly the same struct back. */
	h.mem_unit = 1;
	sysinfo_compute(&h, &in, &o);
	ok(memcmp(&h, &o, sizeof(h)) == 0, "host in bytes: identical struct");
}

static void test_container(void)
{
	_cleanup_free_ char *host = fixture("host-meminfo-swap");
	struct sysinfo h = host_pages(), o;
	struct cg_memory m = { 0 };
	struct loadavg_state load = { 0 };
	struct buf mem = { 0 };
	struct sysinfo_inputs in = { 0 };
	uint64_t kb;

	if (!host)
		return;
	m.limit = 256 * MiB;
	m.usage = 100 * MiB;
	m.shmem = 3 * MiB;
	m.swap_accounted = true;
	m.swap_limit = 64 * MiB;
	m.swap_usage = 16 * MiB;
	ok(render_meminfo(host, &m, &mem) == 0, "container meminfo rendered");
	in.meminfo = mem.data;
	in.has_uptime = true;
	in.uptime_s = 12.3;
	loadavg_sample(&load, 2, 2, 17, 40);
	in.load = &load;
	ok(sysinfo_compute(&h, &in, &o) == 0, "container: computed");
	is_u64(o.totalram, 256 * MiB, "container: totalram is the limit");
	is_u64(o.freeram, 156 * MiB, "container: freeram = limit - usage");
	meminfo_get(mem.data, "MemFree", &kb);
	is_u64(o.freeram, kb * 1024, "container: freeram is meminfo's MemFree");
	is_u64(o.sharedram, 3 * MiB, "container: sharedram is meminfo's Shmem");
	is_u64(o.bufferram, 0, "container: bufferram is meminfo's Buffers (0)");
	is_u64(o.totalswap, 64 * MiB, "container: totalswap is meminfo's SwapTotal");
	is_u64(o.freeswap, 48 * MiB, "container: freeswap is meminfo's SwapFree");
	is_u64(o.mem_unit, 1, "container: mem_unit 1");
	is_u64((unsigned long long)o.uptime, 13, "container: uptime rounds 12.3 up");
	is_u64(o.loads[0], load.avenrun[0] << 5, "container: loads are avenrun in 16-bit fixed point");
	ok(o.loads[0] > 0 && o.loads[0] != h.loads[0], "container: loads are not the host's");
	is_u64(o.procs, 17, "container: procs = the container's tasks");

	/* The same avenrun gives 1.00 in loadavg and 65536 in sysinfo. */
	memset(&load, 0, sizeof(load));
	load.avenrun[0] = 1UL << 11;
	sysinfo_compute(&h, &in, &o);
	is_u64(o.loads[0], 65536, "loads: 1.00 is 65536");

	in.uptime_s = 12.0;
	sysinfo_compute(&h, &in, &o);
	is_u64((unsigned long long)o.uptime, 12, "uptime: whole seconds stay");
	in.uptime_s = NAN;
	sysinfo_compute(&h, &in, &o);
	is_u64((unsigned long long)o.uptime, 0, "uptime: NaN gives 0");

	/* Memory limited, no swap accounting: meminfo keeps the host's swap
	 * lines, and so does sysinfo. */
	m.swap_accounted = false;
	buf_reset(&mem);
	render_meminfo(host, &m, &mem);
	in.meminfo = mem.data;
	in.load = NULL;
	in.has_uptime = false;
	sysinfo_compute(&h, &in, &o);
	meminfo_get(host, "SwapTotal", &kb);
	is_u64(o.totalswap, kb * 1024, "no swap accounting: host's SwapTotal");
	is_u64((unsigned long long)o.uptime, 9120, "uptime not given: host's");
	is_u64(o.loads[1], 2 << 16, "loads not given: host's");
	buf_free(&mem);
}

static void test_bad_input(void)
{
	struct sysinfo h = host_pages(), o;
	struct sysinfo_inputs in = { .meminfo = "Garbage: 12 kB\n" };

	ok(sysinfo_compute(&h, &in, &o) == -EINVAL, "meminfo without MemTotal: -EINVAL");
	in.meminfo = "MemTotal: 99999999999999999999999 kB\n";
	ok(sysinfo_compute(&h, &in, &o) == -EINVAL, "MemTotal overflowing: -EINVAL");
	in.meminfo = "MemTotal: 18014398509481985 kB\nMemFree: 5 kB\n";
	ok(sysinfo_compute(&h, &in, &o) == 0 && o.totalram == (unsigned long)UINT64_MAX,
	   "MemTotal * 1024 overflowing saturates");
	ok(sysinfo_compute(NULL, &in, &o) == -EINVAL, "NULL host: -EINVAL");
}

int main(void)
{
	test_host_passthrough();
	test_container();
	test_bad_input();
	return done_testing();
}
