#include "state.h"
#include "json.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

char *oci_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

/* Report err and return -EINVAL; -ENOMEM if even the message fails. */
#define FAIL(err, ...)                                                         \
	({                                                                     \
		*(err) = oci_strdupf(__VA_ARGS__);                             \
		*(err) ? -EINVAL : -ENOMEM;                                    \
	})


int oci_json_parse(const char *json, size_t len, const char *what, yajl_val *out, char **err)
{
	char ebuf[256] = "";
	yajl_val v;
	size_t blank = 0;

	/* Bounded: the input is raw bytes, not a C string. */
	while (blank < len && (json[blank] == ' ' || json[blank] == '\t' || json[blank] == '\r' ||
			       json[blank] == '\n'))
		blank++;
	if (blank == len)
		return FAIL(err, "%s: empty input", what);
	if (memchr(json, '\0', len))
		return FAIL(err, "%s: contains a NUL byte", what);
	if (json_parse_n(json, len, ebuf, sizeof(ebuf), &v) < 0)
		return FAIL(err, "%s: %s", what, ebuf[0] ? ebuf : "parse error");
	if (!YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		return FAIL(err, "%s: not a JSON object", what);
	}
	*out = v;
	return 0;
}

yajl_val oci_json_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	/* The last duplicate wins, as in most JSON readers (and Go's). */
	for (size_t i = obj->u.object.len; i-- > 0;)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

int oci_json_string(yajl_val obj, const char *key, bool required, const char *what,
		    const char *ctx, char **out, char **err)
{
	yajl_val v = oci_json_get(obj, key);

	*out = NULL;
	if (!v || YAJL_IS_NULL(v)) {
		if (!required)
			return -ENOENT;
		return FAIL(err, "%s: %s\"%s\" missing", what, ctx, key);
	}
	if (!YAJL_IS_STRING(v))
		return FAIL(err, "%s: %s\"%s\" is not a string", what, ctx, key);
	*out = strdup(v->u.string);
	return *out ? 0 : -ENOMEM;
}

void oci_annotations_free(struct oci_annotations *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->keys[i]);
		free(a->values[i]);
	}
	free(a->keys);
	free(a->values);
	*a = (struct oci_annotations){ 0 };
}

int oci_json_annotations(yajl_val obj, const char *what, struct oci_annotations *out,
			 char **err)
{
	yajl_val v = oci_json_get(obj, "annotations");
	struct oci_annotations a = { 0 };
	size_t n;

	*out = a;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return FAIL(err, "%s: \"annotations\" is not an object", what);
	n = v->u.object.len;
	a.keys = calloc(n + 1, sizeof(char *));
	a.values = calloc(n + 1, sizeof(char *));
	if (!a.keys || !a.values) {
		oci_annotations_free(&a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		yajl_val val = v->u.object.values[i];

		if (!YAJL_IS_STRING(val)) {
			int r = FAIL(err, "%s: \"annotations\".\"%s\" is not a string", what,
				     v->u.object.keys[i]);

			oci_annotations_free(&a);
			return r;
		}
		a.keys[i] = strdup(v->u.object.keys[i]);
		a.values[i] = strdup(val->u.string);
		a.n = i + 1;
		if (!a.keys[i] || !a.values[i]) {
			oci_annotations_free(&a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

const char *oci_annotation(const struct oci_annotations *a, const char *key)
{
	for (size_t i = a->n; i-- > 0;)
		if (strcmp(a->keys[i], key) == 0)
			return a->values[i];
	return NULL;
}

bool oci_annotation_true(const struct oci_annotations *a, const char *key)
{
	const char *v = oci_annotation(a, key);

	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
		     strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0);
}

void oci_state_free(struct oci_state *st)
{
	free(st->oci_version);
	free(st->id);
	free(st->status);
	free(st->bundle);
	free(st->root);
	oci_annotations_free(&st->annotations);
	*st = (struct oci_state){ 0 };
}

static int state_pid(yajl_val tree, unsigned flags, pid_t *pid, char **err)
{
	yajl_val v = oci_json_get(tree, "pid");

	*pid = 0;
	if (!v || YAJL_IS_NULL(v)) {
		if (flags & OCI_STATE_NEED_PID)
			return FAIL(err, "state JSON: \"pid\" missing");
		return 0;
	}
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 || YAJL_GET_INTEGER(v) > INT_MAX)
		return FAIL(err, "state JSON: \"pid\" is not a valid pid");
	if (YAJL_GET_INTEGER(v) == 0 && (flags & OCI_STATE_NEED_PID))
		return FAIL(err, "state JSON: \"pid\" is 0 (the container has no process)");
	*pid = (pid_t)YAJL_GET_INTEGER(v);
	return 0;
}

int oci_state_parse(const char *json, size_t len, unsigned flags, struct oci_state *out,
		    char **err)
{
	static const char what[] = "state JSON";
	_cleanup_yajl_ yajl_val tree = NULL;
	struct oci_state st = { 0 };
	int r;

	*err = NULL;
	r = oci_json_parse(json, len, what, &tree, err);
	if (r < 0)
		return r;
	if ((r = oci_json_string(tree, "ociVersion", true, what, "", &st.oci_version, err)) < 0 ||
	    (r = oci_json_string(tree, "id", true, what, "", &st.id, err)) < 0 ||
	    (r = oci_json_string(tree, "status", true, what, "", &st.status, err)) < 0 ||
	    (r = state_pid(tree, flags, &st.pid, err)) < 0 ||
	    (r = oci_json_string(tree, "bundle", true, what, "", &st.bundle, err)) < 0)
		goto fail;
	if (st.bundle[0] != '/') {
		r = FAIL(err, "%s: \"bundle\" is not an absolute path", what);
		goto fail;
	}
	r = oci_json_string(tree, "root", false, what, "", &st.root, err);
	if (r < 0 && r != -ENOENT)
		goto fail;
	r = oci_json_annotations(tree, what, &st.annotations, err);
	if (r < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	oci_state_free(&st);
	return r;
}
