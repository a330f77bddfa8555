/* Internals shared by the cgroup backends. Layering, with no cycle:
 * cg_core.c (layout, dispatch) -> cg_v1.c / cg_v2.c -> cg_fs.c (file access). */
#pragma once
#include "cgroup.h"

enum cg_ctrl { CTRL_MEMORY, CTRL_CPU, CTRL_CPUACCT, CTRL_CPUSET, CTRL_BLKIO, CTRL_PIDS, CTRL_N };

struct cg_root {
	int rootfd;
	enum cg_layout layout;
	int v1fd[CTRL_N]; /* v1 hierarchy dirs, -1 when not mounted */
	int unifiedfd;    /* the cgroup2 tree (root on v2, unified/ on hybrid), or -1 */
};

/* "a/b" for "/a/b", "." for "/": a path relative to a hierarchy fd. */
int cg_rel(const char *path, const char *file, char *out, size_t size);
/* Read <path>/<file> under hfd as one number ("max" = CG_UNLIMITED). */
int cg_read_u64(int hfd, const char *path, const char *file, uint64_t *v);
int cg_read_i64(int hfd, const char *path, const char *file, int64_t *v);
long cg_read_text(int hfd, const char *path, const char *file, char **text);
/* Minimum of <file> over path and all its ancestors. Missing or garbage
 * levels do not limit, and neither do values of 2^62 or more (v1 writes
 * "unlimited" as PAGE_COUNTER_MAX pages, v2 writes "max"). */
uint64_t cg_min_up(int hfd, const char *path, const char *file);
/* Parent of path in place: "/a/b" -> "/a" -> "/"; false once at "/". */
bool cg_parent(char *path);

int cg_v1_memory(const struct cg_root *r, const char *path, struct cg_memory *m);
int cg_v2_memory(const struct cg_root *r, const char *path, struct cg_memory *m);
int cg_v1_cpu(const struct cg_root *r, const struct cg_paths *p, struct cg_cpu *c);
int cg_v2_cpu(const struct cg_root *r, const struct cg_paths *p, struct cg_cpu *c);
int cg_v1_io(const struct cg_root *r, const char *path, struct cg_io *io);
int cg_v2_io(const struct cg_root *r, const char *path, struct cg_io *io);
