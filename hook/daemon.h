/* Make sure procviewd serves MOUNTPOINT, starting it if needed, within a
 * deadline. Concurrent hooks serialize on the mountpoint's start lock
 * (/run/procview/hook.lock for the default one) and start one daemon. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DEFAULT_MOUNTPOINT "/var/lib/procview"
#define HOOK_LOCK_DIR "/run/procview"
#define HOOK_LOCK_PATH HOOK_LOCK_DIR "/hook.lock"
#define DAEMON_UNIT "procview.service"
/* One probe of the mount gets at most this long (less if the deadline
 * is nearer): a live daemon answers in microseconds. */
#define DAEMON_PROBE_MS 1000

struct daemon_opts {
	const char *mountpoint;
	const char *daemon_path;
	const char *seccomp_socket; /* passed as --seccomp-socket; NULL: the default */
	/* mountpoint and daemon are the installed unit's: procview.service
	 * may be started for them. */
	bool unit_paths;
	int64_t deadline_ms; /* now_ms() clock: every wait ends by then */
	const char *root;    /* prefix for /run/systemd and the unit dirs ("" but in tests) */
};

/* How a daemon gets started. */
enum daemon_start {
	START_SPAWN,	 /* no systemd: a detached double fork */
	START_UNIT,	 /* systemctl start procview.service */
	START_TRANSIENT, /* systemd-run --unit=procview... (no unit installed, or other paths) */
};

/* The choice, from what the host has (pure but for stat under o->root):
 * systemd runs when ROOT/run/systemd/system is a directory; the unit is
 * installed when procview.service is in one of systemd's unit dirs. */
enum daemon_start daemon_start_plan(const struct daemon_opts *o);
/* The command for START_UNIT or START_TRANSIENT into argv (NULL-ended,
 * at most max entries, strings in buf). 0 or -ENOSPC. */
int daemon_start_argv(const struct daemon_opts *o, enum daemon_start how, char **argv,
		      size_t max, char *buf, size_t size);

/* The systemd unit that runs the daemon for how (START_UNIT or
 * START_TRANSIENT): procview.service, or procview-<8 hex of the
 * mountpoint's sha256>.service for a transient one of other paths. */
void daemon_unit_name(const struct daemon_opts *o, enum daemon_start how, char *buf, size_t size);
/* 1 when unit's cgroup (system.slice, under o->root) holds a process,
 * 0 when it is empty or not there (not started yet, or exited). */
int daemon_unit_running(const struct daemon_opts *o, const char *unit);

/* 0 when the daemon answers (already, or after we started it). Negative
 * errno otherwise, with why saying what happened in a few words:
 * -ETIMEDOUT a mount that does not answer (hung or stopped daemon: none is
 * started over it) or the deadline passed; -ECHILD the daemon it started
 * (its child, or its systemd unit's process) exited before answering. Nothing here waits past
 * o->deadline_ms. Warnings about the daemon it started (its cgroup, its
 * oom_score_adj) are logged. */
int daemon_ensure(const struct daemon_opts *o, char *why, size_t why_size);

/* Move pid out of the caller's cgroups into procview's own: "procview" in
 * every v1 hierarchy, "procview.service" in the v2 tree (or the unified
 * tree of a hybrid layout). Returns 0, or the first failure as negative
 * errno with the hierarchy's name in what. */
int daemon_own_cgroup(const char *cgroot, pid_t pid, char *what, size_t what_size);

/* CLOCK_MONOTONIC in ms: the clock of every deadline. */
int64_t now_ms(void);
