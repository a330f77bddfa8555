/* The mountpoint's life: is a procview mount there, does it answer, and
 * clearing one a dead daemon left behind. */
#pragma once
#include <stdbool.h>

#define FUSE_SUPER_MAGIC_PV 0x65735546

/* Is target a mount of fstype fuse.procviewd (libmount, /proc/self/mountinfo)? */
bool mountpoint_is_procview(const char *target);
/* A bounded check that a live daemon serves mnt: stat of proc/meminfo in
 * a child, killed after timeout_ms. 0 answers, -ENOTCONN dead, -ETIMEDOUT hung,
 * -ENOENT no procview mount. */
int mountpoint_answers(const char *mnt, int timeout_ms);
/* Lazily detach a dead procview mount (and its containers submount). */
int mountpoint_clear_stale(const char *mnt);
