/* Pure renderers: inputs in, bytes out, no I/O. The daemon gathers the
 * inputs (view.c); tests and fuzzers call these directly. All return 0 or
 * a negative errno and append to out. A NULL cgroup argument means "the
 * host": the host text is copied through byte for byte. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "cgroup.h"
#include "cpuset.h"

/* One CPU numbering for every file: visible CPU i is host CPU host_ids[i]. */
struct cpu_view {
	int n; /* >= 1 */
	int host_ids[CPUSET_MAX];
};
/* Visible CPUs: host online ∩ effective cpuset (all online when no
 * cpuset), in ascending order, cut to ceil(quota) when use_quota. */
void cpu_view_compute(const struct cpuset *host_online, const struct cg_cpu *cg,
		      bool use_quota, struct cpu_view *out);

/* Host /proc/meminfo lookup: value in kB of "Key:". -ENOENT if absent. */
int meminfo_get(const char *text, const char *key, uint64_t *kb);

int render_meminfo(const char *host_meminfo, const struct cg_memory *cg,
		   struct buf *out);
int render_cpuinfo(const char *host_cpuinfo, const struct cpu_view *v,
		   struct buf *out);

/* Per-container state that keeps stat's fields monotonic across reads. */
struct stat_mono {
	int n;
	uint64_t user[CPUSET_MAX / 16], system[CPUSET_MAX / 16],
		idle[CPUSET_MAX / 16]; /* USER_HZ ticks, per visible cpu */
};
struct stat_extra {
	uint64_t age_ns;      /* container age: elapsed time per cpu */
	int procs_running;    /* -1: keep the host's line */
	int procs_blocked;    /* -1: keep the host's line */
};
int render_stat(const char *host_stat, const struct cpu_view *v,
		const struct cg_cpu *cg, const struct stat_extra *x,
		struct stat_mono *mono, struct buf *out);

/* age and busy in seconds; ncpu visible cpus. */
int render_uptime(double age_s, double busy_s, int ncpu, struct buf *out);

/* Kernel-style load average: fixed point, FSHIFT 11, sampled each 5 s. */
struct loadavg_state {
	unsigned long avenrun[3];
	unsigned running, total;
	int last_pid;
	bool sampled;
};
void loadavg_sample(struct loadavg_state *s, unsigned active, unsigned running,
		    unsigned total, int last_pid);
int render_loadavg(const struct loadavg_state *s, struct buf *out);

int render_diskstats(const char *host_diskstats, const struct cg_io *io,
		     struct buf *out);
/* swap in kB taken from an already rendered meminfo's SwapTotal/SwapFree
 * (container_meminfo: render_meminfo's output, not the host's text) so the
 * two files always agree. */
int render_swaps(const char *host_swaps, const struct cg_memory *cg,
		 const char *container_meminfo, struct buf *out);
/* online/present/possible: "0\n" or "0-(n-1)\n". */
int render_cpulist(const struct cpu_view *v, struct buf *out);

/* sysinfo(2) for a container, from the same numbers its files show.
 * Every input left NULL/false keeps the host's value from *host (the
 * kernel's own sysinfo), so an unlimited container gets exactly the
 * host's struct. Output is in bytes with mem_unit 1, as the kernel gives
 * it on 64-bit. */
struct sysinfo;
struct sysinfo_inputs {
	const char *meminfo;             /* the container's rendered meminfo */
	bool has_uptime;
	double uptime_s;                 /* what /proc/uptime's first field shows */
	const struct loadavg_state *load; /* what /proc/loadavg shows */
};
int sysinfo_compute(const struct sysinfo *host, const struct sysinfo_inputs *in,
		    struct sysinfo *out);
