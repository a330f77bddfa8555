#include "spec_seccomp.h"
#include "jtree.h"
#include "state.h"

#include <errno.h>
#include <string.h>

#define FAIL(err, ...)                                                         \
	({                                                                     \
		*(err) = oci_strdupf(__VA_ARGS__);                             \
		*(err) ? -EINVAL : -ENOMEM;                                    \
	})
#define NOTE(note, ...)                                                        \
	({                                                                     \
		*(note) = oci_strdupf(__VA_ARGS__);                            \
		*(note) ? 0 : -ENOMEM;                                         \
	})

enum verdict { V_ADD, V_DONE, V_SKIP };

static const char *str_of(yajl_val *slot)
{
	return slot && *slot && YAJL_IS_STRING(*slot) ? (*slot)->u.string : NULL;
}

static bool is_sysinfo(yajl_val v)
{
	return YAJL_IS_STRING(v) && strcmp(v->u.string, "sysinfo") == 0;
}

static bool names_sysinfo(yajl_val rule)
{
	yajl_val *names = jt_object_slot(rule, "names");

	if (!names || !YAJL_IS_ARRAY(*names))
		return false;
	for (size_t i = 0; i < (*names)->u.array.len; i++)
		if (is_sysinfo((*names)->u.array.values[i]))
			return true;
	return false;
}

/* What sysinfo gets from this action: let through (so it may be sent to
 * us instead) or not. */
static bool lets_through(const char *action)
{
	return strcmp(action, "SCMP_ACT_ALLOW") == 0 || strcmp(action, "SCMP_ACT_LOG") == 0;
}

/* Decide without touching the tree. V_SKIP may come with *note. */
static int judge(yajl_val sc, const char *sock, char **note, char **err)
{
	yajl_val *lp = jt_object_slot(sc, "listenerPath");
	yajl_val *rules = jt_object_slot(sc, "syscalls");
	const char *path = str_of(lp), *def;
	bool named = false, ours = false;
	int r;

	if (lp && *lp && !YAJL_IS_NULL(*lp) && !path)
		return FAIL(err, "config.json: \"linux\".\"seccomp\".\"listenerPath\" is not a string");
	if (path && path[0] && strcmp(path, sock) != 0) {
		r = NOTE(note, "seccomp profile already sends to another agent (listenerPath %s); "
			       "sysinfo left to it",
			 path);
		return r < 0 ? r : V_SKIP;
	}
	if (rules && *rules && !YAJL_IS_NULL(*rules) && !YAJL_IS_ARRAY(*rules))
		return FAIL(err, "config.json: \"linux\".\"seccomp\".\"syscalls\" is not an array");
	for (size_t i = 0; rules && *rules && YAJL_IS_ARRAY(*rules) && i < (*rules)->u.array.len;
	     i++) {
		yajl_val rule = (*rules)->u.array.values[i];
		yajl_val *args;
		const char *act;

		if (!YAJL_IS_OBJECT(rule) || !names_sysinfo(rule))
			continue;
		named = true;
		act = str_of(jt_object_slot(rule, "action"));
		if (!act)
			return FAIL(err, "config.json: a seccomp rule for sysinfo has no \"action\"");
		args = jt_object_slot(rule, "args");
		if (args && *args && YAJL_IS_ARRAY(*args) && (*args)->u.array.len) {
			r = NOTE(note, "seccomp profile has sysinfo as %s for some arguments only; "
				       "left as it is",
				 act);
			return r < 0 ? r : V_SKIP;
		}
		if (strcmp(act, RT_NOTIFY_ACTION) == 0) {
			ours |= path && strcmp(path, sock) == 0;
			continue;
		}
		if (!lets_through(act)) {
			r = NOTE(note, "seccomp profile gives sysinfo %s; left as it is", act);
			return r < 0 ? r : V_SKIP;
		}
	}
	if (ours)
		return V_DONE;
	def = str_of(jt_object_slot(sc, "defaultAction"));
	if (!named && (!def || !lets_through(def))) {
		r = NOTE(note, "seccomp profile denies sysinfo (defaultAction %s, no rule for it); "
			       "left as it is",
			 def ? def : "missing");
		return r < 0 ? r : V_SKIP;
	}
	return V_ADD;
}

static yajl_val notify_rule(void)
{
	yajl_val rule = jt_object(), names = jt_array();

	if (!rule || !names || jt_array_append(names, jt_string("sysinfo")) < 0) {
		if (names)
			yajl_tree_free(names);
		if (rule)
			yajl_tree_free(rule);
		return NULL;
	}
	if (jt_object_append(rule, "names", names) < 0 ||
	    jt_object_append(rule, "action", jt_string(RT_NOTIFY_ACTION)) < 0) {
		yajl_tree_free(rule);
		return NULL;
	}
	return rule;
}

/* Put val in obj[key], replacing the last member of that name. */
static int set_member(yajl_val obj, const char *key, yajl_val val)
{
	yajl_val *slot = jt_object_slot(obj, key);

	if (!val)
		return -ENOMEM;
	if (!slot)
		return jt_object_append(obj, key, val);
	yajl_tree_free(*slot);
	*slot = val;
	return 0;
}

static int redirect(yajl_val sc, const char *sock)
{
	yajl_val *slot = jt_object_slot(sc, "syscalls");
	yajl_val rules;
	int r;

	if (!slot || !*slot || YAJL_IS_NULL(*slot)) {
		r = set_member(sc, "syscalls", jt_array());
		if (r < 0)
			return r;
		slot = jt_object_slot(sc, "syscalls");
	}
	rules = *slot;
	for (size_t i = rules->u.array.len; i-- > 0;) {
		yajl_val rule = rules->u.array.values[i], names;

		if (!YAJL_IS_OBJECT(rule) || !names_sysinfo(rule))
			continue;
		names = *jt_object_slot(rule, "names");
		for (size_t k = names->u.array.len; k-- > 0;)
			if (is_sysinfo(names->u.array.values[k]))
				jt_array_remove(names, k);
		if (names->u.array.len == 0)
			jt_array_remove(rules, i);
	}
	r = jt_array_append(rules, notify_rule());
	return r < 0 ? r : set_member(sc, "listenerPath", jt_string(sock));
}

int rt_edit_seccomp(yajl_val tree, const struct rt_edit_settings *s, char **note, char **err)
{
	yajl_val *linux_ = jt_object_slot(tree, "linux");
	yajl_val *sc = linux_ ? jt_object_slot(*linux_, "seccomp") : NULL;
	int r;

	/* No profile (privileged, seccomp=unconfined): adding one would
	 * filter what the user asked not to. sysinfo stays the host's. */
	if (!s->seccomp_socket || !sc || !*sc || YAJL_IS_NULL(*sc))
		return 0;
	if (!YAJL_IS_OBJECT(*sc))
		return FAIL(err, "config.json: \"linux\".\"seccomp\" is not an object");
	r = judge(*sc, s->seccomp_socket, note, err);
	if (r < 0 || r != V_ADD)
		return r < 0 ? r : 0;
	if (s->listener_ready && (r = s->listener_ready(s->seccomp_socket, s->listener_data)) < 0) {
		if (s->strict)
			return FAIL(err, "procviewd's seccomp socket %s does not answer (%s)",
				    s->seccomp_socket, strerror(-r));
		r = NOTE(note, "procviewd's seccomp socket %s does not answer (%s); sysinfo stays "
			       "the host's in this container",
			 s->seccomp_socket, strerror(-r));
		return r;
	}
	r = redirect(*sc, s->seccomp_socket);
	return r < 0 ? r : 1;
}
