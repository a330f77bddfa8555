#include "mountpoint.h"
#include "util.h"

#include <errno.h>
#include <libmount.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

bool mountpoint_is_procview(const char *target)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs;
	bool yes = false;

	if (!tb)
		return false;
	if (mnt_table_parse_file(tb, "/proc/self/mountinfo") == 0) {
		/* Backward: the topmost mount on the path wins. */
		fs = mnt_table_find_target(tb, target, MNT_ITER_BACKWARD);
		yes = fs && mnt_fs_get_fstype(fs) &&
		      strcmp(mnt_fs_get_fstype(fs), "fuse.procviewd") == 0;
	}
	mnt_unref_table(tb);
	return yes;
}

int mountpoint_answers(const char *mnt, int timeout_ms)
{
	char path[4096];
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	pid_t pid;
	int status = 0;

	if (!mountpoint_is_procview(mnt))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/proc/meminfo", mnt);
	/* A hung FUSE server blocks stat in the kernel uninterruptibly for the
	 * caller; a child takes that risk instead of us. */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct stat st;
		struct statfs sfs;

		if (statfs(mnt, &sfs) < 0)
			_exit(errno == ENOTCONN ? 3 : 2);
		if ((unsigned long)sfs.f_type != FUSE_SUPER_MAGIC_PV)
			_exit(4);
		if (stat(path, &st) < 0)
			_exit(errno == ENOTCONN ? 3 : 2);
		_exit(0);
	}
	/* Wait on a pidfd: the verdict arrives the moment the child exits,
	 * not at the next tick of a sleep loop (this is on the hook's path). */
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd >= 0) {
		(void)poll(&pfd, 1, timeout_ms);
		close(pfd.fd);
	} else {
		for (int waited = 0; waited < timeout_ms && waitpid(pid, &status, WNOHANG) == 0; waited++) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	if (waitpid(pid, &status, WNOHANG) == pid) {
		if (!WIFEXITED(status))
			return -EIO;
		switch (WEXITSTATUS(status)) {
		case 0:
			return 0;
		case 3:
			return -ENOTCONN;
		case 4:
			return -ENOENT;
		default:
			return -EIO;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

int mountpoint_clear_stale(const char *mnt)
{
	char sub[4096];
	int r = 0;

	snprintf(sub, sizeof(sub), "%s/containers", mnt);
	/* Detach the submount first; a lazy detach of the parent would take
	 * it along anyway, this just keeps mountinfo tidy. */
	(void)umount2(sub, MNT_DETACH);
	while (mountpoint_is_procview(mnt)) {
		if (umount2(mnt, MNT_DETACH) < 0) {
			r = -errno;
			break;
		}
	}
	return r;
}
