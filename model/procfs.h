/* Facts about processes from /proc (under --proc-root): start times,
 * pid namespaces, and the host clock as /proc/uptime reports it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/<pid>/stat. */
int proc_starttime(int proc_fd, pid_t pid, uint64_t *ticks);
/* Parse field 22 from stat text; pure, for tests and fuzzing. */
int proc_parse_starttime(const char *stat_text, uint64_t *ticks);
/* One-letter state (R, S, D, ...) from stat text. */
int proc_parse_state(const char *stat_text, char *state);
/* Inode of /proc/<pid>/ns/<ns>. */
int proc_ns_ino(int proc_fd, pid_t pid, const char *ns, uint64_t *ino);
/* Host pid of the init of pid's pid namespace: NS_GET_TGID_FROM_PIDNS on
 * new kernels, else a scan of /proc for the namespace's pid 1. */
int proc_pidns_init(int proc_fd, pid_t pid, pid_t *init);
/* Seconds since boot, CLOCK_BOOTTIME, as /proc/uptime counts. */
double boottime_now(void);
int64_t monotonic_ms(void);
long clock_ticks(void);
