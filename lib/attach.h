/* Attach procview's files over a container's /proc and /sys files, inside
 * the container's mount namespace. Used by procview-hook at createRuntime
 * and by procviewd to re-attach running containers after a restart.
 *
 * For each file F (relative, e.g. "proc/meminfo"):
 *   1. in the caller's namespace, clone src_dir/F with open_tree(OPEN_TREE_CLONE)
 *      and make the clone read-only, nosuid, nodev, noexec (mount_setattr
 *      works on the detached clone only);
 *   2. enter the container's mount namespace (refused if it is the caller's
 *      own or pid 1's: a host pid must never get host files covered);
 *   3. open rootfs_in_ns there and resolve F beneath it with openat2
 *      RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
 *      the target must be a regular file on procfs or sysfs (or, with
 *      ATTACH_ALLOW_FUSE, a procview mount, which is replaced);
 *   4. move_mount the clone onto the target fd; go back to the caller's
 *      namespace.
 * Nothing is resolved by string inside the container's rootfs.
 *
 * Without the new mount API (ENOSYS, kernels before 5.12) a mount(2) bind
 * is used instead. It can only bind a source that the container's namespace
 * itself can see, i.e. before pivot_root and only if the daemon was mounted
 * before the container's namespace was made.
 *
 * Threads: setns(CLONE_NEWNS) fails with EINVAL while the caller shares its
 * fs_struct (root, cwd) with other threads. A multithreaded caller (the
 * daemon) must call this from a dedicated thread that did unshare(CLONE_FS)
 * first. Paths are absolute or fd-relative, so the cwd does not matter; it
 * is restored on return (setns resets it). If going back to the caller's
 * namespace fails, -ENOTRECOVERABLE is returned and the calling thread is
 * left inside the container's namespace: it must exit. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ATTACH_MAX_FILES 32

/* Re-attach: a target that is already a fuse.procviewd mount is accepted.
 * A dead one (daemon crashed) is unmounted and the file underneath is used;
 * a live one (live replace) is covered, make-before-break. */
#define ATTACH_ALLOW_FUSE (1u << 0)
/* Use the mount(2) fallback even where the new mount API exists (tests). */
#define ATTACH_LEGACY (1u << 1)

struct attach_result {
	size_t n_attached;
	size_t n_sources; /* sources found; 0 of n means the daemon serves nothing */
	bool legacy; /* the mount(2) fallback was used */
	/* Per file: 0 attached; -ENOENT source or target missing; -ELOOP a
	 * symlink on the way; -EXDEV target not on procfs/sysfs; -ENOTSUP
	 * fallback impossible; other negative errno from the mount calls. */
	int err[ATTACH_MAX_FILES];
};

/* Files procview serves per container, relative to the rootfs and to the
 * container's directory under MOUNTPOINT/containers. */
extern const char *const attach_files[];
extern const size_t attach_n_files;

/* MOUNTPOINT/containers/<pid>-<starttime>. Returns 0 or -ENAMETOOLONG. */
int attach_src_dir(const char *mountpoint, pid_t pid, uint64_t starttime, char *buf,
		   size_t size);

/* Returns 0 when the namespace was entered and left again (per-file outcome
 * in res->err, count in res->n_attached), else negative errno:
 * -EPERM the namespace is the caller's or pid 1's; -ESRCH no such pid;
 * -EINVAL bad arguments, or fs_struct shared (see above); -ENOTRECOVERABLE. */
int attach_views(pid_t pid, const char *rootfs_in_ns, const char *src_dir,
		 const char *const *files, size_t n, unsigned flags, struct attach_result *res);
