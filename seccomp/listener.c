#include "listener.h"
#include "handoff.h"
#include "log.h"
#include "procfs.h"
#include "procstate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_THREADS 16
#define MAX_PENDING 64        /* connections that have not sent yet */
#define CONN_TIMEOUT_MS 2000  /* a runtime sends right after connecting */
#define MSG_MAX (256 * 1024)  /* annotations can be long; more is not a runtime */
#define MAX_FDS 16

enum kind { K_WAKE, K_LISTEN, K_CONN, K_NOTIFY };

struct entry {
	atomic_int refs;
	enum kind kind;
	int fd;
	size_t slot;  /* index in the table; guarded by the table lock */
	bool removed; /* guarded by the table lock */
	char *id;
	pid_t init_pid;
	/* K_CONN: bytes and fds received so far */
	char *msg;
	size_t len;
	int fds[MAX_FDS];
	int nfds;
	int64_t deadline_ms;
};

struct sc_listener {
	char *path;
	dev_t dev; /* the socket file we listen on, to remove only our own */
	ino_t ino;
	sc_answer_fn fn;
	void *data;
	unsigned nthreads;
	pthread_t threads[MAX_THREADS];
	unsigned started;

	/* One epoll set shared by the threads, every fd EPOLLONESHOT: the
	 * kernel wakes one thread per event and no other thread sees that fd
	 * until it is re-armed, which happens right after the notification
	 * is received, before answering. So answers run in parallel and no
	 * lock is held while answering. */
	int epfd;
	pthread_mutex_t lock; /* the table below: for handoff, counts, free */
	struct entry **tab;
	size_t n, cap;
	/* Handed over: out of the epoll set, kept (with their fds) until
	 * free, since a thread may hold an event for them right now. */
	struct entry **retired;
	size_t nretired;
	int wake_fd;
	atomic_bool stop;
	atomic_bool handed_over;
	atomic_size_t nnotify, npending;
};

static void entry_unref(struct entry *e)
{
	if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	if (e->fd >= 0)
		close(e->fd);
	for (int i = 0; i < e->nfds; i++)
		close(e->fds[i]);
	free(e->msg);
	free(e->id);
	free(e);
}

static struct entry *entry_new(enum kind k, int fd)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	atomic_init(&e->refs, 1);
	e->kind = k;
	e->fd = fd;
	return e;
}

static int arm(struct sc_listener *l, struct entry *e, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | (e->kind == K_WAKE ? 0 : EPOLLONESHOT),
				  .data.ptr = e };

	return epoll_ctl(l->epfd, op, e->fd, &ev) < 0 ? -errno : 0;
}

/* Takes e's reference (also on failure). */
static int tab_add(struct sc_listener *l, struct entry *e)
{
	int r = 0;

	if (!e)
		return -ENOMEM;
	pthread_mutex_lock(&l->lock);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct entry **t = realloc(l->tab, cap * sizeof(*t));

		if (t) {
			l->tab = t;
			l->cap = cap;
		} else {
			r = -ENOMEM;
		}
	}
	if (r == 0) {
		e->slot = l->n;
		l->tab[l->n++] = e;
		if (e->kind == K_NOTIFY)
			atomic_fetch_add(&l->nnotify, 1);
		if (e->kind == K_CONN)
			atomic_fetch_add(&l->npending, 1);
		r = arm(l, e, EPOLL_CTL_ADD);
		if (r < 0) {
			l->tab[e->slot] = l->tab[--l->n];
			l->tab[e->slot]->slot = e->slot;
			atomic_fetch_sub(e->kind == K_NOTIFY ? &l->nnotify : &l->npending,
					 e->kind == K_NOTIFY || e->kind == K_CONN);
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (r < 0)
		entry_unref(e);
	return r;
}

/* Out of the table and the epoll set. Called with the lock held. */
static bool tab_remove_locked(struct sc_listener *l, struct entry *e)
{
	if (e->removed)
		return false;
	e->removed = true;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	l->tab[e->slot] = l->tab[--l->n];
	l->tab[e->slot]->slot = e->slot;
	if (e->kind == K_NOTIFY)
		atomic_fetch_sub(&l->nnotify, 1);
	if (e->kind == K_CONN)
		atomic_fetch_sub(&l->npending, 1);
	return true;
}

/* Only by the thread that holds e's event (EPOLLONESHOT: no other thread
 * can be looking at e), so the fd may close with the last reference. */
static void tab_del(struct sc_listener *l, struct entry *e)
{
	bool removed;

	pthread_mutex_lock(&l->lock);
	removed = tab_remove_locked(l, e);
	pthread_mutex_unlock(&l->lock);
	if (removed)
		entry_unref(e);
}

static int add_notify(struct sc_listener *l, int fd, const char *id, pid_t init_pid)
{
	struct entry *e = entry_new(K_NOTIFY, fd);

	if (!e) {
		close(fd);
		return -ENOMEM;
	}
	e->id = strdup(id ? id : "");
	e->init_pid = init_pid;
	return tab_add(l, e);
}

/* Does a live listener answer on path? */
static bool socket_live(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

/* Bind to a temporary name and rename it over path: a stale socket file
 * from a killed daemon is replaced atomically, and a runtime never finds
 * path missing. A live one is not ours to take: -EADDRINUSE. */
static int bind_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char tmp[sizeof(a.sun_path)];
	_cleanup_close_ int fd = -1;
	mode_t old;
	int r;

	if (strlen(path) + 16 >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	if (socket_live(path))
		return -EADDRINUSE;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	strcpy(a.sun_path, tmp);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(tmp);
	/* Root only: a notify fd passed here makes us write into its caller. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0)
		return -errno;
	if (listen(fd, 128) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return TAKE_FD(fd);
}

int sc_respond_continue(int notify_fd, uint64_t id)
{
	struct seccomp_notif_resp resp = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

	return ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? -errno : 0;
}

static bool peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == 0;
}

static void handoff(struct sc_listener *l, int conn)
{
	_cleanup_free_ struct sc_held_fd *held = NULL;
	_cleanup_free_ struct entry **mine = NULL;
	int listen_fd = -1;
	size_t nh = 0, nm = 0;

	fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) & ~O_NONBLOCK);
	/* Take references under the lock, send without it: a new notify fd
	 * arriving meanwhile stays ours and is answered by us. */
	pthread_mutex_lock(&l->lock);
	held = calloc(l->n + 1, sizeof(*held));
	mine = calloc(l->n + 1, sizeof(*mine));
	for (size_t i = 0; held && mine && i < l->n; i++) {
		struct entry *e = l->tab[i];

		if (e->kind != K_LISTEN && e->kind != K_NOTIFY)
			continue;
		atomic_fetch_add(&e->refs, 1);
		mine[nm++] = e;
		if (e->kind == K_LISTEN)
			listen_fd = e->fd;
		else
			held[nh++] = (struct sc_held_fd){ e->fd, e->id, e->init_pid };
	}
	pthread_mutex_unlock(&l->lock);
	if (!held || !mine)
		return;
	if (sc_handoff_send(conn, listen_fd, held, nh) < 0) {
		log_msg(LOG_WARNING, "seccomp: handing over %zu notify fds failed; keeping them", nh);
	} else {
		/* The new daemon holds them now: stop polling them; answers in
		 * flight finish (their references keep the fds open). */
		struct entry **r;

		pthread_mutex_lock(&l->lock);
		r = realloc(l->retired, (l->nretired + nm) * sizeof(*r));
		for (size_t i = 0; i < nm; i++)
			if (tab_remove_locked(l, mine[i])) {
				if (r)
					r[l->nretired++] = mine[i];
				else
					epoll_ctl(l->epfd, EPOLL_CTL_DEL, mine[i]->fd, NULL); /* leak */
			}
		if (r)
			l->retired = r;
		pthread_mutex_unlock(&l->lock);
		atomic_store(&l->handed_over, true);
		log_msg(LOG_INFO, "seccomp: handed the socket and %zu notify fds to a new daemon", nh);
	}
	for (size_t i = 0; i < nm; i++)
		entry_unref(mine[i]);
}

/* A complete message: take the notify fd, or serve a handoff request.
 * Returns true when the connection is finished with. */
static bool conn_message(struct sc_listener *l, struct entry *c)
{
	struct oci_procstate ps;
	_cleanup_free_ char *err = NULL;

	if (c->len == strlen(SC_HANDOFF_REQUEST) &&
	    memcmp(c->msg, SC_HANDOFF_REQUEST, c->len) == 0) {
		if (peer_is_root(c->fd))
			handoff(l, c->fd);
		return true;
	}
	if (oci_procstate_parse(c->msg, c->len, &ps, &err) < 0)
		return false; /* maybe not all of it yet */
	if (ps.seccomp_idx < c->nfds) {
		int fd = c->fds[ps.seccomp_idx];

		c->fds[ps.seccomp_idx] = c->fds[--c->nfds];
		if (add_notify(l, fd, ps.id, ps.init_pid) == 0)
			log_msg(LOG_DEBUG, "seccomp: container %s (init %d, pid %d): notify fd %d", ps.id,
				(int)ps.init_pid, (int)ps.pid, fd);
	} else {
		log_msg(LOG_WARNING, "seccomp: container %s: message without its seccomp fd", ps.id);
	}
	oci_procstate_free(&ps);
	return true;
}

/* Read what is there; true when the connection is done (or broken). */
static bool conn_read(struct sc_listener *l, struct entry *c)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n;

		if (!c->msg && !(c->msg = malloc(MSG_MAX)))
			return true;
		if (c->len >= MSG_MAX)
			return true;
		iov = (struct iovec){ c->msg + c->len, MSG_MAX - c->len };
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return errno != EAGAIN && errno != EINTR;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				if (c->nfds < MAX_FDS)
					c->fds[c->nfds++] = fd;
				else
					close(fd);
			}
		}
		c->len += (size_t)n;
		if (n > 0 && conn_message(l, c))
			return true;
		if (n == 0) /* EOF before a complete message */
			return true;
	}
}

static void accept_all(struct sc_listener *l, int lfd)
{
	while (atomic_load(&l->npending) < MAX_PENDING) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct entry *c;

		if (fd < 0)
			return;
		c = entry_new(K_CONN, fd);
		if (!c) {
			close(fd);
			return;
		}
		c->deadline_ms = monotonic_ms() + CONN_TIMEOUT_MS;
		/* runc has usually sent everything by now. */
		if (conn_read(l, c))
			entry_unref(c);
		else
			tab_add(l, c);
	}
}

/* Connections that never sent a message go after CONN_TIMEOUT_MS: shut
 * down, their EOF wakes the thread that then owns them to drop them. */
static void sweep_conns(struct sc_listener *l)
{
	int64_t now = monotonic_ms();

	if (!atomic_load(&l->npending))
		return;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n; i++)
		if (l->tab[i]->kind == K_CONN && now > l->tab[i]->deadline_ms) {
			shutdown(l->tab[i]->fd, SHUT_RDWR);
			l->tab[i]->deadline_ms = INT64_MAX;
		}
	pthread_mutex_unlock(&l->lock);
}

/* One event on e, which no other thread sees until re-armed. */
static void handle(struct sc_listener *l, struct entry *e, uint32_t events)
{
	struct seccomp_notif n;

	switch (e->kind) {
	case K_WAKE: /* level-triggered and never read: every thread sees stop */
		return;
	case K_LISTEN:
		accept_all(l, e->fd);
		arm(l, e, EPOLL_CTL_MOD);
		return;
	case K_CONN:
		if (conn_read(l, e))
			tab_del(l, e);
		else
			arm(l, e, EPOLL_CTL_MOD);
		return;
	case K_NOTIFY:
		if (!(events & EPOLLIN)) {
			/* POLLHUP: every task of this filter is gone. */
			log_msg(LOG_DEBUG, "seccomp: container %s: filter released", e->id);
			tab_del(l, e);
			return;
		}
		memset(&n, 0, sizeof(n));
		if (ioctl(e->fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			arm(l, e, EPOLL_CTL_MOD); /* the caller was killed meanwhile */
			return;
		}
		/* Let the next notification on this fd go to another thread
		 * while we answer this one. */
		arm(l, e, EPOLL_CTL_MOD);
		l->fn(l->data, e->fd, &(struct sc_filter_info){ e->id, e->init_pid }, &n);
		return;
	}
}

static void *thread_main(void *arg)
{
	struct sc_listener *l = arg;

	/* Cancellable only while waiting: stopping never interrupts an answer
	 * (or a lock it holds), and never depends on which waiter epoll wakes. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	while (!atomic_load(&l->stop)) {
		struct epoll_event ev;
		struct entry *e;
		int n;

		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		n = epoll_wait(l->epfd, &ev, 1, atomic_load(&l->npending) ? 250 : -1);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);

		if (n <= 0 || atomic_load(&l->stop)) {
			sweep_conns(l);
			continue;
		}
		e = ev.data.ptr;
		/* A reference for the duration: tab_del by another thread
		 * (handoff, sweep) must not close the fd under us. */
		atomic_fetch_add(&e->refs, 1);
		handle(l, e, ev.events);
		entry_unref(e);
		sweep_conns(l);
	}
	return NULL;
}

int sc_listener_new(const char *path, int listen_fd, struct sc_held_fd *held, size_t nheld,
		    sc_answer_fn fn, void *data, unsigned nthreads, struct sc_listener **out)
{
	struct sc_listener *l = calloc(1, sizeof(*l));
	int r = -ENOMEM;

	if (!l)
		goto fail;
	pthread_mutex_init(&l->lock, NULL);
	l->fn = fn;
	l->data = data;
	l->nthreads = nthreads < 1 ? 1 : nthreads > MAX_THREADS ? MAX_THREADS : nthreads;
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->path = strdup(path);
	if (l->wake_fd < 0 || l->epfd < 0 || !l->path) {
		r = -errno;
		goto fail;
	}
	/* The wake entry holds its own dup: freeing the table closes it. */
	r = tab_add(l, entry_new(K_WAKE, dup(l->wake_fd)));
	if (r < 0)
		goto fail;
	if (listen_fd < 0) {
		listen_fd = bind_socket(path);
		if (listen_fd < 0) {
			r = listen_fd;
			goto fail;
		}
	}
	r = tab_add(l, entry_new(K_LISTEN, listen_fd));
	listen_fd = -1;
	if (r < 0)
		goto fail;
	{
		struct stat st;

		if (stat(path, &st) == 0) {
			l->dev = st.st_dev;
			l->ino = st.st_ino;
		}
	}
	for (size_t i = 0; i < nheld; i++) {
		add_notify(l, held[i].fd, held[i].id, held[i].init_pid);
		held[i].fd = -1;
	}
	*out = l;
	return 0;
fail:
	if (listen_fd >= 0)
		close(listen_fd);
	for (size_t i = 0; i < nheld; i++)
		if (held[i].fd >= 0)
			close(held[i].fd);
	sc_listener_free(l);
	return r;
}

int sc_listener_start(struct sc_listener *l)
{
	for (; l->started < l->nthreads; l->started++) {
		int r = pthread_create(&l->threads[l->started], NULL, thread_main, l);

		if (r)
			return l->started ? 0 : -r;
	}
	return 0;
}

void sc_listener_free(struct sc_listener *l)
{
	uint64_t one = 1;

	if (!l)
		return;
	if (l->epfd <= 0) /* failed before the epoll set existed */
		l->epfd = -1;
	atomic_store(&l->stop, true);
	if (l->wake_fd >= 0)
		(void)!write(l->wake_fd, &one, sizeof(one));
	for (unsigned i = 0; i < l->started; i++)
		pthread_cancel(l->threads[i]);
	for (unsigned i = 0; i < l->started; i++)
		pthread_join(l->threads[i], NULL);
	/* Every thread has stopped: no event is held anywhere. */
	while (l->n)
		tab_del(l, l->tab[l->n - 1]);
	for (size_t i = 0; i < l->nretired; i++)
		entry_unref(l->retired[i]);
	free(l->retired);
	if (l->path && l->ino && !atomic_load(&l->handed_over)) {
		struct stat st;

		/* Only the file we bound: a newer daemon may own path now. */
		if (stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
			unlink(l->path);
	}
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->tab);
	free(l->path);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

size_t sc_listener_count(struct sc_listener *l)
{
	return atomic_load(&l->nnotify);
}

bool sc_listener_handed_over(struct sc_listener *l)
{
	return atomic_load(&l->handed_over);
}
