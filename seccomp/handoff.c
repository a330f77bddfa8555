#include "handoff.h"
#include "json.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#define CHUNK 64 /* fds per frame, well under SCM_MAX_FD */
#define FRAME_MAX (1u << 20)
#define TIMEOUT_S 5

void sc_held_free(struct sc_held_fd *held, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (held[i].fd >= 0)
			close(held[i].fd);
		free(held[i].id);
	}
	free(held);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { TIMEOUT_S, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One frame: the length, then the payload; fds attached to the first byte. */
static int send_frame(int fd, const char *payload, const int *fds, size_t nfds)
{
	uint32_t len = (uint32_t)strlen(payload);
	char cbuf[CMSG_SPACE(sizeof(int) * CHUNK)] = { 0 };
	struct iovec iov = { &len, sizeof(len) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(len))
		return n < 0 ? -errno : -EPIPE;
	return send_all(fd, payload, len);
}

/* A JSON string for an id: container ids are [A-Za-z0-9_.-]; anything else
 * is dropped rather than escaped. */
static void put_id(char *dst, size_t size, const char *id)
{
	size_t k = 0;

	for (; id && *id && k + 1 < size; id++)
		if ((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
		    (*id >= '0' && *id <= '9') || *id == '-' || *id == '_' || *id == '.')
			dst[k++] = *id;
	dst[k] = '\0';
}

static int recv_exact(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sc_handoff_send(int conn, int listen_fd, const struct sc_held_fd *held, size_t nheld)
{
	int r;

	set_timeouts(conn);
	{
		/* Frame 0: the listening socket. */
		char hdr[64];

		snprintf(hdr, sizeof(hdr), "{\"listen\":true,\"total\":%zu}", nheld);
		r = send_frame(conn, hdr, &listen_fd, listen_fd >= 0 ? 1 : 0);
		if (r < 0)
			return r;
	}
	for (size_t off = 0; off < nheld; off += CHUNK) {
		size_t n = MIN((size_t)CHUNK, nheld - off);
		_cleanup_free_ char *json = malloc(n * 160 + 32);
		int fds[CHUNK];
		size_t k = 0;

		if (!json)
			return -ENOMEM;
		k += (size_t)sprintf(json, "{\"filters\":[");
		for (size_t i = 0; i < n; i++) {
			char id[128];

			put_id(id, sizeof(id), held[off + i].id);
			fds[i] = held[off + i].fd;
			k += (size_t)sprintf(json + k, "%s{\"id\":\"%s\",\"init\":%d}", i ? "," : "", id,
					     (int)held[off + i].init_pid);
		}
		strcpy(json + k, "]}");
		r = send_frame(conn, json, fds, n);
		if (r < 0)
			return r;
	}
	r = send_frame(conn, "{\"done\":true}", NULL, 0);
	if (r == 0) {
		/* Keep our copies until the new side has its own. */
		char ack[2];

		r = recv_exact(conn, ack, sizeof(ack));
		if (r == 0 && memcmp(ack, "ok", 2) != 0)
			r = -EPROTO;
	}
	return r;
}

/* One frame; its fds appended to fds[*nfds..cap). */
static int recv_frame(int fd, yajl_val *out, int *fds, size_t *nfds, size_t cap)
{
	uint32_t len;
	char cbuf[CMSG_SPACE(sizeof(int) * CHUNK)];
	struct iovec iov = { &len, sizeof(len) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	_cleanup_free_ char *payload = NULL;
	ssize_t n;
	int r;

	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n > 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (*nfds < cap)
				fds[(*nfds)++] = f;
			else
				close(f);
		}
	}
	if (n != (ssize_t)sizeof(len))
		return n < 0 ? -errno : -EPIPE;
	if (len == 0 || len > FRAME_MAX || !(payload = malloc(len)))
		return -EPROTO;
	r = recv_exact(fd, payload, len);
	if (r < 0)
		return r;
	return json_parse_n(payload, len, NULL, 0, out) < 0 ? -EPROTO : 0;
}

int sc_handoff_request(const char *path, int *listen_fd, struct sc_held_fd **held,
		       size_t *nheld)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct sc_held_fd *h = NULL;
	size_t nh = 0, total = 0;
	int lfd = -1, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_timeouts(fd);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	r = send_all(fd, SC_HANDOFF_REQUEST, strlen(SC_HANDOFF_REQUEST));
	for (bool first = true; r == 0; first = false) {
		_cleanup_yajl_ yajl_val v = NULL;
		int fds[CHUNK];
		size_t nfds = 0;
		yajl_val arr;

		r = recv_frame(fd, &v, fds, &nfds, CHUNK);
		if (r < 0)
			break;
		if (first) {
			yajl_val t = oci_json_get(v, "total");

			r = -EPROTO;
			if (!YAJL_IS_INTEGER(t) || YAJL_GET_INTEGER(t) < 0 || nfds != 1 ||
			    YAJL_GET_INTEGER(t) > INT_MAX)
				break;
			total = (size_t)YAJL_GET_INTEGER(t);
			lfd = fds[0];
			nfds = 0;
			h = calloc(total + 1, sizeof(*h));
			r = h ? 0 : -ENOMEM;
			continue;
		}
		if (YAJL_IS_TRUE(oci_json_get(v, "done"))) {
			r = nh == total ? 1 : -EPROTO;
			break;
		}
		arr = oci_json_get(v, "filters");
		r = -EPROTO;
		if (!YAJL_IS_ARRAY(arr) || arr->u.array.len != nfds || nh + nfds > total) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			break;
		}
		for (size_t i = 0; i < nfds; i++) {
			yajl_val e = arr->u.array.values[i];
			yajl_val id = oci_json_get(e, "id"), init = oci_json_get(e, "init");

			h[nh].fd = fds[i];
			h[nh].id = strdup(YAJL_IS_STRING(id) ? id->u.string : "");
			h[nh].init_pid = YAJL_IS_INTEGER(init) ? (pid_t)YAJL_GET_INTEGER(init) : 0;
			nh++;
		}
		r = 0;
	}
	if (r == 1 && send_all(fd, "ok", 2) < 0)
		r = -EPIPE;
	if (r != 1) {
		if (lfd >= 0)
			close(lfd);
		sc_held_free(h, nh);
		return r < 0 ? r : -EPROTO;
	}
	*listen_fd = lfd;
	*held = h;
	*nheld = nh;
	return 0;
}
