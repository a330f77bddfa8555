/* The parts of a bundle's config.json the hook needs: where the rootfs
 * is, which destinations the user mounts, annotations, and the hooks (for
 * the runtime's timeout on the hook itself). */
#pragma once
#include <stddef.h>

#include "state.h"

/* config.json can carry large seccomp profiles; this is far beyond any. */
#define OCI_CONFIG_MAX (16u << 20)

/* One entry of "hooks": its stage (the key it is listed under), path and
 * timeout in seconds (0: none set). */
struct oci_hook {
	char *stage;
	char *path;
	int timeout;
};

struct oci_config {
	char *root_path; /* absolute: a relative root.path is joined to the bundle */
	char **mount_dests; /* mounts[].destination, as written */
	size_t n_mounts;
	struct oci_annotations annotations;
	struct oci_hook *hooks;
	size_t n_hooks;
	/* The first "hooks" entry that was skipped, and why (one line), or
	 * NULL. Hooks are the runtime's business, checked by it: one that
	 * procview cannot read is no reason to fail the container. */
	char *hooks_note;
};

/* Parse config JSON text; bundle (absolute) resolves a relative root.path.
 * Errors as oci_state_parse, prefixed "config.json". */
int oci_config_parse(const char *json, size_t len, const char *bundle, struct oci_config *cfg,
		     char **err);
/* Read and parse <bundle>/config.json. */
int oci_config_load(const char *bundle, struct oci_config *cfg, char **err);
void oci_config_free(struct oci_config *cfg);
