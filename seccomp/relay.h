/* The holder's sc_answer_fn when answering lives in another process (the
 * renderer): each notification goes to the renderer over one of a few
 * SOCK_SEQPACKET channels as a request, the renderer sends back the
 * struct sysinfo (or "let the kernel answer"), and the holder, which owns
 * the notify fd, checks the notification is live, writes the struct into
 * the caller and responds. The renderer never holds a notify fd, so its
 * death loses nothing: a request it took is sent again to the next
 * renderer, and one that no renderer answers within SC_RELAY_WAIT_MS is
 * handed to the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE). No caller
 * stays blocked. */
#pragma once
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/sysinfo.h>

#include "notify.h"

#define SC_RELAY_CHANNELS 4 /* one per listener thread: none waits for a channel */
#define SC_RELAY_WAIT_MS 700

struct sc_relay_req {
	uint64_t seq;
	struct seccomp_notif n;
};
struct sc_relay_resp {
	uint64_t seq;
	int32_t verdict; /* 0: si is the answer; < 0: continue to the kernel */
	struct sysinfo si;
};

struct sc_relay;

struct sc_relay *sc_relay_new(void);
void sc_relay_free(struct sc_relay *r);
/* A new renderer's channels (the holder's ends; the relay owns them).
 * Requests waiting for a renderer go to these now. */
void sc_relay_attach(struct sc_relay *r, const int chans[SC_RELAY_CHANNELS]);
/* An sc_answer_fn; data is the struct sc_relay. */
void sc_relay_answer(void *data, int notify_fd, const struct sc_filter_info *f,
		     const struct seccomp_notif *n);
/* Counters for the log: answered by a renderer, continued, sent again
 * after a renderer died. */
void sc_relay_stats(struct sc_relay *r, unsigned long *answered, unsigned long *continued,
		    unsigned long *resent);
