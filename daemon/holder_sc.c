/* The holder's seccomp part: the listener (seccomp/listener.c) that keeps
 * the notify fds, answering through the relay to the renderer. */
#include "holder_sc.h"
#include "handoff.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

/* Each container and each exec brings a notify fd: allow as many as the
 * hard limit does. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void holder_sc_listen(struct holder_sc *h, const char *path, bool replacing)
{
	struct sc_held_fd *held = NULL;
	size_t nheld = 0;
	int lfd = -1, r;

	if (!h->relay) {
		log_msg(LOG_WARNING, "seccomp: out of memory; sysinfo not answered");
		return;
	}
	raise_nofile();
	if (replacing) {
		r = sc_handoff_request(path, &lfd, &held, &nheld);
		if (r < 0)
			log_msg(LOG_WARNING, "seccomp: no handoff from the old daemon (%s); binding anew",
				strerror(-r));
		else
			log_msg(LOG_INFO, "seccomp: took over the socket and %zu notify fds", nheld);
	}
	r = sc_listener_new(path, lfd, held, nheld, sc_relay_answer, h->relay, SC_RELAY_CHANNELS,
			    &h->sc);
	sc_held_free(held, nheld); /* the fds themselves now belong to the listener */
	if (r == 0)
		r = sc_listener_start(h->sc);
	if (r == -EADDRINUSE)
		log_msg(LOG_WARNING, "seccomp: another daemon listens on %s; sysinfo not answered here",
			path);
	else if (r < 0)
		log_msg(LOG_WARNING, "seccomp: cannot listen on %s: %s; sysinfo not answered", path,
			strerror(-r));
	if (r < 0) {
		sc_listener_free(h->sc);
		h->sc = NULL;
	}
}

void holder_sc_stop(struct holder_sc *h)
{
	unsigned long answered, continued, resent;

	if (h->relay) {
		sc_relay_stats(h->relay, &answered, &continued, &resent);
		log_msg(LOG_INFO, "seccomp: %lu sysinfo calls answered by renderers, %lu left to the kernel, %lu sent again after a renderer died",
			answered, continued, resent);
	}
	sc_listener_free(h->sc);
	h->sc = NULL;
	sc_relay_free(h->relay);
	h->relay = NULL;
}

