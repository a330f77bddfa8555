/* Holding: a unix socket at listenerPath that OCI runtimes connect to,
 * the notify fds they pass, and a small pool of threads that take turns
 * polling them (leader/follower): the leader receives one notification,
 * hands the poll to the next thread and answers it itself. No lock is
 * held while answering, so one container's answer never waits on
 * another's. A notify fd is closed when its filter has no task left
 * (POLLHUP). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "notify.h"

struct sc_listener;

struct sc_held_fd {
	int fd;
	char *id;
	pid_t init_pid;
};

/* listen_fd >= 0: a socket handed over (see handoff.h); else bind path
 * (atomically replacing a stale socket file). held: notify fds handed
 * over, owned by the listener from now on (also on failure). */
int sc_listener_new(const char *path, int listen_fd, struct sc_held_fd *held, size_t nheld,
		    sc_answer_fn fn, void *data, unsigned nthreads, struct sc_listener **out);
int sc_listener_start(struct sc_listener *l);
/* Stop the threads (answers in flight finish), close every fd. */
void sc_listener_free(struct sc_listener *l);
/* Notify fds held now. */
size_t sc_listener_count(struct sc_listener *l);
/* Has a newer daemon taken our fds (--replace)? */
bool sc_listener_handed_over(struct sc_listener *l);
