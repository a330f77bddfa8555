/* The interface between the two halves of the seccomp front end:
 *  - holding (listener.c, handoff.c): the listening socket, the table of
 *    notify fds, receiving notifications; no /proc or cgroup parsing;
 *  - answering (sysinfo.c): one notification in, one response out.
 * Holding calls the answer function with a notify fd it keeps open for
 * the whole call. The answer function must always respond (a value or
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE) unless the caller is gone. Nothing
 * else crosses, so the halves can live in different processes. */
#pragma once
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/types.h>

struct sc_filter_info {
	const char *id; /* container id from the runtime's state */
	pid_t init_pid; /* state.pid: the container's init, 0 unknown */
};

typedef void (*sc_answer_fn)(void *data, int notify_fd, const struct sc_filter_info *f,
			     const struct seccomp_notif *n);

/* Respond CONTINUE: the kernel runs the syscall as if we were not there. */
int sc_respond_continue(int notify_fd, uint64_t id);
