/* Re-attach fresh per-container files into every recorded live container
 * (after a crash or a live replace), and forget records of dead ones.
 *
 * Every step that touches a container's mounts runs in a forked worker,
 * one per container, killed after timeout_ms: a hung FUSE mount in a
 * container, or a stopped old daemon, costs that container's heal and
 * nothing else. */
#pragma once
#include <sys/types.h>

struct heal_stats {
	unsigned containers, attached, failed, forgotten;
};

#define HEAL_TIMEOUT_MS 3000

/* Heal every record in record_dir whose mountpoint is mnt; returns when
 * done (procview heal). */
int heal_all(const char *mnt, const char *record_dir, unsigned timeout_ms,
	     struct heal_stats *st);
/* The same on a detached thread that logs its outcome (procviewd: READY
 * and SIGTERM never wait for it), then sends SIGUSR1 to replace_pid (if
 * > 0), the daemon being replaced: make-before-break. */
int heal_start(const char *mnt, const char *record_dir, unsigned timeout_ms, pid_t replace_pid);
/* Kill the worker in flight, if any (shutdown). */
void heal_cancel(void);
