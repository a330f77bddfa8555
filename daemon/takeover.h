/* Passing the holder's handles on: the --replace handoff between two
 * holders (over PROCVIEW_RUNDIR/daemon.<mnt>.sock), and systemd's fd
 * store. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "ledger.h"

/* What a holder holds: the two /dev/fuse fds and the ledger. */
#define HANDLES (LEDGER_CONNS + 1)
#define HANDLE_LEDGER LEDGER_CONNS


/* The old holder's side: PROCVIEW_RUNDIR/daemon.<mnt>.sock. */
int handoff_listen(const char *mnt);
/* Serve one client on lsock: send our handles, wait for it to take over.
 * Returns 1 when it did (we must now leave without unmounting) after
 * kill_renderer() was called, 0 if it gave up, -errno. */
int handoff_serve(int lsock, const int handles[HANDLES], void (*kill_renderer)(void *),
		  void *data);

/* The new holder's side. handoff_begin connects and receives the handles
 * (returns the socket); handoff_finish says we serve now and waits until
 * the old renderer is gone. */
int handoff_begin(const char *mnt, int handles[HANDLES]);
int handoff_finish(int sock);

/* systemd's fd store: push our handles (no-op outside systemd), and take
 * them back after a restart. Returns 1 if all were adopted, 0 if there
 * were none. */
void fdstore_push(const int handles[HANDLES]);
/* On a clean stop: a restarted daemon must mount afresh. */
void fdstore_drop(void);
int fdstore_adopt(int handles[HANDLES]);
