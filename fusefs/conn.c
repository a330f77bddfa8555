#define FUSE_USE_VERSION 312
#include "conn.h"
#include "fs.h"
#include "ledger.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

/* Debian's headers predate 6.9. */
#ifndef FUSE_NOTIFY_RESEND
#define FUSE_NOTIFY_RESEND 7
#endif
/* The kernel's uniques are even and never get near this; its reply to a
 * unique it never sent is ENOENT, which libfuse treats as "interrupted"
 * and does not report. */
#define REPLAYED_UNIQUE (UINT64_C(1) << 62)

/* What libfuse does for root, without a session: libfuse keeps a copy of
 * the mountpoint that only fuse_session_unmount frees, and the holder never
 * unmounts through libfuse. Options as fs.c's: ro, nosuid, nodev,
 * allow_other, fsname, subtype procviewd. */
static int mount_direct(const char *fsname, const char *mnt, const char *extra)
{
	_cleanup_close_ int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	char data[256];
	int n;

	if (fd < 0)
		return -errno;
	n = snprintf(data, sizeof(data), "fd=%d,rootmode=40000,user_id=%u,group_id=%u,allow_other%s",
		     fd, (unsigned)getuid(), (unsigned)getgid(), extra);
	if (n < 0 || (size_t)n >= sizeof(data))
		return -ENAMETOOLONG;
	if (mount(fsname, mnt, "fuse.procviewd", MS_RDONLY | MS_NOSUID | MS_NODEV, data) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int conn_mount(const char *fsname, const char *mnt, const char *extra)
{
	struct fuse_lowlevel_ops none = { 0 };
	struct fuse_session *se;
	int fd = mount_direct(fsname, mnt, extra);

	/* Not root: libfuse's fusermount3 path. */
	if (fd != -EPERM)
		return fd;
	se = fs_session_new(fsname, &none, sizeof(none), extra);
	if (!se)
		return -ENOMEM;
	if (fuse_session_mount(se, mnt) != 0) {
		fuse_session_destroy(se);
		return -EIO;
	}
	/* Keep the fd, drop libfuse's session: it would close the fd. */
	fd = fcntl(fuse_session_fd(se), F_DUPFD_CLOEXEC, 3);
	fuse_session_destroy(se);
	return fd < 0 ? -errno : fd;
}

static int replay_init(struct fuse_session *se, const void *req, size_t len)
{
	unsigned char copy[LEDGER_INIT_MAX];
	struct fuse_in_header *in = (struct fuse_in_header *)copy;
	struct fuse_buf fb = { .mem = copy, .size = len };

	if (len < sizeof(*in) || len > sizeof(copy))
		return -EPROTO;
	memcpy(copy, req, len);
	if (in->opcode != FUSE_INIT)
		return -EPROTO;
	in->unique = REPLAYED_UNIQUE;
	fuse_session_process_buf(se, &fb);
	return fuse_session_exited(se) ? -EPROTO : 0;
}

int conn_adopt(struct fuse_session *se, int fd, int conn)
{
	unsigned char saved[LEDGER_INIT_MAX];
	enum ledger_init_state state;
	struct fuse_buf fb = { 0 };
	const struct fuse_in_header *in;
	char path[32];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/dev/fd/%d", fd);
	if (fuse_session_mount(se, path) != 0)
		return -EBADF;
	state = ledger_init_load(conn, saved, sizeof(saved), &len);
	if (state == LEDGER_INIT_DONE)
		return replay_init(se, saved, len);

	/* Nothing answered yet, or an INIT read by a renderer that died
	 * around its reply: the next request tells which. Until INIT is
	 * answered the kernel sends nothing else. */
	do
		r = fuse_session_receive_buf(se, &fb);
	while (r == -EINTR);
	if (r <= 0) {
		free(fb.mem);
		return r < 0 ? r : -ENOTCONN;
	}
	in = fb.mem;
	if (fb.flags & FUSE_BUF_IS_FD || fb.size < sizeof(*in)) {
		free(fb.mem);
		return -EPROTO;
	}
	if (in->opcode == FUSE_INIT) {
		r = ledger_init_save(conn, fb.mem, fb.size);
		if (r == 0) {
			fuse_session_process_buf(se, &fb);
			ledger_init_done(conn);
		}
	} else if (state == LEDGER_INIT_SAVED) {
		/* The kernel did get the dead renderer's reply. */
		r = replay_init(se, saved, len);
		if (r == 0) {
			ledger_init_done(conn);
			fuse_session_process_buf(se, &fb);
		}
	} else {
		r = -EPROTO;
	}
	free(fb.mem);
	if (r == 0 && fuse_session_exited(se))
		r = -EPROTO;
	return r;
}

int conn_resend(int fd)
{
	struct fuse_out_header out = { .len = sizeof(out), .error = FUSE_NOTIFY_RESEND,
				       .unique = 0 };

	return write(fd, &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : -errno;
}

bool conn_dead(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLNVAL));
}
