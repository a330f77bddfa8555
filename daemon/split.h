/* procviewd's two processes. The holder (holder.c) keeps what the kernel
 * must never lose (the /dev/fuse fds, the ledger) and restarts the
 * renderer (renderer.c), which does everything that parses, renders or
 * could crash. The renderer is the same binary, exec'd afresh. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ledger.h"
#include "relay.h"

struct daemon_opts {
	bool foreground;
	const char *cgroup_root, *proc_root, *sys_root;
	const char *mountpoint;
	const char *record_dir;
	const char *seccomp_socket; /* NULL: --no-seccomp */
	bool cpu_quota, loadavg, replace;
	unsigned staleness_ms;
	int log_level;
	char **argv; /* the holder's, re-used to exec the renderer */
};

/* The connections, in ledger order. */
enum { CONN_READER, CONN_CONTAINERS };

/* holder <-> renderer, over a SOCK_SEQPACKET socketpair. */
enum ctl_type {
	CTL_CONN = 1, /* holder: serve conn (fd attached); flags: CTL_HEAL */
	CTL_SERVING,  /* renderer: conn answers */
	CTL_READY,    /* renderer: every conn answers */
};
#define CTL_HEAL 1 /* re-attach recorded containers once up */
struct ctl_msg {
	int type;
	int conn;
	int flags;
	int err;
};

/* What the holder passes to the renderer it execs, in this environment
 * variable: "holder ctl ledger conn0 conn1 flags replace_pid sc0..sc3"
 * (fds; -1 for a connection sent over ctl later, or for no seccomp). */
#define RENDERER_ENV "PROCVIEW_RENDERER"
#define RENDERER_ARGV0 "procviewd-renderer"

struct renderer_start {
	pid_t holder;
	int ctl;
	int ledger;
	int conn[LEDGER_CONNS];
	int flags;	   /* CTL_HEAL */
	pid_t replace_pid; /* an old daemon to SIGUSR1 once healed (mount-over replace) */
	int sc[SC_RELAY_CHANNELS]; /* sysinfo requests from the holder (relay.h) */
};

/* Parse RENDERER_ENV; 0, or -EINVAL when it is not set or malformed. */
int renderer_start_parse(const char *text, struct renderer_start *rs);
/* Runs in the exec'd child; never returns. */
void renderer_main(const struct daemon_opts *o, const struct renderer_start *rs)
	__attribute__((noreturn));

/* The holder's life, from mounting (or adopting) to unmounting. report_fd
 * gets "ok" or a reason once the mount answers (-1: nobody waits).
 * old_pid: a live daemon to take over from; adopted: handles systemd kept
 * (HANDLES of them) or NULL. Returns the exit code. */
int holder_run(const struct daemon_opts *o, int report_fd, pid_t old_pid, const int *adopted);
