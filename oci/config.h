/* The parts of a bundle's config.json the hook needs: where the rootfs
 * is, which destinations the user mounts, and annotations. */
#pragma once
#include <stddef.h>

#include "state.h"

/* config.json can carry large seccomp profiles; this is far beyond any. */
#define OCI_CONFIG_MAX (16u << 20)

struct oci_config {
	char *root_path; /* absolute: a relative root.path is joined to the bundle */
	char **mount_dests; /* mounts[].destination, as written */
	size_t n_mounts;
	struct oci_annotations annotations;
};

/* Parse config JSON text; bundle (absolute) resolves a relative root.path.
 * Errors as oci_state_parse, prefixed "config.json". */
int oci_config_parse(const char *json, size_t len, const char *bundle, struct oci_config *cfg,
		     char **err);
/* Read and parse <bundle>/config.json. */
int oci_config_load(const char *bundle, struct oci_config *cfg, char **err);
void oci_config_free(struct oci_config *cfg);
