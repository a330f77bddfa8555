/* The holder's FUSE relay, for kernels without FUSE_NOTIFY_RESEND (before
 * Linux 6.9). There, a request a dead reader of /dev/fuse had taken is
 * never answered, so the renderer must not read /dev/fuse at all: the
 * holder reads every request, keeps it until its answer comes back, and
 * passes it to the renderer over a SOCK_SEQPACKET socket that the
 * renderer's libfuse reads and writes exactly as it would /dev/fuse (one
 * message per request, one per reply). A renderer's death then loses
 * nothing: what it had not answered goes to the next one.
 *
 * The relay looks at the headers only (length, opcode, unique); it never
 * parses a request's body. One thread serves every connection. */
#pragma once
#include <stdint.h>

#include "ledger.h"

/* A request that was in flight at this many renderer deaths is answered
 * EIO instead of being sent to a fourth: it may be what kills them. */
#define FUSE_RELAY_MAX_TRIES 3
/* The most requests one connection keeps in flight; beyond, the rest wait
 * in the kernel's queue. */
#define FUSE_RELAY_MAX_INFLIGHT 4096

struct fuse_relay;

struct fuse_relay_stats {
	unsigned long requests; /* read from the kernel */
	unsigned long resent;	/* sent again after a renderer died */
	unsigned long failed;	/* answered EIO by the relay itself */
};

/* 0 or -errno; starts the relay's thread. */
int fuse_relay_new(struct fuse_relay **out);
/* Stop the thread and free what is in flight (the caller then closes the
 * /dev/fuse fds, and the kernel fails those requests). NULL is a no-op. */
void fuse_relay_free(struct fuse_relay *r);
/* Relay connection conn's /dev/fuse fd; the caller keeps it open for as
 * long as the relay lives. The relay sets O_NONBLOCK on it. */
int fuse_relay_add(struct fuse_relay *r, int conn, int fuse_fd);
/* A channel for a new renderer on conn: returns its end (O_CLOEXEC) or
 * -errno. Requests in flight, and any new ones, go to it from now on; the
 * previous channel is read to its end first, so no answered request is
 * sent twice. */
int fuse_relay_channel(struct fuse_relay *r, int conn);
/* Stop reading the kernel, for good, and wait up to timeout_ms for what is
 * in flight to be answered; what is still unanswered then is failed with
 * EIO, so no caller waits on a request nobody holds. For a handoff: the
 * new holder reads the kernel from now on. Returns how many were failed. */
int fuse_relay_drain(struct fuse_relay *r, int timeout_ms);
void fuse_relay_get_stats(struct fuse_relay *r, struct fuse_relay_stats *s);
