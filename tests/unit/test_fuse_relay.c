/* The holder's FUSE relay (fusefs/fuse_relay.c) against a stand-in for the
 * kernel: a SOCK_SEQPACKET pair reads and writes one message at a time, as
 * /dev/fuse does. Renderers are channels the test answers or closes. */
#include "fuse_relay.h"
#include "tap.h"

#include <errno.h>
#include <linux/fuse.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int kern; /* the kernel's side */

static void request(uint64_t unique, uint32_t opcode)
{
	struct fuse_in_header in = { .len = sizeof(in), .opcode = opcode, .unique = unique };

	(void)!write(kern, &in, sizeof(in));
}

/* The next message on fd within ms, or -1. */
static ssize_t next(int fd, void *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1 || !(p.revents & POLLIN))
		return -1;
	return recv(fd, buf, size, MSG_DONTWAIT);
}

/* The unique of the next request a renderer gets on chan, 0 if none. */
static uint64_t got_req(int chan, uint32_t *opcode)
{
	struct fuse_in_header in;

	if (next(chan, &in, sizeof(in), 1000) != (ssize_t)sizeof(in))
		return 0;
	if (opcode)
		*opcode = in.opcode;
	return in.unique;
}

static void answer(int chan, uint64_t unique)
{
	struct fuse_out_header out = { .len = sizeof(out), .unique = unique };

	(void)!send(chan, &out, sizeof(out), 0);
}

/* The next answer the kernel gets: its unique, and error in *err. */
static uint64_t got_answer(int *err, int ms)
{
	struct fuse_out_header out;

	if (next(kern, &out, sizeof(out), ms) != (ssize_t)sizeof(out))
		return 0;
	*err = out.error;
	return out.unique;
}

int main(void)
{
	struct fuse_relay *r;
	struct fuse_relay_stats st;
	int sp[2], c1, c2, c, err = 1;
	uint32_t op = 0;
	uint64_t u;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return 1;
	kern = sp[1];
	ok(fuse_relay_new(&r) == 0, "relay started");
	ok(fuse_relay_add(r, 0, sp[0]) == 0, "a connection added");
	ok(fuse_relay_add(r, LEDGER_CONNS, sp[0]) == -EINVAL, "a connection index out of range is refused");

	/* Nothing is taken from the kernel while no renderer is there. */
	request(2, FUSE_INIT);
	c1 = fuse_relay_channel(r, 0);
	ok(c1 >= 0, "a renderer's channel");
	u = got_req(c1, &op);
	ok(u == 2 && op == FUSE_INIT, "the request waiting in the kernel reaches the renderer");
	answer(c1, 2);
	ok(got_answer(&err, 1000) == 2 && err == 0, "its answer reaches the kernel");

	/* Renderer death: answered before dying counts, the rest is resent in order. */
	request(4, FUSE_LOOKUP);
	request(6, FUSE_GETATTR);
	request(8, FUSE_FORGET);
	request(10, FUSE_READ);
	ok(got_req(c1, NULL) == 4 && got_req(c1, NULL) == 6 && got_req(c1, NULL) == 8 &&
		   got_req(c1, NULL) == 10,
	   "four requests reach the renderer in order");
	answer(c1, 6);
	close(c1); /* killed right after answering 6 */
	ok(got_answer(&err, 1000) == 6 && err == 0, "an answer sent just before the death reaches the kernel");
	c2 = fuse_relay_channel(r, 0);
	ok(got_req(c2, NULL) == 4 && got_req(c2, NULL) == 10,
	   "the next renderer gets exactly the unanswered ones, oldest first (not 6, not the FORGET)");
	ok(next(c2, &u, sizeof(u), 200) < 0, "nothing else is resent");
	answer(c2, 4);
	answer(c2, 10);
	ok(got_answer(&err, 1000) == 4 && got_answer(&err, 1000) == 10, "both answered once");
	ok(got_answer(&err, 200) == 0, "and no answer twice");

	/* A request that kills every renderer is failed after three. */
	request(12, FUSE_READ);
	c = c2;
	for (int i = 0; i < FUSE_RELAY_MAX_TRIES; i++) {
		ok(got_req(c, NULL) == 12, "the poisonous request reaches renderer %d", i + 1);
		close(c);
		c = fuse_relay_channel(r, 0);
	}
	ok(got_answer(&err, 1000) == 12 && err == -EIO, "after %d deaths it is answered EIO",
	   FUSE_RELAY_MAX_TRIES);
	ok(next(c, &u, sizeof(u), 200) < 0, "and not sent to a fourth renderer");

	/* Handoff: no more reads from the kernel, the unanswered fail. */
	request(14, FUSE_READ);
	ok(got_req(c, NULL) == 14, "a request in flight before the drain");
	ok(fuse_relay_drain(r, 100) == 1, "the drain fails the one request left unanswered");
	ok(got_answer(&err, 1000) == 14 && err == -EIO, "with EIO, so its caller does not wait");
	request(16, FUSE_READ);
	ok(next(c, &u, sizeof(u), 300) < 0, "after the drain nothing more is taken from the kernel");
	ok(next(sp[0], &u, sizeof(u), 0) > 0, "the request stays in the kernel's queue for the next holder");

	fuse_relay_get_stats(r, &st);
	ok(st.requests == 7 && st.resent >= 4 && st.failed == 2,
	   "stats: %lu requests, %lu sent again, %lu failed", st.requests, st.resent, st.failed);
	fuse_relay_free(r);
	close(c);
	close(sp[0]);
	close(sp[1]);
	return done_testing();
}
