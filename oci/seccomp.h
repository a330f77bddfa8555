/* Seccomp profiles that send sysinfo(2) to procviewd: a runtime-spec
 * linux.seccomp object, or a podman/Docker profile file (same keys plus
 * archMap, includes/excludes), rewritten so that "sysinfo" leaves every
 * other rule, one rule {"names":["sysinfo"],"action":"SCMP_ACT_NOTIFY"}
 * is appended and "listenerPath" names the socket. Everything else is
 * copied through unchanged. */
#pragma once
#include <stdbool.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "buf.h"

/* A profile that allows everything but sends sysinfo to listener. */
int oci_seccomp_minimal(const char *listener, struct buf *out);
/* profile must be an object. */
int oci_seccomp_add_notify(yajl_val profile, const char *listener, struct buf *out);
/* The same, into a generator already inside a document. */
int oci_seccomp_emit(yajl_gen g, yajl_val profile, const char *listener);
/* Any value, copied as is. */
int json_emit(yajl_gen g, yajl_val v);
/* Does the profile already send sysinfo to listener? */
bool oci_seccomp_has_notify(yajl_val profile, const char *listener);
