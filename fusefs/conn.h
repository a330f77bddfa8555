/* A FUSE connection apart from the code that serves it: the holder mounts
 * and keeps the /dev/fuse fd, renderers come and go and serve it. */
#pragma once
#include <stdbool.h>

struct fuse_session;

/* Mount options beyond procviewd's common ones, per filesystem.
 * default_permissions: the kernel checks modes, so the per-container
 * root's 0700 keeps host users out even through cached names. */
#define FS_READER_OPTS ""
#define FS_CONTAINERS_OPTS ",default_permissions"

/* Mount a procviewd filesystem named fsname on mnt with fs.h's extra
 * options; the /dev/fuse fd (O_CLOEXEC) or -errno. Nothing is served
 * until a renderer adopts it. */
int conn_mount(const char *fsname, const char *mnt, const char *extra);
/* Make se serve fd (conn: the ledger's connection index). The first
 * session on a connection answers the kernel's INIT and records it in
 * the ledger; a later one replays the recorded INIT to itself, so libfuse
 * accepts requests without a second INIT the kernel would never send. */
int conn_adopt(struct fuse_session *se, int fd, int conn);
/* FUSE_NOTIFY_RESEND: requests a dead renderer had read but not answered
 * go back to the queue (Linux 6.9). -errno if the kernel refuses. */
int conn_resend(int fd);
/* The kernel has torn this connection down (unmounted, aborted). */
bool conn_dead(int fd);
