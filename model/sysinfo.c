/* struct sysinfo from a container's views: memory and swap from its
 * rendered meminfo (the same text /proc/meminfo and /proc/swaps show),
 * uptime from its age, loads and procs from its load-average samples.
 * No second computation of any number. */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/sysinfo.h>

/* The kernel's sysinfo keeps loads with 16 fractional bits, avenrun 11. */
#define SI_LOAD_SHIFT 16
#define FSHIFT 11

static unsigned long kb_bytes(uint64_t kb)
{
	return kb > UINT64_MAX / 1024 ? (unsigned long)UINT64_MAX : (unsigned long)(kb * 1024);
}

/* One meminfo key in bytes, or keep *v when the key is absent. */
static void mem_field(const char *meminfo, const char *key, unsigned long *v)
{
	uint64_t kb;

	if (meminfo_get(meminfo, key, &kb) == 0)
		*v = kb_bytes(kb);
}

/* Scale the host's values to mem_unit 1, as the kernel does when the
 * totals fit in an unsigned long (always, on 64-bit). */
static void host_in_bytes(const struct sysinfo *h, struct sysinfo *o)
{
	unsigned long u = h->mem_unit ? h->mem_unit : 1;

	*o = *h;
	o->totalram = h->totalram * u;
	o->freeram = h->freeram * u;
	o->sharedram = h->sharedram * u;
	o->bufferram = h->bufferram * u;
	o->totalswap = h->totalswap * u;
	o->freeswap = h->freeswap * u;
	o->totalhigh = h->totalhigh * u;
	o->freehigh = h->freehigh * u;
	o->mem_unit = 1;
}

int sysinfo_compute(const struct sysinfo *host, const struct sysinfo_inputs *in,
		    struct sysinfo *out)
{
	if (!host || !in || !out)
		return -EINVAL;
	host_in_bytes(host, out);
	if (in->meminfo) {
		uint64_t kb;

		/* A meminfo without MemTotal is not one we rendered. */
		if (meminfo_get(in->meminfo, "MemTotal", &kb) < 0)
			return -EINVAL;
		out->totalram = kb_bytes(kb);
		mem_field(in->meminfo, "MemFree", &out->freeram);
		mem_field(in->meminfo, "Shmem", &out->sharedram);
		mem_field(in->meminfo, "Buffers", &out->bufferram);
		mem_field(in->meminfo, "SwapTotal", &out->totalswap);
		mem_field(in->meminfo, "SwapFree", &out->freeswap);
		out->totalhigh = out->freehigh = 0;
	}
	if (in->has_uptime) {
		double up = isfinite(in->uptime_s) && in->uptime_s > 0 ? in->uptime_s : 0;

		/* The kernel rounds a partial second up. */
		out->uptime = (long)up + ((double)(long)up < up);
	}
	if (in->load) {
		for (int i = 0; i < 3; i++)
			out->loads[i] = in->load->avenrun[i] << (SI_LOAD_SHIFT - FSHIFT);
		out->procs = in->load->total > 0xffff ? 0xffff : (unsigned short)in->load->total;
	}
	return 0;
}
