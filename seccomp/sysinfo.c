/* One sysinfo notification: find the caller's container, compute the
 * struct from the model, check the notification is still live, write
 * the struct into the caller and let its syscall return 0. Anything we
 * cannot answer continues to the kernel: the caller sees the host's
 * numbers, never an error of ours. */
#include "sysinfo.h"
#include "log.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <linux/audit.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <time.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_ARCH 0 /* unknown: answer nothing */
#endif

static int64_t current_tick(unsigned staleness_ms)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000) /
	       (int64_t)(staleness_ms ? staleness_ms : 1);
}

void sc_sysinfo_init(struct sc_sysinfo *s, const struct view_ctx *ctx, struct resolver *r,
		     unsigned staleness_ms)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->resolver = r;
	s->staleness_ms = staleness_ms;
	for (size_t i = 0; i < ARRAY_SIZE(s->cache); i++)
		pthread_mutex_init(&s->cache[i].lock, NULL);
}

void sc_sysinfo_fini(struct sc_sysinfo *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->cache); i++) {
		container_unref(s->cache[i].c);
		s->cache[i].c = NULL;
		pthread_mutex_destroy(&s->cache[i].lock);
	}
}

/* The caller's container, from the cache when this pid asked in the
 * same staleness tick (the same freshness the files promise). */
static struct container *caller_container(struct sc_sysinfo *s, pid_t pid, int64_t tick)
{
	struct sc_pid_cache *e = &s->cache[(unsigned)pid % ARRAY_SIZE(s->cache)];
	struct container *c = NULL, *old = NULL;

	pthread_mutex_lock(&e->lock);
	if (e->pid == pid && e->tick == tick && e->c)
		c = container_ref(e->c);
	pthread_mutex_unlock(&e->lock);
	if (c)
		return c;
	c = resolve_reader(s->resolver, pid);
	if (!c)
		return NULL;
	pthread_mutex_lock(&e->lock);
	old = e->c;
	e->c = container_ref(c);
	e->pid = pid;
	e->tick = tick;
	pthread_mutex_unlock(&e->lock);
	container_unref(old);
	return c;
}

int sc_sysinfo_compute(struct sc_sysinfo *s, const struct seccomp_notif *n, struct sysinfo *si)
{
	struct container *c;
	struct sysinfo host;
	int64_t tick = current_tick(s->staleness_ms);
	int r;

	/* A 32-bit caller has another struct layout: the kernel answers. */
	if (!NATIVE_ARCH || n->data.arch != NATIVE_ARCH || n->data.nr != SYS_sysinfo)
		return -ENOSYS;
	/* Reads /proc/<pid>/cgroup and ns/pid: about the caller only if the
	 * notification is still live afterwards (sc_deliver checks, before
	 * the write, so a recycled pid never gets our bytes). */
	c = caller_container(s, (pid_t)n->pid, tick);
	if (!c || view_sysinfo_is_host(s->ctx, c)) {
		container_unref(c);
		return -ECANCELED;
	}
	r = sysinfo(&host) < 0 ? -errno : view_sysinfo(s->ctx, c, &host, tick, si);
	container_unref(c);
	return r;
}

int sc_deliver(int fd, const struct seccomp_notif *n, const struct sysinfo *si)
{
	struct sysinfo copy = *si;
	struct iovec local = { &copy, sizeof(copy) };
	struct iovec remote = { (void *)(uintptr_t)n->data.args[0], sizeof(copy) };
	struct seccomp_notif_resp resp = { .id = n->id };

	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) < 0)
		return -ENOENT;
	if (process_vm_writev((pid_t)n->pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(copy))
		return -EFAULT; /* a bad pointer: the kernel gives the caller EFAULT */
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
		return errno == ENOENT ? -ENOENT : 0;
	return 0;
}

/* 0: answered; < 0: continue to the kernel; -ENOENT: the caller is gone. */
static int answer(struct sc_sysinfo *s, int fd, const struct seccomp_notif *n)
{
	struct sysinfo si;
	int r = sc_sysinfo_compute(s, n, &si);

	return r < 0 ? r : sc_deliver(fd, n, &si);
}

void sc_sysinfo_answer(void *data, int fd, const struct sc_filter_info *f,
		       const struct seccomp_notif *n)
{
	struct sc_sysinfo *s = data;
	int r = answer(s, fd, n);

	if (r == 0) {
		atomic_fetch_add(&s->answered, 1);
		return;
	}
	if (r == -ENOENT || sc_respond_continue(fd, n->id) == -ENOENT) {
		atomic_fetch_add(&s->gone, 1);
		return;
	}
	atomic_fetch_add(&s->continued, 1);
	if (r != -ECANCELED && r != -ENOSYS)
		log_msg(LOG_DEBUG, "seccomp: container %s pid %u: sysinfo left to the kernel: %s",
			f->id, n->pid, strerror(-r));
}

void sc_sysinfo_serve(struct sc_sysinfo *s, int chan)
{
	for (;;) {
		struct sc_relay_req req;
		struct sc_relay_resp resp;
		ssize_t n = recv(chan, &req, sizeof(req), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the holder is gone, or gave us up */
		if (n != sizeof(req))
			continue;
		memset(&resp, 0, sizeof(resp));
		resp.seq = req.seq;
		resp.verdict = sc_sysinfo_compute(s, &req.n, &resp.si);
		atomic_fetch_add(resp.verdict == 0 ? &s->answered : &s->continued, 1);
		if (send(chan, &resp, sizeof(resp), MSG_NOSIGNAL) < 0 && errno != EINTR)
			return;
	}
}
