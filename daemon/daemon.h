/* procviewd's two processes. The holder keeps what the kernel must never
 * lose (the /dev/fuse fds, the ledger) and restarts the renderer, which
 * does everything that parses, renders or could crash. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ledger.h"

struct daemon_opts {
	bool foreground;
	const char *cgroup_root, *proc_root, *sys_root;
	const char *mountpoint;
	bool cpu_quota, loadavg, replace;
	unsigned staleness_ms;
	int log_level;
	char **argv; /* rewritten to name the renderer in ps */
};

/* The connections, in ledger order. */
enum { CONN_READER, CONN_CONTAINERS };

/* holder <-> renderer, over a SOCK_SEQPACKET socketpair. */
enum ctl_type {
	CTL_CONN = 1, /* holder: serve conn (fd attached); flags: CTL_HEAL */
	CTL_SERVING,  /* renderer: conn answers */
	CTL_READY,    /* renderer: every conn answers (and heal is done) */
};
#define CTL_HEAL 1
struct ctl_msg {
	int type;
	int conn;
	int flags;
	int err;
};

struct renderer_start {
	pid_t holder;
	int ctl;
	int ledger;
	int conn[LEDGER_CONNS]; /* -1: sent over ctl later */
	bool heal;              /* re-attach recorded containers once up */
};

/* Runs in the forked child; never returns. */
void renderer_main(const struct daemon_opts *o, const struct renderer_start *rs)
	__attribute__((noreturn));

/* The holder's life, from mounting (or adopting) to unmounting. report_fd
 * gets "ok" or a reason once the mount answers (-1: nobody waits).
 * old_pid: a live daemon to take over from; adopted: handles systemd kept
 * (HANDLES of them) or NULL. Returns the exit code. */
int holder_run(const struct daemon_opts *o, int report_fd, pid_t old_pid, const int *adopted);
