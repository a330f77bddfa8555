/* The seccomp front end's pure parts: the runtime's message
 * (oci/procstate.c) and profile rewriting (oci/seccomp.c). */
#include "buf.h"
#include "procstate.h"
#include "seccomp.h"
#include "state.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static yajl_val parse(const char *s)
{
	char e[128];

	return yajl_tree_parse(s, e, sizeof(e));
}

/* Rewrite text and parse the result back. */
static yajl_val rewrite(const char *text, const char *sock)
{
	_cleanup_yajl_ yajl_val in = parse(text);
	struct buf out = { 0 };
	yajl_val v = NULL;

	if (in && oci_seccomp_add_notify(in, sock, &out) == 0)
		v = parse(out.data);
	buf_free(&out);
	return v;
}

static size_t count_sysinfo(yajl_val prof, const char *action)
{
	yajl_val rules = oci_json_get(prof, "syscalls");
	size_t n = 0;

	for (size_t i = 0; YAJL_IS_ARRAY(rules) && i < rules->u.array.len; i++) {
		yajl_val names = oci_json_get(rules->u.array.values[i], "names");
		yajl_val act = oci_json_get(rules->u.array.values[i], "action");

		for (size_t k = 0; YAJL_IS_ARRAY(names) && k < names->u.array.len; k++)
			if (strcmp(names->u.array.values[k]->u.string, "sysinfo") == 0 &&
			    (!action || strcmp(act->u.string, action) == 0))
				n++;
	}
	return n;
}

static void test_procstate(void)
{
	static const char runc[] =
		"{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":4242,"
		"\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"abc\",\"status\":\"creating\","
		"\"pid\":4242,\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}}";
	struct oci_procstate ps;
	char *err = NULL;

	ok(oci_procstate_parse(runc, strlen(runc), &ps, &err) == 0, "procstate: runc's message");
	is_str(ps.id, "abc", "procstate: state.id");
	is_u64(ps.pid, 4242, "procstate: pid");
	is_u64(ps.init_pid, 4242, "procstate: state.pid");
	is_u64(ps.seccomp_idx, 0, "procstate: seccompFd is fds[0]");
	oci_procstate_free(&ps);

	/* crun: no bundle, exec-style different pids, metadata. */
	static const char crun[] =
		"{\"ociVersion\":\"0.2.0\",\"fds\":[\"other\",\"seccompFd\"],\"pid\":77,"
		"\"metadata\":\"m\",\"state\":{\"id\":\"x\",\"status\":\"creating\",\"pid\":5}}";
	ok(oci_procstate_parse(crun, strlen(crun), &ps, &err) == 0, "procstate: crun's message");
	is_u64(ps.seccomp_idx, 1, "procstate: seccompFd index 1");
	is_u64(ps.pid, 77, "procstate: caller pid");
	is_u64(ps.init_pid, 5, "procstate: init pid");
	is_str(ps.metadata, "m", "procstate: metadata");
	oci_procstate_free(&ps);

	static const char *const bad[] = {
		"", "[]", "{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"{\"fds\":[\"seccompFd\"],\"state\":{\"id\":\"a\"}}",
		"{\"fds\":[\"seccompFd\"],\"pid\":-3,\"state\":{\"id\":\"a\"}}",
		"{\"fds\":[\"seccompFd\"],\"pid\":3,\"state\":{}}",
		"{\"fds\":[\"seccompFd\"],\"pid\":3}",
		"{\"fds\":\"seccompFd\",\"pid\":3,\"state\":{\"id\":\"a\"}}",
		"{\"fds\":[\"seccompFd\"],\"pid\":3,\"state\":{\"id\":\"a\"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = oci_procstate_parse(bad[i], strlen(bad[i]), &ps, &err);

		ok(r == -EINVAL && err && strncmp(err, "seccomp agent message", 21) == 0,
		   "procstate: bad message %zu refused with one line (%s)", i, err ? err : "-");
		free(err);
		err = NULL;
	}
}

static void test_profiles(void)
{
	struct buf out = { 0 };
	yajl_val v;

	ok(oci_seccomp_minimal("/run/s.sock", &out) == 0, "minimal: generated");
	v = parse(out.data);
	ok(v && strcmp(oci_json_get(v, "defaultAction")->u.string, "SCMP_ACT_ALLOW") == 0,
	   "minimal: allow by default");
	is_u64(count_sysinfo(v, "SCMP_ACT_NOTIFY"), 1, "minimal: sysinfo notified");
	ok(oci_seccomp_has_notify(v, "/run/s.sock"), "minimal: has_notify");
	ok(!oci_seccomp_has_notify(v, "/other.sock"), "has_notify: another socket is not ours");
	yajl_tree_free(v);
	buf_free(&out);

	/* podman/Docker style: sysinfo sits in the big allow list. */
	v = rewrite("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
		    "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}],"
		    "\"listenerPath\":\"/old.sock\","
		    "\"syscalls\":[{\"names\":[\"read\",\"sysinfo\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\","
		    "\"includes\":{},\"excludes\":{}},"
		    "{\"names\":[\"sysinfo\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"X\"]}},"
		    "{\"name\":\"sysinfo\",\"action\":\"SCMP_ACT_ALLOW\"},"
		    "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1.5e0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		    "/run/s.sock");
	ok(v != NULL, "podman profile: rewritten and parses");
	is_u64(count_sysinfo(v, NULL), 1, "podman profile: sysinfo in exactly one rule");
	is_u64(count_sysinfo(v, "SCMP_ACT_NOTIFY"), 1, "podman profile: and it notifies");
	is_str(oci_json_get(v, "listenerPath")->u.string, "/run/s.sock", "listenerPath replaced");
	is_str(oci_json_get(v, "defaultAction")->u.string, "SCMP_ACT_ERRNO", "defaultAction kept");
	ok(YAJL_IS_ARRAY(oci_json_get(v, "archMap")), "archMap kept");
	{
		yajl_val rules = oci_json_get(v, "syscalls");
		yajl_val first = oci_json_get(rules->u.array.values[0], "names");

		is_u64(rules->u.array.len, 3, "rules left only of sysinfo are dropped");
		is_u64(first->u.array.len, 2, "read and write stay in their rule");
		ok(YAJL_IS_OBJECT(oci_json_get(rules->u.array.values[0], "includes")),
		   "includes kept");
		is_str(oci_json_get(oci_json_get(rules->u.array.values[1], "args")->u.array.values[0],
				    "value")->u.number.r,
		       "1.5e0", "numbers copied as written");
	}
	ok(oci_seccomp_has_notify(v, "/run/s.sock"), "podman profile: has_notify");
	yajl_tree_free(v);

	v = rewrite("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", "/s");
	is_u64(count_sysinfo(v, "SCMP_ACT_NOTIFY"), 1, "no syscalls key: one is added");
	yajl_tree_free(v);
	v = rewrite("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":null}", "/s");
	is_u64(count_sysinfo(v, "SCMP_ACT_NOTIFY"), 1, "syscalls null: one is added");
	yajl_tree_free(v);

	{
		_cleanup_yajl_ yajl_val a = parse("[1]");
		_cleanup_yajl_ yajl_val b = parse("{\"syscalls\":\"x\"}");

		ok(oci_seccomp_add_notify(a, "/s", &out) == -EINVAL, "not an object: -EINVAL");
		ok(oci_seccomp_add_notify(b, "/s", &out) == -EINVAL, "syscalls not an array: -EINVAL");
		buf_free(&out);
	}
}

int main(void)
{
	test_procstate();
	test_profiles();
	return done_testing();
}
