/* Make sure procviewd serves MOUNTPOINT, starting it if needed. Concurrent
 * hooks serialize on /run/procview/hook.lock and start one daemon. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HOOK_LOCK_DIR "/run/procview"
#define HOOK_LOCK_PATH HOOK_LOCK_DIR "/hook.lock"
#define DAEMON_UNIT "procview.service"

struct daemon_opts {
	const char *mountpoint;
	const char *daemon_path;
	/* Ask systemd (systemctl start procview.service) when it runs and
	 * knows the unit. Only right when mountpoint and daemon are the unit's. */
	bool try_systemd;
	int wait_ms; /* how long a started daemon gets to answer */
};

/* 0 when the daemon answers (already, or after we started it). Negative
 * errno otherwise, with why saying what happened in a few words. */
int daemon_ensure(const struct daemon_opts *o, char *why, size_t why_size);

/* Move pid out of the caller's cgroups into procview's own: "procview" in
 * every v1 hierarchy, "procview.service" in the v2 tree (or the unified
 * tree of a hybrid layout). Best effort: failures are ignored. */
void daemon_own_cgroup(const char *cgroot, pid_t pid);
