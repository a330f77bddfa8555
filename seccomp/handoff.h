/* --replace for the seccomp front end: a new daemon connects to the old
 * one's listening socket, asks for its fds, and gets the listening socket
 * itself and every notify fd by SCM_RIGHTS. The kernel objects never
 * close, so no container sees ENOSYS and no runtime a refused connect.
 * Frames on the stream: 4-byte length, JSON payload; fds ride on the
 * frame's first byte. */
#pragma once
#include <stddef.h>

#include "listener.h"

#define SC_HANDOFF_REQUEST "{\"procviewHandoff\":1}"

/* New side: ask the daemon listening on path. On success *listen_fd and
 * *held (malloc'd, *nheld entries) are ours. */
int sc_handoff_request(const char *path, int *listen_fd, struct sc_held_fd **held,
		       size_t *nheld);
/* Old side: send listen_fd and the held fds on conn (blocking). */
int sc_handoff_send(int conn, int listen_fd, const struct sc_held_fd *held, size_t nheld);
void sc_held_free(struct sc_held_fd *held, size_t n);
