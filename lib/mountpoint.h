/* The mountpoint's life: is a procview mount there, does it answer, and
 * clearing one a dead daemon left behind. Mountpoints from the command
 * line and from records are compared normalized. */
#pragma once
#include <stdbool.h>

#define FUSE_SUPER_MAGIC_PV 0x65735546
#define MOUNTPOINT_MAX 4096

/* Lexically, in place, for an absolute path: "//" squeezed, "." dropped,
 * ".." drops the component before it ("/.." is "/"), no trailing slash. */
void path_clean(char *p);
/* A malloc'd normalized copy of an absolute mountpoint (path_clean), or
 * NULL with errno EINVAL when it is relative, has a ".." component (no
 * guessing through symlinks) or is too long. */
char *mountpoint_normalized(const char *p);
/* Both valid and equal once normalized ("/a/b/" is "/a//b"). */
bool mountpoint_same(const char *a, const char *b);

/* Is the topmost mount on target of fstype fuse.procviewd? Reads
 * /proc/self/mountinfo; target is compared normalized, as the kernel
 * prints it (no symlinks resolved: nothing on the path is touched). */
bool mountpoint_is_procview(const char *target);
/* A bounded check that a live daemon serves mnt: statfs of mnt and stat
 * of proc/meminfo on a thread, abandoned after timeout_ms. 0 answers,
 * -ENOTCONN dead, -ETIMEDOUT hung (or timeout_ms <= 0), -ENOENT no
 * procview mount. A thread left stuck on a hung mount is reclaimed when
 * the process exits. */
int mountpoint_answers(const char *mnt, int timeout_ms);
/* mountpoint_answers, and the per-container tree is mounted on
 * mnt/containers and answers too: what a container's files come from.
 * -EAGAIN: a daemon still starting (its reader tree only). */
int mountpoint_ready(const char *mnt, int timeout_ms);
/* exit(code), or _exit(code) while a probe thread is still stuck: exit
 * handlers (a sanitizer's leak check stops every thread) would wait on
 * it forever. Streams are flushed either way. */
void __attribute__((noreturn)) mountpoint_exit(int code);
/* Lazily detach a dead procview mount (and its containers submount). */
int mountpoint_clear_stale(const char *mnt);
