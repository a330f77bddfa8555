/* The seccomp notify fds in the holder: the listening socket and the
 * notify fds stay here; the renderer only computes answers (relay.h). */
#pragma once
#include <stdbool.h>

#include "listener.h"
#include "relay.h"

struct holder_sc {
	struct sc_listener *sc; /* NULL: not listening */
	struct sc_relay *relay; /* NULL: --no-seccomp */
};

/* Listen for runtimes' notify fds on path, before the mount answers: runc
 * connects right after the hook, which waits for the mount, returns.
 * Replacing a daemon: take its socket and fds over first, so no
 * container ever loses its listener. Never fatal: the files serve
 * without it (logged). Needs h->relay. */
void holder_sc_listen(struct holder_sc *h, const char *path, bool replacing);
/* Closing the notify fds: the kernel answers ENOSYS to those containers'
 * sysinfo from now on (its rule for a gone listener), unless they were
 * handed over. Answers in flight finish first. */
void holder_sc_stop(struct holder_sc *h);
