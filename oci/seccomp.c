#include "seccomp.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <string.h>

#define S(str) (const unsigned char *)(str), strlen(str)

static int ok(yajl_gen_status st)
{
	return st == yajl_gen_status_ok ? 0 : -EINVAL;
}

int json_emit(yajl_gen g, yajl_val v)
{
	int r = 0;

	if (!v || YAJL_IS_NULL(v))
		return ok(yajl_gen_null(g));
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return ok(yajl_gen_bool(g, YAJL_IS_TRUE(v)));
	if (YAJL_IS_STRING(v))
		return ok(yajl_gen_string(g, S(v->u.string)));
	if (YAJL_IS_NUMBER(v))
		return ok(yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)));
	if (YAJL_IS_ARRAY(v)) {
		r = ok(yajl_gen_array_open(g));
		for (size_t i = 0; r == 0 && i < v->u.array.len; i++)
			r = json_emit(g, v->u.array.values[i]);
		return r ? r : ok(yajl_gen_array_close(g));
	}
	r = ok(yajl_gen_map_open(g));
	for (size_t i = 0; r == 0 && i < v->u.object.len; i++) {
		r = ok(yajl_gen_string(g, S(v->u.object.keys[i])));
		if (r == 0)
			r = json_emit(g, v->u.object.values[i]);
	}
	return r ? r : ok(yajl_gen_map_close(g));
}

static bool is_sysinfo(yajl_val v)
{
	return YAJL_IS_STRING(v) && strcmp(v->u.string, "sysinfo") == 0;
}

/* A rule with "sysinfo" dropped from its names; false when nothing is
 * left of it. The old single "name" form counts too. */
static int emit_rule(yajl_gen g, yajl_val rule)
{
	yajl_val names = oci_json_get(rule, "names");
	size_t left = 0;
	int r;

	if (!YAJL_IS_OBJECT(rule))
		return json_emit(g, rule);
	if (is_sysinfo(oci_json_get(rule, "name")))
		return 0;
	if (!YAJL_IS_ARRAY(names))
		return json_emit(g, rule);
	for (size_t i = 0; i < names->u.array.len; i++)
		left += !is_sysinfo(names->u.array.values[i]);
	if (left == names->u.array.len)
		return json_emit(g, rule);
	if (left == 0)
		return 0;
	r = ok(yajl_gen_map_open(g));
	for (size_t i = 0; r == 0 && i < rule->u.object.len; i++) {
		yajl_val v = rule->u.object.values[i];

		r = ok(yajl_gen_string(g, S(rule->u.object.keys[i])));
		if (r || v != names) {
			r = r ? r : json_emit(g, v);
			continue;
		}
		r = ok(yajl_gen_array_open(g));
		for (size_t k = 0; r == 0 && k < names->u.array.len; k++)
			if (!is_sysinfo(names->u.array.values[k]))
				r = json_emit(g, names->u.array.values[k]);
		r = r ? r : ok(yajl_gen_array_close(g));
	}
	return r ? r : ok(yajl_gen_map_close(g));
}

static int emit_notify_rule(yajl_gen g)
{
	int r = ok(yajl_gen_map_open(g));

	r = r ? r : ok(yajl_gen_string(g, S("names")));
	r = r ? r : ok(yajl_gen_array_open(g));
	r = r ? r : ok(yajl_gen_string(g, S("sysinfo")));
	r = r ? r : ok(yajl_gen_array_close(g));
	r = r ? r : ok(yajl_gen_string(g, S("action")));
	r = r ? r : ok(yajl_gen_string(g, S("SCMP_ACT_NOTIFY")));
	return r ? r : ok(yajl_gen_map_close(g));
}

int oci_seccomp_emit(yajl_gen g, yajl_val profile, const char *listener)
{
	yajl_val rules = oci_json_get(profile, "syscalls");
	bool seen_rules = false;
	int r;

	if (!YAJL_IS_OBJECT(profile) || !listener || (rules && !YAJL_IS_NULL(rules) &&
						     !YAJL_IS_ARRAY(rules)))
		return -EINVAL;
	r = ok(yajl_gen_map_open(g));
	for (size_t i = 0; r == 0 && i < profile->u.object.len; i++) {
		const char *k = profile->u.object.keys[i];
		yajl_val v = profile->u.object.values[i];

		if (strcmp(k, "listenerPath") == 0)
			continue;
		if (strcmp(k, "syscalls") == 0) {
			if (v != rules || seen_rules)
				continue; /* a duplicate key: the last one counts */
			seen_rules = true;
			r = ok(yajl_gen_string(g, S(k)));
			r = r ? r : ok(yajl_gen_array_open(g));
			for (size_t n = 0; r == 0 && YAJL_IS_ARRAY(v) && n < v->u.array.len; n++)
				r = emit_rule(g, v->u.array.values[n]);
			r = r ? r : emit_notify_rule(g);
			r = r ? r : ok(yajl_gen_array_close(g));
			continue;
		}
		r = ok(yajl_gen_string(g, S(k)));
		r = r ? r : json_emit(g, v);
	}
	if (r == 0 && !seen_rules) {
		r = ok(yajl_gen_string(g, S("syscalls")));
		r = r ? r : ok(yajl_gen_array_open(g));
		r = r ? r : emit_notify_rule(g);
		r = r ? r : ok(yajl_gen_array_close(g));
	}
	r = r ? r : ok(yajl_gen_string(g, S("listenerPath")));
	r = r ? r : ok(yajl_gen_string(g, S(listener)));
	return r ? r : ok(yajl_gen_map_close(g));
}

static int gen_finish(yajl_gen g, struct buf *out)
{
	const unsigned char *p;
	size_t len;

	if (yajl_gen_get_buf(g, &p, &len) != yajl_gen_status_ok)
		return -EINVAL;
	if (buf_append(out, (const char *)p, len) < 0)
		return -ENOMEM;
	return len && p[len - 1] == '\n' ? 0 : buf_puts(out, "\n");
}

static void gen_freep(yajl_gen *g)
{
	if (*g)
		yajl_gen_free(*g);
}

int oci_seccomp_add_notify(yajl_val profile, const char *listener, struct buf *out)
{
	__attribute__((cleanup(gen_freep))) yajl_gen g = yajl_gen_alloc(NULL);
	int r;

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	r = oci_seccomp_emit(g, profile, listener);
	return r < 0 ? r : gen_finish(g, out);
}

int oci_seccomp_minimal(const char *listener, struct buf *out)
{
	_cleanup_yajl_ yajl_val v = NULL;
	char ebuf[128];

	v = yajl_tree_parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", ebuf, sizeof(ebuf));
	if (!v)
		return -ENOMEM;
	return oci_seccomp_add_notify(v, listener, out);
}

bool oci_seccomp_has_notify(yajl_val profile, const char *listener)
{
	yajl_val lp = oci_json_get(profile, "listenerPath");
	yajl_val rules = oci_json_get(profile, "syscalls");

	if (!YAJL_IS_STRING(lp) || strcmp(lp->u.string, listener) != 0 || !YAJL_IS_ARRAY(rules))
		return false;
	for (size_t i = 0; i < rules->u.array.len; i++) {
		yajl_val rule = rules->u.array.values[i];
		yajl_val names = oci_json_get(rule, "names");
		yajl_val act = oci_json_get(rule, "action");

		if (!YAJL_IS_ARRAY(names) || !YAJL_IS_STRING(act) ||
		    strcmp(act->u.string, "SCMP_ACT_NOTIFY") != 0)
			continue;
		for (size_t k = 0; k < names->u.array.len; k++)
			if (is_sysinfo(names->u.array.values[k]))
				return true;
	}
	return false;
}
