#include "mountpoint.h"
#include "mountinfo.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

void path_clean(char *p)
{
	char *w = p;
	const char *r = p;

	/* Component by component; w always ends without a slash except at "/". */
	*w++ = '/';
	while (*r) {
		size_t n;

		r += strspn(r, "/");
		n = strcspn(r, "/");
		if (n == 0)
			break;
		if (n == 1 && r[0] == '.') {
			/* "." is a no-op */
		} else if (n == 2 && r[0] == '.' && r[1] == '.') {
			/* ".." drops the last component; at "/" it stays there */
			while (w > p + 1 && w[-1] != '/')
				w--;
			if (w > p + 1)
				w--;
		} else {
			if (w > p + 1)
				*w++ = '/';
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
}

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return true;
	return false;
}

char *mountpoint_normalized(const char *p)
{
	char *c;

	if (!p || p[0] != '/' || has_dotdot(p) || strlen(p) >= MOUNTPOINT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = strdup(p);
	if (c)
		path_clean(c);
	return c;
}

bool mountpoint_same(const char *a, const char *b)
{
	_cleanup_free_ char *na = mountpoint_normalized(a), *nb = mountpoint_normalized(b);

	return na && nb && strcmp(na, nb) == 0;
}

bool mountpoint_is_procview(const char *target)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *t = mountpoint_normalized(target);
	char fstype[64];

	if (!t)
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	return f && mountinfo_fstype(f, t, -1, fstype, sizeof(fstype)) == 0 &&
	       strcmp(fstype, "fuse.procviewd") == 0;
}

/* One probe, shared by the caller and the thread that runs it: whoever
 * lets go last frees it, since a thread stuck on a hung mount may never. */
struct probe {
	atomic_int refs;
	int efd;
	int result;
	bool need_sub;
	char mnt[MOUNTPOINT_MAX];
	char file[MOUNTPOINT_MAX + 16];
	char sub[MOUNTPOINT_MAX + 16];
};

/* Probe threads that have not come back yet. */
static atomic_int probes_out;

static void probe_put(struct probe *p)
{
	if (atomic_fetch_sub(&p->refs, 1) == 1) {
		close(p->efd);
		free(p);
	}
}

/* A failed probe's errno: dead (-ENOTCONN) or not answering (-EIO). A
 * request in flight when the last /dev/fuse fd closed ends with
 * ECONNABORTED: that connection is as dead as one refused outright. */
static int probe_err(int e)
{
	return e == ENOTCONN || e == ECONNABORTED ? -ENOTCONN : -EIO;
}

static void *probe_thread(void *arg)
{
	struct probe *p = arg;
	struct statfs sfs;
	struct stat st;
	uint64_t one = 1;

	if (statfs(p->mnt, &sfs) < 0)
		p->result = probe_err(errno);
	else if ((unsigned long)sfs.f_type != FUSE_SUPER_MAGIC_PV)
		p->result = -ENOENT;
	else if (stat(p->file, &st) < 0)
		p->result = probe_err(errno);
	else if (!p->need_sub)
		p->result = 0;
	else {
		/* The per-container tree is mounted on containers/ only after
		 * the reader tree answers: until then containers/ is the
		 * reader tree's own empty directory, on the same device. */
		struct stat top, sub;

		if (stat(p->mnt, &top) < 0 || stat(p->sub, &sub) < 0)
			p->result = probe_err(errno);
		else
			p->result = sub.st_dev == top.st_dev ? -EAGAIN : 0;
	}
	(void)!write(p->efd, &one, sizeof(one));
	atomic_fetch_sub(&probes_out, 1);
	probe_put(p);
	return NULL;
}

static int probe_mount(const char *mnt, int timeout_ms, bool need_sub)
{
	struct probe *p;
	struct pollfd pfd;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!mountpoint_is_procview(mnt))
		return -ENOENT;
	if (timeout_ms <= 0)
		return -ETIMEDOUT;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->mnt, sizeof(p->mnt), "%s", mnt);
	snprintf(p->file, sizeof(p->file), "%s/proc/meminfo", mnt);
	snprintf(p->sub, sizeof(p->sub), "%s/containers", mnt);
	p->need_sub = need_sub;
	p->efd = eventfd(0, EFD_CLOEXEC);
	if (p->efd < 0) {
		r = -errno;
		free(p);
		return r;
	}
	atomic_init(&p->refs, 2);
	atomic_fetch_add(&probes_out, 1);
	/* A hung FUSE server blocks stat uninterruptibly. A thread takes that
	 * risk instead of us; no fork (milliseconds on the hook's path), and
	 * a thread stuck there dies with the process (exit_group kills it). */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	r = -pthread_create(&t, &attr, probe_thread, p);
	pthread_attr_destroy(&attr);
	if (r < 0) {
		atomic_fetch_sub(&probes_out, 1);
		close(p->efd);
		free(p);
		return r;
	}
	pfd = (struct pollfd){ .fd = p->efd, .events = POLLIN };
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	r = r > 0 ? p->result : -ETIMEDOUT;
	probe_put(p);
	return r;
}

int mountpoint_answers(const char *mnt, int timeout_ms)
{
	return probe_mount(mnt, timeout_ms, false);
}

int mountpoint_ready(const char *mnt, int timeout_ms)
{
	return probe_mount(mnt, timeout_ms, true);
}

void mountpoint_exit(int code)
{
	if (atomic_load(&probes_out) == 0)
		exit(code);
	fflush(NULL);
	_exit(code);
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
