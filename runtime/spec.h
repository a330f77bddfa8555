/* The edits procview-runtime makes to a bundle's config.json, each a
 * function on the parsed tree. rt_spec_edit runs them in order; adding an
 * edit is one function and one line in its table (spec.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

struct rt_edit_settings {
	const char *hook;	/* absolute path of procview-hook */
	const char *const *hook_args; /* appended after "procview-hook STAGE" */
	size_t n_hook_args;
	/* procviewd's seccomp socket: sysinfo is sent there through an
	 * existing linux.seccomp profile. NULL: sysinfo is left alone. */
	const char *seccomp_socket;
	/* Called once, only when the profile is about to be given the
	 * listener: 0 when something answers on the socket (after starting
	 * the daemon if need be), negative errno when not, and the profile
	 * is then left alone, as a runtime fails a container whose listener
	 * does not answer (an error when strict). NULL: assume it answers. */
	int (*listener_ready)(const char *socket, void *data);
	void *listener_data;
	/* A listener that does not answer is an error, not a note. */
	bool strict;
	/* Set (by listener_ready) when it tried to start the daemon and
	 * could not: the hook entries then get --no-start, so a daemon that
	 * cannot start is not waited for twice. NULL: never. */
	const bool *daemon_down;
};

/* The rule the seccomp edit adds (procview seccomp writes the same). */
#define RT_NOTIFY_ACTION "SCMP_ACT_NOTIFY"

/* Annotation that turns procview off for one container (the hook reads it
 * too), and the environment variable Docker users can set instead:
 * docker run -e PROCVIEW=off (Docker 20.10 puts nothing a user sets into
 * config.json's annotations). */
#define RT_DISABLE_ANNOTATION "io.procview.disable"
#define RT_DISABLE_ENV "PROCVIEW"

/* Why this container is left alone (a static string), or NULL. */
const char *rt_spec_opted_out(yajl_val tree);

/* Apply every edit. Returns 1 when the tree changed, 0 when there was
 * nothing to do, -EINVAL with *err set (one line) when the config's shape
 * forbids an edit, -ENOMEM. On error the tree may be half edited: drop it.
 * *note (malloc'd, one line, or NULL) says why an edit was skipped in a
 * way worth telling: another agent's listenerPath, a profile that denies
 * sysinfo, a socket that does not answer. */
int rt_spec_edit(yajl_val tree, const struct rt_edit_settings *s, char **note, char **err);

/* The whole step on text: precheck, parse, opt-out, edit, generate. 1 and
 * *out / *out_len (malloc'd) when changed; 0 unchanged (*why says why when
 * it was an opt-out); negative errno with *err set. *note as above. */
int rt_spec_edit_text(const char *json, size_t len, const struct rt_edit_settings *s,
		      char **out, size_t *out_len, const char **why, char **note, char **err);
