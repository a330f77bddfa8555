/* One message with fds attached (SCM_RIGHTS) over a unix socket. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 8

/* The whole message and up to FDPASS_MAX fds; 0 or -errno. */
int fd_send(int sock, const void *msg, size_t len, const int *fds, size_t nfds);
/* Receives one message; fds beyond maxfds are closed, the others are
 * O_CLOEXEC. Returns its length, 0 at EOF, or -errno. */
ssize_t fd_recv(int sock, void *msg, size_t size, int *fds, size_t maxfds, size_t *nfds);
