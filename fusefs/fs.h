/* The two FUSE filesystems procviewd serves:
 *  - per-reader, at MOUNTPOINT: content depends on who reads (direct_io);
 *  - per-container, at MOUNTPOINT/containers: <pid>-<starttime>/... fixed
 *    to one container, so pages can be cached (no OPEN, exact sizes). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "resolve.h"
#include "view.h"

struct fuse_session;

struct fs_opts {
	const struct view_ctx *ctx;
	struct resolver *resolver;
	unsigned staleness_ms; /* per-container freshness bound */
};

struct fuse_session *fs_reader_new(const struct fs_opts *o, const char *fsname);
struct fuse_session *fs_containers_new(const struct fs_opts *o, const char *fsname);
/* Call fn on each live per-container entry (sampler); drop dead ones. */
void fs_containers_sweep(void (*fn)(struct container *c, void *data), void *data);
size_t fs_containers_count(void);
/* Parse a per-container directory name "<pid>-<starttime>": plain
 * decimals, pid 1..INT32_MAX, no sign, no leading zero. 0 or -EINVAL. */
int fs_parse_name(const char *name, pid_t *pid, uint64_t *starttime);

struct fuse_lowlevel_ops;
/* A libfuse session with procviewd's mount options (read-only,
 * allow_other, fsname, subtype procviewd) plus extra. */
struct fuse_session *fs_session_new(const char *fsname, const struct fuse_lowlevel_ops *ops,
				    size_t ops_size, const char *extra);
