/* What the hook should do for one container, from its annotations, the
 * mounts the user asked for and the runtime's timeout for the hook. Pure:
 * no I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "state.h"

#define ANNOTATION_DISABLE "io.procview.disable"
#define ANNOTATION_STRICT "io.procview.strict"

/* io.procview.disable=true in the state or the config. */
bool policy_disabled(const struct oci_state *st, const struct oci_config *cfg);
/* io.procview.strict=true in the state or the config. */
bool policy_strict(const struct oci_state *st, const struct oci_config *cfg);

/* The files (from attach_files) to attach: all of them except those the
 * user mounts: a config mount whose destination is the file itself, or
 * /proc/pressure for the pressure files. Destinations are compared after
 * policy_clean_path. Returns the count written
 * to out (at most max); *n_user gets the number skipped. */
size_t policy_files(const struct oci_config *cfg, const char **out, size_t max, size_t *n_user);

/* Normalize an absolute destination in place: "//", "." and trailing
 * slashes go, ".." is resolved lexically and stops at "/". */
void policy_clean_path(char *p);

/* The hook's whole time budget without a runtime timeout: well inside the
 * usual `timeout: 10`. */
#define POLICY_BUDGET_DEFAULT_MS 5000
/* Never longer than this, whatever the timeout: a container start should
 * not wait minutes on a daemon that does not answer. */
#define POLICY_BUDGET_MAX_MS 60000

/* The budget for a runtime timeout of timeout_s seconds (0: none set):
 * half of it, so the hook gives up (fail-open) well before the runtime
 * kills it and fails the container; POLICY_BUDGET_DEFAULT_MS without one. */
int policy_budget_ms(int timeout_s);

/* The runtime's timeout for this hook: the smallest "timeout" among the
 * config's hooks of stage (NULL: createRuntime or prestart) whose path
 * is_self says is this program; 0 when none sets one. */
int policy_hook_timeout(const struct oci_config *cfg, const char *stage,
			bool (*is_self)(const char *path, void *arg), void *arg);
