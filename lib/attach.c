#include "attach.h"
#include "mountinfo.h"
#include "util.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

/* The new mount API and openat2, through syscall(2): older glibc lacks
 * wrappers, and its constants and structs are defined here if missing. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_IN_ROOT 0x10
#endif

#define PROC_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define FUSE_MAGIC 0x65735546

struct pv_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
struct pv_open_how {
	uint64_t flags, mode, resolve;
};

const char *const attach_files[] = {
	"proc/meminfo",
	"proc/cpuinfo",
	"proc/stat",
	"proc/uptime",
	"proc/loadavg",
	"proc/diskstats",
	"proc/swaps",
	"proc/pressure/cpu",
	"proc/pressure/memory",
	"proc/pressure/io",
	"sys/devices/system/cpu/online",
	"sys/devices/system/cpu/present",
	"sys/devices/system/cpu/possible",
};
const size_t attach_n_files = ARRAY_SIZE(attach_files);

int attach_src_dir(const char *mountpoint, pid_t pid, uint64_t starttime, char *buf,
		   size_t size)
{
	int n = snprintf(buf, size, "%s/containers/%d-%llu", mountpoint, (int)pid,
			 (unsigned long long)starttime);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int sys_ret(long r)
{
	return r < 0 ? -errno : (int)r;
}

/* Resolve rel beneath rootfd, following no symlink at all. openat2 where
 * the kernel has it, else one component at a time with O_NOFOLLOW. */
static int open_beneath(int rootfd, const char *rel)
{
	struct pv_open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char comp[256];
	int fd, cur;

	fd = sys_ret(syscall(SYS_openat2, rootfd, rel, &how, sizeof(how)));
	if (fd != -ENOSYS)
		return fd;
	cur = -1;
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");
		struct stat st;
		int next;

		if (n == 0 || n >= sizeof(comp) || (n <= 2 && strncmp(p, "..", n) == 0)) {
			fd = -EINVAL; /* our own constant names never have these */
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(cur < 0 ? rootfd : cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			fd = -errno;
			goto out;
		}
		if (cur >= 0)
			close(cur);
		cur = next;
		if (fstat(cur, &st) < 0 || S_ISLNK(st.st_mode)) {
			fd = -ELOOP;
			goto out;
		}
		p += n;
		p += strspn(p, "/");
	}
	return cur;
out:
	if (cur >= 0)
		close(cur);
	return fd;
}

/* fstype of the mount fd is on, from the current namespace's mountinfo
 * (read through the caller's own procfs: the container's /proc may not
 * show us at all). */
static bool is_procview_mount(int procfd, int fd)
{
	_cleanup_fclose_ FILE *f = NULL;
	char name[64], line[256], fstype[64];
	int mnt_id = -1, mfd;

	snprintf(name, sizeof(name), "thread-self/fdinfo/%d", fd);
	mfd = openat(procfd, name, O_RDONLY | O_CLOEXEC);
	if (mfd < 0 || !(f = fdopen(mfd, "re"))) {
		if (mfd >= 0)
			close(mfd);
		return false;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %d", &mnt_id) == 1)
			break;
	fclose(steal_pointer(&f));
	if (mnt_id < 0)
		return false;
	mfd = openat(procfd, "thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mfd < 0 || !(f = fdopen(mfd, "re"))) {
		if (mfd >= 0)
			close(mfd);
		return false;
	}
	return mountinfo_fstype(f, NULL, mnt_id, fstype, sizeof(fstype)) == 0 &&
	       strcmp(fstype, "fuse.procviewd") == 0;
}

/* What open_target found on the target. */
enum { TGT_PLAIN, TGT_PV_LIVE, TGT_PV_DEAD };

/* The target file, checked: a regular file on procfs or sysfs, or with
 * ATTACH_ALLOW_FUSE a procview mount on one (*kind says which), which the
 * caller replaces. peel_dead: unmount dead procview layers first (the
 * fallback where MOVE_MOUNT_BENEATH is missing). */
static int open_target(int rootfd, const char *rel, unsigned flags, int procfd,
		       bool peel_dead, int *kind)
{
	*kind = TGT_PLAIN;
	for (int tries = 0; tries < 8; tries++) {
		_cleanup_close_ int fd = open_beneath(rootfd, rel);
		struct statfs sfs;
		struct stat st;
		char name[16];
		long type;

		if (fd < 0)
			return fd;
		bool dead = false;

		/* fstatfs first: on a FUSE mount whose daemon died, fstat fails
		 * with ENOTCONN too, and that is the mount a re-attach replaces. */
		if (fstatfs(fd, &sfs) == 0)
			type = (long)sfs.f_type;
		else if (errno == ENOTCONN)
			type = FUSE_MAGIC, dead = true;
		else
			return -errno;
		if (type != FUSE_MAGIC) {
			if (fstat(fd, &st) < 0)
				return -errno;
			/* O_PATH|O_NOFOLLOW hands back a trailing symlink itself. */
			if (S_ISLNK(st.st_mode))
				return -ELOOP;
			if ((type == PROC_MAGIC || type == SYSFS_MAGIC) && S_ISREG(st.st_mode))
				return TAKE_FD(fd);
		}
		if (type != FUSE_MAGIC || !(flags & ATTACH_ALLOW_FUSE) ||
		    !is_procview_mount(procfd, fd))
			return -EXDEV;
		if (!dead || !peel_dead) {
			*kind = dead ? TGT_PV_DEAD : TGT_PV_LIVE;
			return TAKE_FD(fd);
		}
		/* cwd is our own fd directory (see attach_views). */
		snprintf(name, sizeof(name), "%d", fd);
		if (umount2(name, MNT_DETACH) < 0)
			return -errno;
	}
	return -ELOOP;
}

static int move_onto(int clone, int tfd, unsigned extra)
{
	return sys_ret(syscall(SYS_move_mount, clone, "", tfd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | extra));
}

/* The clone and the layer at tfd are the same file of the same mount. */
static bool same_source(int clone, int tfd)
{
	struct stat a, b;

	return fstat(clone, &a) == 0 && fstat(tfd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Replace the procview layer at tfd rather than stack on it: the clone
 * goes beneath it (Linux 6.5+), then the old layer is detached, so one
 * layer per file stays however often a container is healed, and readers
 * never see a gap. Older kernels: a dead layer is peeled first and the
 * clone mounted in its place; a live one (a replace) is covered. */
static int replace_layer(int rootfd, const char *rel, unsigned flags, int procfd, int clone,
			 int tfd, int kind)
{
	_cleanup_close_ int again = -1;
	char name[16];
	int r = move_onto(clone, tfd, MOVE_MOUNT_BENEATH);

	if (r == 0) {
		snprintf(name, sizeof(name), "%d", tfd);
		(void)umount2(name, MNT_DETACH); /* cwd: our fd directory */
		return 0;
	}
	if (r != -EINVAL)
		return r;
	/* Without MOVE_MOUNT_BENEATH (before 6.5: Debian 12, Ubuntu 22.04,
	 * RHEL 9) a live layer can only be covered. When it already shows
	 * this very file (a heal with the daemon that attached it), covering
	 * would only stack: every heal added a layer, and past eight a
	 * crash's dead layers could no longer be peeled. Leave it. */
	if (kind == TGT_PV_LIVE && same_source(clone, tfd))
		return 0;
	if (kind == TGT_PV_LIVE)
		return move_onto(clone, tfd, 0);
	again = open_target(rootfd, rel, flags, procfd, true, &kind);
	if (again < 0)
		return again;
	return move_onto(clone, again, 0);
}

static int clone_source(const char *path, int *out)
{
	/* Private: a clone of a shared mount (systemd makes every mount
	 * shared) joins its peer group, and a mount made later on one layer
	 * would propagate onto the others and onto the daemon's own tree. */
	struct pv_mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOEXEC,
		.propagation = MS_PRIVATE,
	};
	_cleanup_close_ int fd = -1;
	int r;

	fd = sys_ret(syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
	if (fd < 0)
		return fd;
	/* Only on the detached clone: once moved, this would hit the mount
	 * underneath and fail with EINVAL. */
	r = sys_ret(syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)));
	if (r < 0)
		return r;
	*out = TAKE_FD(fd);
	return 0;
}

/* mount(2) fallback, run inside the container's namespace with cwd at our
 * own /proc/thread-self/fd, so "N" names fd N whatever the container's /proc. */
static int bind_legacy(int rootfd, const char *src, const char *rel, int tfd)
{
	_cleanup_close_ int sfd = -1, top = -1;
	char sname[16], tname[16];

	/* The source must be visible in this namespace for a bind. */
	sfd = open(src, O_PATH | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT ? -ENOTSUP : -errno;
	snprintf(sname, sizeof(sname), "%d", sfd);
	snprintf(tname, sizeof(tname), "%d", tfd);
	if (mount(sname, tname, NULL, MS_BIND, NULL) < 0)
		return errno == EINVAL ? -ENOTSUP : -errno;
	/* The remount must reach the new mount, which the old fd is below. */
	top = open_beneath(rootfd, rel);
	if (top < 0)
		return top;
	snprintf(tname, sizeof(tname), "%d", top);
	if (mount(NULL, tname, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		int r = -errno;

		(void)umount2(tname, MNT_DETACH);
		return r;
	}
	return 0;
}

static bool same_file(int procfd, const char *path, const struct stat *st)
{
	struct stat o;

	return fstatat(procfd, path, &o, 0) == 0 && o.st_dev == st->st_dev &&
	       o.st_ino == st->st_ino;
}

static bool rel_ok(const char *rel)
{
	return rel && rel[0] && rel[0] != '/' && !strstr(rel, "..") &&
	       strlen(rel) < 200;
}

int attach_views(pid_t pid, const char *rootfs_in_ns, const char *src_dir,
		 const char *const *files, size_t n, unsigned flags, struct attach_result *res)
{
	_cleanup_close_ int procfd = -1, pidfd = -1, nsfd = -1, selfns = -1, fddir = -1,
			    cwdfd = -1, rootfd = -1;
	int clones[ATTACH_MAX_FILES];
	char path[4096];
	struct stat nst;
	bool legacy = flags & ATTACH_LEGACY;
	int r = 0;

	*res = (struct attach_result){ 0 };
	if (pid <= 0 || !rootfs_in_ns || rootfs_in_ns[0] != '/' || !src_dir ||
	    src_dir[0] != '/' || n > ATTACH_MAX_FILES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!rel_ok(files[i]))
			return -EINVAL;
		clones[i] = -1;
		res->err[i] = -ECANCELED;
	}

	/* 1. Sources, cloned and sealed while still in our own namespace. */
	for (size_t i = 0; i < n && !legacy; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", src_dir, files[i]) >= (int)sizeof(path)) {
			res->err[i] = -ENAMETOOLONG;
			continue;
		}
		res->err[i] = clone_source(path, &clones[i]);
		if (res->err[i] == 0)
			res->n_sources++;
		if (res->err[i] == -ENOSYS) {
			legacy = true;
			for (size_t j = 0; j <= i; j++)
				if (clones[j] >= 0) {
					close(clones[j]);
					clones[j] = -1;
				}
		}
	}
	res->legacy = legacy;
	/* The fallback binds by path from inside; tell a source we do not
	 * have (-ENOENT, skipped) from one the container cannot see (-ENOTSUP). */
	for (size_t i = 0; i < n && legacy; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", src_dir, files[i]);
		res->err[i] = stat(path, &st) < 0 ? -errno : -ECANCELED;
		if (res->err[i] == -ECANCELED)
			res->n_sources++;
	}

	/* 2. The namespace: pinned by a pidfd so a reused pid cannot slip in
	 * between the check and the setns. */
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		r = -errno;
		goto out;
	}
	pidfd = sys_ret(syscall(SYS_pidfd_open, pid, 0));
	if (pidfd < 0 && pidfd != -ENOSYS) {
		r = pidfd;
		goto out;
	}
	snprintf(path, sizeof(path), "%d/ns/mnt", (int)pid);
	nsfd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		r = errno == ENOENT ? -ESRCH : -errno;
		goto out;
	}
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		r = -ESRCH;
		goto out;
	}
	if (fstat(nsfd, &nst) < 0) {
		r = -errno;
		goto out;
	}
	if (same_file(procfd, "thread-self/ns/mnt", &nst) || same_file(procfd, "1/ns/mnt", &nst)) {
		r = -EPERM;
		goto out;
	}
	selfns = openat(procfd, "thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	fddir = openat(procfd, "thread-self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (selfns < 0 || fddir < 0) {
		r = -errno;
		goto out;
	}
	cwdfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC); /* may fail: cwd deleted */

	/* setns on the namespace fd just checked, not on the pidfd: what was
	 * checked is what is entered. */
	if (setns(nsfd, CLONE_NEWNS) < 0) {
		r = -errno;
		goto out;
	}

	/* 3. Inside. */
	if (fchdir(fddir) < 0) {
		r = -errno;
		goto back;
	}
	rootfd = open(rootfs_in_ns, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = -errno;
		goto back;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int tfd = -1;
		int kind;

		if (legacy ? res->err[i] != -ECANCELED : clones[i] < 0)
			continue; /* res->err[i] says why */
		tfd = open_target(rootfd, files[i], flags, procfd, legacy, &kind);
		if (tfd < 0) {
			res->err[i] = tfd;
			continue;
		}
		if (legacy) {
			snprintf(path, sizeof(path), "%s/%s", src_dir, files[i]);
			res->err[i] = bind_legacy(rootfd, path, files[i], tfd);
		} else if (kind != TGT_PLAIN) {
			res->err[i] = replace_layer(rootfd, files[i], flags, procfd, clones[i], tfd,
						    kind);
		} else {
			res->err[i] = move_onto(clones[i], tfd, 0);
		}
		if (res->err[i] == 0)
			res->n_attached++;
	}

back:
	/* 4. Home again. */
	if (setns(selfns, CLONE_NEWNS) < 0) {
		r = -ENOTRECOVERABLE;
		goto out;
	}
	if (cwdfd >= 0)
		(void)!fchdir(cwdfd);
	else
		(void)!chdir("/");
out:
	for (size_t i = 0; i < n; i++)
		if (clones[i] >= 0)
			close(clones[i]);
	return r;
}
