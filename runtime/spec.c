#include "spec.h"
#include "jtree.h"
#include "spec_seccomp.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define FAIL(err, ...)                                                         \
	({                                                                     \
		*(err) = oci_strdupf(__VA_ARGS__);                             \
		*(err) ? -EINVAL : -ENOMEM;                                    \
	})

/* The hook's runtime timeout: it may have to start the daemon (2.5 s). */
#define HOOK_TIMEOUT 10

static bool truthy(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 ||
	       strcasecmp(v, "on") == 0;
}

static bool falsy(const char *v)
{
	return strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
	       strcasecmp(v, "no") == 0;
}

const char *rt_spec_opted_out(yajl_val tree)
{
	yajl_val *ann = jt_object_slot(tree, "annotations");
	yajl_val *process = jt_object_slot(tree, "process");
	yajl_val *env = process ? jt_object_slot(*process, "env") : NULL;
	const char *last = NULL;

	if (ann) {
		yajl_val *v = jt_object_slot(*ann, RT_DISABLE_ANNOTATION);

		if (v && YAJL_IS_STRING(*v) && truthy((*v)->u.string))
			return "annotation " RT_DISABLE_ANNOTATION " is true";
	}
	if (!env || !YAJL_IS_ARRAY(*env))
		return NULL;
	/* The last one wins, as when Docker merges -e flags. */
	for (size_t i = 0; i < (*env)->u.array.len; i++) {
		yajl_val e = (*env)->u.array.values[i];
		size_t n = strlen(RT_DISABLE_ENV);

		if (YAJL_IS_STRING(e) && strncmp(e->u.string, RT_DISABLE_ENV, n) == 0 &&
		    e->u.string[n] == '=')
			last = e->u.string + n + 1;
	}
	return last && falsy(last) ? "environment has " RT_DISABLE_ENV "=off" : NULL;
}

/* ---- edit 1: procview-hook at createRuntime and poststop ---- */

static bool is_procview_hook(yajl_val h, const char *hook)
{
	yajl_val *p = jt_object_slot(h, "path");
	const char *base;

	if (!p || !YAJL_IS_STRING(*p))
		return false;
	base = strrchr((*p)->u.string, '/');
	base = base ? base + 1 : (*p)->u.string;
	return strcmp((*p)->u.string, hook) == 0 || strcmp(base, "procview-hook") == 0;
}

/* The array hooks.<stage>, created when absent or null. */
static int stage_array(yajl_val hooks, const char *stage, bool create, yajl_val *out,
		       char **err)
{
	yajl_val *slot = jt_object_slot(hooks, stage);
	int r;

	*out = NULL;
	if (slot && *slot && !YAJL_IS_NULL(*slot)) {
		if (!YAJL_IS_ARRAY(*slot))
			return FAIL(err, "config.json: \"hooks\".\"%s\" is not an array", stage);
		*out = *slot;
		return 0;
	}
	if (!create)
		return 0;
	if (slot) {
		yajl_val arr = jt_array();

		if (!arr)
			return -ENOMEM;
		yajl_tree_free(*slot);
		*slot = *out = arr;
		return 0;
	}
	r = jt_object_append(hooks, stage, jt_array());
	if (r < 0)
		return r;
	*out = hooks->u.object.values[hooks->u.object.len - 1];
	return 0;
}

static bool stage_has_hook(yajl_val arr, const char *hook)
{
	for (size_t i = 0; arr && i < arr->u.array.len; i++)
		if (is_procview_hook(arr->u.array.values[i], hook))
			return true;
	return false;
}

static yajl_val hook_entry(const struct rt_edit_settings *s, const char *stage)
{
	yajl_val h = jt_object(), args = jt_array();

	if (!h || !args)
		goto fail;
	if (jt_array_append(args, jt_string("procview-hook")) < 0 ||
	    jt_array_append(args, jt_string(stage)) < 0)
		goto fail;
	for (size_t i = 0; i < s->n_hook_args; i++)
		if (jt_array_append(args, jt_string(s->hook_args[i])) < 0)
			goto fail;
	if (s->daemon_down && *s->daemon_down && jt_array_append(args, jt_string("--no-start")) < 0)
		goto fail;
	if (jt_object_append(h, "path", jt_string(s->hook)) < 0) {
		yajl_tree_free(args);
		goto free_h;
	}
	if (jt_object_append(h, "args", args) < 0 ||
	    jt_object_append(h, "timeout", jt_int(HOOK_TIMEOUT)) < 0)
		goto free_h;
	return h;
fail:
	if (args)
		yajl_tree_free(args);
free_h:
	if (h)
		yajl_tree_free(h);
	return NULL;
}

static int edit_hooks(yajl_val tree, const struct rt_edit_settings *s, char **note, char **err)
{
	static const struct {
		const char *stage;
		const char *also; /* a stage where the hook also counts as present */
	} stages[] = { { "createRuntime", "prestart" }, { "poststop", NULL } };
	yajl_val *slot = jt_object_slot(tree, "hooks");
	yajl_val hooks;
	int changed = 0, r;

	(void)note;
	if (slot && *slot && !YAJL_IS_NULL(*slot) && !YAJL_IS_OBJECT(*slot))
		return FAIL(err, "config.json: \"hooks\" is not an object");
	hooks = slot && *slot && YAJL_IS_OBJECT(*slot) ? *slot : NULL;

	for (size_t i = 0; i < ARRAY_SIZE(stages); i++) {
		yajl_val arr, also = NULL;

		if (hooks) {
			r = stage_array(hooks, stages[i].stage, false, &arr, err);
			if (r < 0)
				return r;
			if (stages[i].also &&
			    (r = stage_array(hooks, stages[i].also, false, &also, err)) < 0)
				return r;
			if (stage_has_hook(arr, s->hook) || stage_has_hook(also, s->hook))
				continue;
		}
		if (!hooks) {
			yajl_val obj = jt_object();

			if (!obj)
				return -ENOMEM;
			if (slot) {
				yajl_tree_free(*slot);
				*slot = obj;
			} else if ((r = jt_object_append(tree, "hooks", obj)) < 0) {
				return r;
			}
			hooks = obj;
		}
		r = stage_array(hooks, stages[i].stage, true, &arr, err);
		if (r < 0)
			return r;
		r = jt_array_append(arr, hook_entry(s, stages[i].stage));
		if (r < 0)
			return r;
		changed = 1;
	}
	return changed;
}

/* ---- the table of edits ---- */

typedef int (*spec_edit_fn)(yajl_val tree, const struct rt_edit_settings *s, char **note,
			    char **err);
/* seccomp first: its listener check may start the daemon, or find that
 * it cannot be started, which the hook entries then say. */
static const spec_edit_fn edits[] = {
	rt_edit_seccomp,
	edit_hooks,
};

int rt_spec_edit(yajl_val tree, const struct rt_edit_settings *s, char **note, char **err)
{
	int changed = 0;

	*err = NULL;
	*note = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		_cleanup_free_ char *n = NULL;
		int r = edits[i](tree, s, &n, err);

		if (n && !*note)
			*note = steal_pointer(&n);

		if (r < 0)
			return r;
		changed |= r;
	}
	return changed;
}

int rt_spec_edit_text(const char *json, size_t len, const struct rt_edit_settings *s,
		      char **out, size_t *out_len, const char **why, char **note, char **err)
{
	_cleanup_yajl_ yajl_val tree = NULL;
	const char *reason = NULL;
	int r;

	*err = NULL;
	*why = NULL;
	*note = NULL;
	if (jt_precheck(json, len, &reason) < 0)
		return FAIL(err, "config.json: %s", reason);
	r = oci_json_parse(json, len, "config.json", &tree, err);
	if (r < 0)
		return r;
	*why = rt_spec_opted_out(tree);
	if (*why)
		return 0;
	r = rt_spec_edit(tree, s, note, err);
	if (r <= 0)
		return r;
	r = jt_generate(tree, out, out_len);
	if (r == -EINVAL)
		return FAIL(err, "config.json: cannot be written back");
	return r < 0 ? r : 1;
}
