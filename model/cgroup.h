/* One interface over cgroup v1, v2 and hybrid hosts. Everything is read
 * relative to a root directory (--cgroup-root) so fixture trees work.
 * Text parsers are pure and exported for unit tests and fuzzers. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpuset.h"

#define CG_UNLIMITED UINT64_MAX

enum cg_layout {
	CG_LAYOUT_V1,     /* controllers on v1, no unified tree */
	CG_LAYOUT_HYBRID, /* controllers on v1, plus <root>/unified (cgroup2) */
	CG_LAYOUT_V2,     /* <root>/cgroup.controllers exists */
};

struct cg_root; /* opaque: root dirfd, layout, controller directory fds */

/* Detect the layout under root (e.g. "/sys/fs/cgroup"). */
int cg_root_open(const char *root, struct cg_root **out);
void cg_root_free(struct cg_root *r);
enum cg_layout cg_root_layout(const struct cg_root *r);

/* Where one process sits, from the text of /proc/<pid>/cgroup. Each path
 * is relative to its hierarchy root ("/" for the root cgroup) or NULL when
 * that controller is not mounted. On v2 every field points at the one
 * unified path. */
struct cg_paths {
	char *memory;
	char *cpu;
	char *cpuacct;
	char *cpuset;
	char *blkio;   /* io on v2 */
	char *pids;
	char *unified; /* the "0::" line: v2 tree (PSI on hybrid hosts) */
};
int cg_paths_parse(const char *proc_pid_cgroup, const struct cg_root *r,
		   struct cg_paths *out);
void cg_paths_free(struct cg_paths *p);
/* True when p is the root cgroup for the controllers a view depends on. */
bool cg_path_is_root(const char *path);

struct cg_memory {
	uint64_t limit;      /* bytes, min over the cgroup and ancestors */
	uint64_t usage;      /* bytes */
	uint64_t swap_limit; /* bytes of swap allowed (v2 swap.max, v1 memsw - mem), min over ancestors */
	uint64_t swap_usage; /* bytes of swap used */
	bool swap_accounted; /* false: no memsw / swap files */
	/* memory.stat, bytes; v1 from total_* */
	uint64_t cache, anon, shmem, mapped, dirty, writeback, anon_thp;
	uint64_t active_anon, inactive_anon, active_file, inactive_file;
	uint64_t unevictable;
	uint64_t slab_reclaimable, slab_unreclaimable;
	bool has_slab; /* v1 memory.stat usually lacks slab */
};
int cg_read_memory(const struct cg_root *r, const char *path,
		   struct cg_memory *out);
/* Pure: fill the stat fields from memory.stat text (v1 total_* or v2). */
int cg_parse_memory_stat(const char *text, bool v1, struct cg_memory *out);

struct cg_cpu {
	bool has_cpuset;
	struct cpuset cpus;    /* effective cpuset */
	uint64_t quota_milli;  /* 1000 * quota / period, min over ancestors; 0 = none */
	bool has_usage;
	uint64_t user_ns, system_ns; /* totals */
	/* per host cpu, indexed by host cpu id; NULL when not available */
	int npercpu;
	uint64_t *percpu_user_ns, *percpu_system_ns;
};
/* cpu_path/cpuacct_path/cpuset_path may be NULL (controller absent). */
int cg_read_cpu(const struct cg_root *r, const struct cg_paths *p,
		struct cg_cpu *out);
void cg_cpu_free(struct cg_cpu *c);
/* Pure parsers. */
int cg_parse_cpu_max(const char *text, uint64_t *quota_milli); /* v2 "max 100000" */
int cg_parse_usage_all(const char *text, struct cg_cpu *out);  /* v1 cpuacct.usage_all */
int cg_parse_cpu_stat_v2(const char *text, struct cg_cpu *out); /* usage_usec, user_usec, system_usec */

struct cg_io_dev {
	unsigned major, minor;
	uint64_t rbytes, wbytes, rios, wios;
};
struct cg_io {
	int n;
	struct cg_io_dev *devs;
};
int cg_read_io(const struct cg_root *r, const char *path, struct cg_io *out);
void cg_io_free(struct cg_io *io);
int cg_parse_io_stat(const char *text, struct cg_io *out); /* v2 io.stat */
/* v1 blkio.throttle.io_service_bytes_recursive + io_serviced_recursive */
int cg_parse_blkio(const char *bytes_text, const char *ios_text,
		   struct cg_io *out);

/* The cgroup's <which>.pressure (which: "cpu", "memory", "io") from the
 * v2 tree (the unified tree on hybrid). -ENOENT when there is no PSI. */
int cg_read_pressure(const struct cg_root *r, const struct cg_paths *p,
		     const char *which, char **text);

/* Thread ids in the cgroup (v1 "tasks" of the cpuacct/cpu/pids hierarchy,
 * v2 cgroup.threads). At most max entries. */
int cg_read_tasks(const struct cg_root *r, const struct cg_paths *p,
		  pid_t **tids, size_t *n, size_t max);
