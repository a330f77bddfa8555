/* What the hook should do for one container, from its annotations and the
 * mounts the user asked for. Pure: no I/O. */
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
