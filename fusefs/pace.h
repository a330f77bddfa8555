/* Fairness between containers on the per-container tree. Reads that
 * reach the daemon (GETATTR and READ of a file: honest readers are served
 * by the page cache, about one per file per staleness tick) are paced per
 * container: past PACE_RATE a second, after a burst of PACE_BURST, a
 * request's reply is deferred instead of served at once. The worker
 * thread returns at once to read the next request, so a flooding
 * container's threads wait in their own queue here, not in the kernel's
 * FUSE queue ahead of other containers, and burn neither the daemon's
 * CPU nor worker threads. */
#pragma once
#include <stdint.h>

#define PACE_RATE 2000
#define PACE_BURST 500

struct slot;

/* Microseconds this request must wait (0: serve it now). Takes s->lock. */
int64_t pace_delay_us(struct slot *s);
/* Run fn(arg) after delay_us on the pacer thread (started on first use).
 * Returns 0, or negative errno: the caller then serves at once. */
int pace_defer(int64_t delay_us, void (*fn)(void *arg), void *arg);
