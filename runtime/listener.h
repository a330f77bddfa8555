/* Is procviewd's seccomp socket answering, and if not, can the hook start
 * the daemon? A runtime fails a container (runc: "failed to connect with
 * seccomp agent") and an exec into it when listenerPath does not answer,
 * so the shim asks before it names the socket, and before every exec. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct rt_listener_ctx {
	const char *hook;	      /* procview-hook, run as "procview-hook ensure ARGS" */
	const char *const *hook_args; /* the hook's options (mountpoint, daemon, socket) */
	size_t n_hook_args;
	bool ensure_failed; /* set when the hook's ensure ran and failed */
};

/* 0 when something accepts a connection on path; -ENOENT, -ECONNREFUSED
 * (a socket file nobody listens on) or another negative errno. */
int rt_listener_probe(const char *path);
/* rt_edit_settings.listener_ready: the probe; if it fails, the hook's
 * "ensure" (which starts the daemon), then the probe again. data is a
 * struct rt_listener_ctx (NULL: the probe alone). */
int rt_listener_ready(const char *path, void *data);
