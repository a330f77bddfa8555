/* A bundle's config.json: read it, and replace it atomically (a temporary
 * file in the bundle, fsync, rename), keeping its mode and owner, so the
 * runtime reads either the old file or the whole new one. */
#pragma once
#include <stddef.h>
#include <sys/stat.h>

/* Read <bundle>/config.json (up to OCI_CONFIG_MAX). *st gets its stat. */
int rt_bundle_read(const char *bundle, char **text, size_t *len, struct stat *st);
/* Replace <bundle>/config.json with data; mode and owner from *orig. */
int rt_bundle_write(const char *bundle, const char *data, size_t len, const struct stat *orig);
