/* The table of virtual files and how each is produced: gather inputs from
 * the host and the container's cgroups, then call a pure renderer. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cgroup.h"
#include "container.h"

enum view_id {
	V_MEMINFO,
	V_CPUINFO,
	V_STAT,
	V_UPTIME,
	V_LOADAVG,
	V_DISKSTATS,
	V_SWAPS,
	V_PSI_CPU,
	V_PSI_MEMORY,
	V_PSI_IO,
	V_ONLINE,
	V_PRESENT,
	V_POSSIBLE,
	V_COUNT
};

/* Renders that fell back to the host's file, for the daemon to log
 * (rate-limited): the model itself does not log. */
struct view_stats {
	atomic_uint fallbacks;
	atomic_int last_view, last_err;
};

struct view_ctx {
	int proc_fd; /* --proc-root */
	int sys_fd;  /* --sys-root */
	struct cg_root *cg;
	bool cpu_quota; /* quota-based CPU counts (default on) */
	bool loadavg;   /* per-container load average (default on) */
	struct view_stats *stats; /* may be NULL */
};

struct view_ctx;
struct view_file {
	const char *path;      /* under the mountpoint, e.g. "proc/meminfo" */
	const char *host_path; /* under --proc-root or --sys-root */
	bool sys;
	/* the container's version; the host's file is served when it fails */
	int (*render)(const struct view_ctx *ctx, struct container *c, enum view_id id,
		      struct buf *out);
};
extern const struct view_file view_files[V_COUNT];

/* Render one file for container c (NULL: the host). Falls back to the
 * host's file when the container cannot be read (gone, cgroup removed). */
int view_render(const struct view_ctx *ctx, struct container *c, enum view_id id,
		struct buf *out);
/* The host's own file, byte for byte. */
int view_host(const struct view_ctx *ctx, enum view_id id, struct buf *out);
/* Sample the container's tasks for loadavg and procs_running/blocked. */
void view_sample_load(const struct view_ctx *ctx, struct container *c);
/* The same for many containers, walking each cgroup's tasks once (cs is
 * reordered). Returns the number of cgroups walked. */
size_t view_sample_load_all(const struct view_ctx *ctx, struct container **cs, size_t n);
/* sysinfo(2) as container c (NULL: the host) sees it: memory from the
 * meminfo it reads (tick >= 0: shared with that staleness tick's
 * rendering), uptime and loads from the same numbers as its uptime and
 * loadavg. host is the kernel's own sysinfo, kept for whatever the
 * container does not limit. */
struct sysinfo;
int view_sysinfo(const struct view_ctx *ctx, struct container *c, const struct sysinfo *host,
		 int64_t tick, struct sysinfo *out);
/* Would view_sysinfo give exactly the host's answer? */
bool view_sysinfo_is_host(const struct view_ctx *ctx, const struct container *c);
