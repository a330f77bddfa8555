/* The OCI runtime state a hook reads on stdin, parsed with yajl's tree
 * API. Also the small JSON helpers oci/config.c shares. Every parse error
 * comes back as one line naming the field, e.g. `state JSON: "pid" missing`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

static inline void yajl_tree_freep(yajl_val *v)
{
	if (*v)
		yajl_tree_free(*v);
}
#define _cleanup_yajl_ __attribute__((cleanup(yajl_tree_freep)))

/* The hook reads at most this much state from stdin. */
#define OCI_STATE_MAX (1u << 20)

struct oci_annotations {
	char **keys;
	char **values;
	size_t n;
};

struct oci_state {
	char *oci_version;
	char *id;
	char *status;
	pid_t pid; /* 0 when absent (allowed without OCI_STATE_NEED_PID) */
	char *bundle;
	char *root; /* crun's non-standard "root"; NULL when absent */
	struct oci_annotations annotations;
};

/* The createRuntime/prestart stages need a live pid; poststop does not. */
#define OCI_STATE_NEED_PID (1u << 0)

/* Parse len bytes of state JSON. On error returns -EINVAL (or -ENOMEM) and
 * sets *err to a malloc'd one-line message. */
int oci_state_parse(const char *json, size_t len, unsigned flags, struct oci_state *st,
		    char **err);
void oci_state_free(struct oci_state *st);


/* Value of an annotation, or NULL. */
const char *oci_annotation(const struct oci_annotations *a, const char *key);
/* "true" (any case), "1", "yes" and "on" are true. */
bool oci_annotation_true(const struct oci_annotations *a, const char *key);
void oci_annotations_free(struct oci_annotations *a);

/* Helpers shared with oci/config.c. what is "state JSON" or "config.json". */
int oci_json_parse(const char *json, size_t len, const char *what, yajl_val *out, char **err);
/* The member key of object obj, or NULL. */
yajl_val oci_json_get(yajl_val obj, const char *key);
/* A string member: -ENOENT missing (*err set when required), -EINVAL wrong type. */
int oci_json_string(yajl_val obj, const char *key, bool required, const char *what,
		    const char *ctx, char **out, char **err);
int oci_json_annotations(yajl_val obj, const char *what, struct oci_annotations *out,
			 char **err);
/* malloc'd printf, NULL on allocation failure. */
char *oci_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
