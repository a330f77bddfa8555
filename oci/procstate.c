#include "procstate.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define WHAT "seccomp agent message"

static int fail(char **err, const char *msg)
{
	*err = oci_strdupf("%s: %s", WHAT, msg);
	return *err ? -EINVAL : -ENOMEM;
}

static int get_pid(yajl_val obj, const char *key, bool required, pid_t *out, char **err)
{
	yajl_val v = oci_json_get(obj, key);

	*out = 0;
	if (!v || YAJL_IS_NULL(v))
		return required ? fail(err, "\"pid\" missing") : 0;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0 || YAJL_GET_INTEGER(v) > INT_MAX)
		return fail(err, "\"pid\" is not a valid pid");
	*out = (pid_t)YAJL_GET_INTEGER(v);
	return 0;
}

void oci_procstate_free(struct oci_procstate *ps)
{
	free(ps->id);
	free(ps->metadata);
	*ps = (struct oci_procstate){ 0 };
}

int oci_procstate_parse(const char *json, size_t len, struct oci_procstate *out, char **err)
{
	_cleanup_yajl_ yajl_val tree = NULL;
	struct oci_procstate ps = { .seccomp_idx = -1 };
	yajl_val fds, state;
	int r;

	*err = NULL;
	r = oci_json_parse(json, len, WHAT, &tree, err);
	if (r < 0)
		return r;
	fds = oci_json_get(tree, "fds");
	if (!fds || !YAJL_IS_ARRAY(fds))
		return fail(err, "\"fds\" missing or not an array");
	for (size_t i = 0; i < fds->u.array.len; i++) {
		yajl_val f = fds->u.array.values[i];

		if (YAJL_IS_STRING(f) && strcmp(f->u.string, "seccompFd") == 0) {
			ps.seccomp_idx = (int)i;
			break;
		}
	}
	if (ps.seccomp_idx < 0)
		return fail(err, "\"fds\" has no \"seccompFd\"");
	state = oci_json_get(tree, "state");
	if (!state || !YAJL_IS_OBJECT(state))
		return fail(err, "\"state\" missing or not an object");
	if ((r = get_pid(tree, "pid", true, &ps.pid, err)) < 0 ||
	    (r = get_pid(state, "pid", false, &ps.init_pid, err)) < 0 ||
	    (r = oci_json_string(state, "id", true, WHAT, "\"state\".", &ps.id, err)) < 0)
		goto fail;
	r = oci_json_string(tree, "metadata", false, WHAT, "", &ps.metadata, err);
	if (r < 0 && r != -ENOENT)
		goto fail;
	*out = ps;
	return 0;
fail:
	oci_procstate_free(&ps);
	return r;
}
