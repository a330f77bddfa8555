/* procview-runtime: argv scanning, runtime.conf, the config.json edit,
 * the atomic write and the search for the real runtime. */
#include "argv.h"
#include "bundle.h"
#include "conf.h"
#include "find.h"
#include "jtree.h"
#include "spec.h"
#include "state.h"
#include "tap.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define HOOK "/usr/libexec/procview/procview-hook"

/* ---- argv ---- */

static struct rt_argv scan(int argc, const char **argv)
{
	struct rt_argv a;

	ok(rt_argv_parse(argc, (char **)argv, &a) == 0, "argv: parses");
	return a;
}
#define SCAN(...)                                                              \
	({                                                                     \
		static const char *v_[] = { "procview-runtime", __VA_ARGS__ }; \
		scan((int)ARRAY_SIZE(v_), v_);                                 \
	})

static void test_argv(void)
{
	struct rt_argv a;

	/* What containerd's runc v2 shim and Docker run. */
	a = SCAN("--root", "/run/containerd/runc/k8s.io", "--log", "/run/x/log.json",
		 "--log-format", "json", "--systemd-cgroup", "create", "--bundle", "/run/b",
		 "--pid-file", "/run/b/init.pid", "cid");
	ok(a.edit && a.command == 8, "argv: global options before create are skipped");
	is_str(a.bundle, "/run/b", "argv: --bundle DIR");
	ok(a.first == 1 && !a.runtime && !a.strict, "argv: no procview options");
	rt_argv_free(&a);

	/* A global option whose value is a command name is still a value. */
	a = SCAN("--root", "create", "--log=run", "state", "x");
	ok(!a.edit && a.command == 4, "argv: a global option's value is not the command");
	rt_argv_free(&a);
	a = SCAN("-root", "/r", "--debug", "run", "-b", "/b1", "x");
	ok(a.edit && a.command == 4, "argv: single-dash global option and a flag");
	is_str(a.bundle, "/b1", "argv: run -b DIR");
	rt_argv_free(&a);

	a = SCAN("create", "--bundle=/b2", "x");
	is_str(a.bundle, "/b2", "argv: --bundle=DIR");
	rt_argv_free(&a);
	a = SCAN("create", "-b=/b3", "x");
	is_str(a.bundle, "/b3", "argv: -b=DIR");
	rt_argv_free(&a);
	a = SCAN("create", "-bundle", "/b4", "x");
	is_str(a.bundle, "/b4", "argv: -bundle DIR");
	rt_argv_free(&a);
	a = SCAN("create", "-b/b5", "x");
	is_str(a.bundle, "/b5", "argv: -bDIR (crun)");
	rt_argv_free(&a);
	a = SCAN("create", "x", "--bundle", "/b6");
	is_str(a.bundle, "/b6", "argv: options after the id (crun)");
	rt_argv_free(&a);
	a = SCAN("create", "--bundle", "/first", "--bundle", "/last", "x");
	is_str(a.bundle, "/last", "argv: the last --bundle wins");
	rt_argv_free(&a);
	a = SCAN("create", "--pid-file", "-b", "x");
	ok(a.edit && a.bundle == NULL, "argv: a value of --pid-file is not -b");
	rt_argv_free(&a);
	a = SCAN("create", "--console-socket", "/s", "x");
	ok(a.edit && a.bundle == NULL, "argv: no bundle means the working directory");
	rt_argv_free(&a);
	a = SCAN("create", "--", "-b", "/nope");
	ok(a.bundle == NULL, "argv: -- ends the options");
	rt_argv_free(&a);
	a = SCAN("create", "--config", "/other.json", "x");
	ok(a.other_config, "argv: crun --config is noticed");
	rt_argv_free(&a);

	static const char *const others[] = { "state", "kill", "delete", "exec", "features",
					      "start", "ps", "update", "checkpoint", "--version",
					      "-v", "--help", "spec" };
	int passed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		const char *v[] = { "procview-runtime", "--root", "/r", others[i], "-b", "/b",
				    "id" };
		struct rt_argv o;

		rt_argv_parse((int)ARRAY_SIZE(v), (char **)v, &o);
		passed += !o.edit && o.bundle == NULL;
		rt_argv_free(&o);
	}
	ok(passed == (int)ARRAY_SIZE(others), "argv: %d non-create commands are not edited",
	   passed);
	a = SCAN("--root", "/r");
	ok(a.command == -1 && !a.edit, "argv: no command at all");
	rt_argv_free(&a);

	/* Our own options: leading only, removed before the exec. */
	a = SCAN("--procview-runtime", "/usr/bin/crun", "--procview-hook=/h",
		 "--procview-hook-arg", "--mountpoint=/m", "--procview-hook-arg=--record-dir=/r",
		 "--procview-strict", "--root", "/x", "create", "id");
	is_str(a.runtime, "/usr/bin/crun", "argv: --procview-runtime PATH");
	is_str(a.hook, "/h", "argv: --procview-hook=PATH");
	ok(a.n_hook_args == 2 && strcmp(a.hook_args[0], "--mountpoint=/m") == 0 &&
		   strcmp(a.hook_args[1], "--record-dir=/r") == 0,
	   "argv: --procview-hook-arg twice, both forms, in order");
	ok(a.strict, "argv: --procview-strict");
	ok(a.first == 8 && a.command == 10 && a.edit, "argv: runtime arguments start after ours");
	rt_argv_free(&a);
	a = SCAN("--procview-bogus", "state", "--procview-strict");
	is_str(a.unknown, "--procview-bogus", "argv: an unknown --procview option is reported");
	ok(a.first == 2 && !a.strict, "argv: only leading --procview options are ours");
	rt_argv_free(&a);
	a = SCAN("--procview-runtime");
	is_str(a.missing_value, "--procview-runtime", "argv: a missing value is reported");
	rt_argv_free(&a);
	a = SCAN("--procview-seccomp-socket", "/run/x.sock", "--procview-no-sysinfo", "create", "id");
	is_str(a.seccomp_socket, "/run/x.sock", "argv: --procview-seccomp-socket PATH");
	ok(a.no_sysinfo && a.edit && a.first == 4, "argv: --procview-no-sysinfo");
	rt_argv_free(&a);
}

/* ---- runtime.conf ---- */

static void test_conf(void)
{
	static const char good[] = "# procview-runtime\n\n"
				   "runtime = /usr/sbin/runc\n"
				   "  hook=/opt/pv/procview-hook  \r\n"
				   "hook-arg = --mountpoint=/var/lib/pv\n"
				   "hook-arg = --record-dir=/run/x y\n"
				   "strict = yes";
	struct rt_conf c;
	_cleanup_free_ char *err = NULL;

	ok(rt_conf_parse(good, strlen(good), &c, &err) == 0 && !err, "conf: a good file parses");
	is_str(c.runtime, "/usr/sbin/runc", "conf: runtime");
	is_str(c.hook, "/opt/pv/procview-hook", "conf: hook, blanks and CR trimmed");
	ok(c.n_hook_args == 2 && strcmp(c.hook_args[1], "--record-dir=/run/x y") == 0,
	   "conf: hook-arg repeated, inner blanks kept");
	ok(c.strict == 1, "conf: strict = yes");
	rt_conf_free(&c);

	static const char bad[] = "runtime = crun\nnonsense\nhook = relative\nfoo = 1\n"
				  "strict = maybe\nhook-arg = -x\n";
	ok(rt_conf_parse(bad, strlen(bad), &c, &err) == -EINVAL, "conf: bad lines are reported");
	is_str(err, "line 2: no '=' in the line", "conf: the first bad line, by number");
	is_str(c.runtime, "crun", "conf: good lines before a bad one are kept");
	ok(c.n_hook_args == 1 && !c.hook && c.strict == -1,
	   "conf: good lines after it too; a relative hook and a bad strict are not");
	rt_conf_free(&c);
	free(steal_pointer(&err));

	ok(rt_conf_parse("", 0, &c, &err) == 0 && !c.runtime && c.strict == -1,
	   "conf: an empty file is no settings");
	rt_conf_free(&c);
	ok(rt_conf_parse("a\0b", 3, &c, &err) == -EINVAL && err, "conf: a NUL byte is refused");
	rt_conf_free(&c);
	free(steal_pointer(&err));
	ok(rt_conf_load("/nonexistent/runtime.conf", &c, &err) == 0 && !err,
	   "conf: a missing file is fine");
	rt_conf_free(&c);

	static const char sc[] = "sysinfo = false\nseccomp-socket = /run/pv/x.sock\n";
	ok(rt_conf_parse(sc, strlen(sc), &c, &err) == 0 && c.sysinfo == 0,
	   "conf: sysinfo = false turns the seccomp edit off");
	is_str(c.seccomp_socket, "/run/pv/x.sock", "conf: seccomp-socket");
	rt_conf_free(&c);
	ok(rt_conf_parse("x=1", 3, &c, &err) == -EINVAL && c.sysinfo == -1,
	   "conf: sysinfo unset by default");
	rt_conf_free(&c);
	free(steal_pointer(&err));
	static const char badsc[] = "sysinfo = sometimes\nseccomp-socket = run/x\n";
	ok(rt_conf_parse(badsc, strlen(badsc), &c, &err) == -EINVAL && err &&
		   strstr(err, "line 1: sysinfo wants true or false") && c.sysinfo == -1 &&
		   !c.seccomp_socket,
	   "conf: a bad sysinfo and a relative seccomp-socket are refused");
	rt_conf_free(&c);
	free(steal_pointer(&err));
}

/* ---- config.json edit ---- */

static const struct rt_edit_settings settings = {
	.hook = HOOK,
	.hook_args = (const char *const[]){ "--mountpoint=/m" },
	.n_hook_args = 1,
};

static int edit(const char *json, char **out, const char **why, char **err)
{
	_cleanup_free_ char *note = NULL;
	size_t n;

	*out = NULL;
	return rt_spec_edit_text(json, strlen(json), &settings, out, &n, why, &note, err);
}

static bool equal(yajl_val a, yajl_val b);

static bool equal_object(yajl_val a, yajl_val b, const char *skip)
{
	size_t j = 0;

	for (size_t i = 0; i < a->u.object.len; i++) {
		if (skip && strcmp(a->u.object.keys[i], skip) == 0)
			continue;
		while (j < b->u.object.len && skip && strcmp(b->u.object.keys[j], skip) == 0)
			j++;
		if (j >= b->u.object.len || strcmp(a->u.object.keys[i], b->u.object.keys[j]) != 0 ||
		    !equal(a->u.object.values[i], b->u.object.values[j]))
			return false;
		j++;
	}
	while (j < b->u.object.len && skip && strcmp(b->u.object.keys[j], skip) == 0)
		j++;
	return j == b->u.object.len;
}

/* Same shape, same key order, same number text, same strings. */
static bool equal(yajl_val a, yajl_val b)
{
	if (!a || !b || a->type != b->type)
		return a == b;
	switch (a->type) {
	case yajl_t_string:
		return strcmp(a->u.string, b->u.string) == 0;
	case yajl_t_number:
		return strcmp(a->u.number.r, b->u.number.r) == 0;
	case yajl_t_object:
		return equal_object(a, b, NULL);
	case yajl_t_array:
		if (a->u.array.len != b->u.array.len)
			return false;
		for (size_t i = 0; i < a->u.array.len; i++)
			if (!equal(a->u.array.values[i], b->u.array.values[i]))
				return false;
		return true;
	default:
		return true;
	}
}

static yajl_val parse(const char *s)
{
	return yajl_tree_parse(s, NULL, 0);
}

static yajl_val get(yajl_val v, const char *path)
{
	const char *p[] = { path, NULL };
	char buf[256];
	char *save = NULL, *k;

	(void)p;
	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		yajl_val *s = jt_object_slot(v, k);

		v = s ? *s : NULL;
	}
	return v;
}

static size_t len_of(yajl_val arr)
{
	return arr && YAJL_IS_ARRAY(arr) ? arr->u.array.len : (size_t)-1;
}

/* The i-th hook of a stage is ours, with these args. */
static bool is_ours(yajl_val arr, size_t i, const char *stage)
{
	yajl_val h, args;

	if (!arr || i >= len_of(arr))
		return false;
	h = arr->u.array.values[i];
	args = get(h, "args");
	return get(h, "path") && strcmp(get(h, "path")->u.string, HOOK) == 0 && len_of(args) == 3 &&
	       strcmp(args->u.array.values[0]->u.string, "procview-hook") == 0 &&
	       strcmp(args->u.array.values[1]->u.string, stage) == 0 &&
	       strcmp(args->u.array.values[2]->u.string, "--mountpoint=/m") == 0 &&
	       get(h, "timeout") && YAJL_IS_INTEGER(get(h, "timeout"));
}

/* A docker-like config: odd numbers, escapes, unicode, duplicate keys. */
static const char docker_like[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
	"\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\\t\\u00e9\\u2603 \\/ \\\\\"],"
	"\"env\":[\"PATH=/usr/bin\",\"HOSTNAME=abc\"],\"cwd\":\"/\"},"
	"\"root\":{\"path\":\"/var/lib/docker/overlay2/x/merged\"},\"hostname\":\"abc\","
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]}],"
	"\"hooks\":{\"prestart\":[{\"path\":\"/proc/1/exe\",\"args\":[\"libnetwork-setkey\",\"-exec-root=/x\","
	"\"abc\",\"def\"]}],\"poststop\":[{\"path\":\"/usr/bin/other\"}]},"
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864,\"swap\":-1,"
	"\"kernel\":18446744073709551615},\"cpu\":{\"shares\":1024,\"quota\":150000,"
	"\"period\":100000,\"realtimeRuntime\":0.0,\"cpus\":\"0-1\"},\"pids\":{\"limit\":1e3}},"
	"\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/var/run/netns/x\"}],"
	"\"maskedPaths\":[],\"seccomp\":null,\"sysctl\":{}},\"dup\":1,\"dup\":2}";

static void test_edit(void)
{
	_cleanup_free_ char *out = NULL, *out2 = NULL, *err = NULL;
	_cleanup_yajl_ yajl_val before = parse(docker_like), after = NULL;
	const char *why = NULL;
	yajl_val hooks;

	ok(before != NULL, "edit: the fixture is valid JSON");
	ok(edit(docker_like, &out, &why, &err) == 1 && out, "edit: a Docker config is edited");
	after = out ? parse(out) : NULL;
	hooks = get(after, "hooks");
	ok(hooks && len_of(get(hooks, "createRuntime")) == 1 &&
		   is_ours(get(hooks, "createRuntime"), 0, "createRuntime"),
	   "edit: procview-hook added at createRuntime with its args");
	ok(len_of(get(hooks, "poststop")) == 2 && is_ours(get(hooks, "poststop"), 1, "poststop") &&
		   strcmp(get(get(hooks, "poststop")->u.array.values[0], "path")->u.string,
			  "/usr/bin/other") == 0,
	   "edit: poststop keeps the existing hook first, ours after it");
	ok(len_of(get(hooks, "prestart")) == 1 &&
		   equal(get(hooks, "prestart"), get(get(before, "hooks"), "prestart")),
	   "edit: Docker's prestart hook untouched");
	ok(after && equal_object(before, after, "hooks"),
	   "edit: everything but hooks is the same, key order, numbers and strings included");
	ok(out && strstr(out, "18446744073709551615") && strstr(out, "\"limit\":1e3") &&
		   strstr(out, "\"realtimeRuntime\":0.0") && strstr(out, "\"swap\":-1"),
	   "edit: numbers keep their text (2^64-1, 1e3, 0.0, -1)");
	ok(out && strstr(out, "\"dup\":1,\"dup\":2"), "edit: duplicate keys kept, in order");
	ok(out && strstr(out, "\"seccomp\":null") && strstr(out, "\"maskedPaths\":[]") &&
		   strstr(out, "\"sysctl\":{}"),
	   "edit: null, empty array and empty object kept");

	/* Idempotent: a second pass finds the hooks and changes nothing. */
	ok(out && edit(out, &out2, &why, &err) == 0 && out2 == NULL && !err,
	   "edit: a config that has the hook is left as it is");
	free(steal_pointer(&out));

	ok(edit("{\"ociVersion\":\"1\"}", &out, &why, &err) == 1 && out &&
		   strstr(out, "\"hooks\":{\"createRuntime\":[{\"path\""),
	   "edit: no hooks at all: a hooks object is added");
	free(steal_pointer(&out));
	ok(edit("{\"hooks\":null,\"x\":1}", &out, &why, &err) == 1 && out &&
		   strstr(out, "{\"hooks\":{\"createRuntime\""),
	   "edit: \"hooks\": null is replaced in place");
	free(steal_pointer(&out));
	ok(edit("{\"hooks\":{\"createRuntime\":null}}", &out, &why, &err) == 1 && out &&
		   strstr(out, "\"createRuntime\":[{"),
	   "edit: a null stage is replaced");
	free(steal_pointer(&out));

	/* The hook present in one stage only: only the other is added. */
	ok(edit("{\"hooks\":{\"prestart\":[{\"path\":\"/opt/x/procview-hook\"}]}}", &out, &why,
		&err) == 1 &&
		   out && !strstr(out, "createRuntime") && strstr(out, "\"poststop\":[{"),
	   "edit: procview-hook at prestart (any path) counts for createRuntime");
	free(steal_pointer(&out));
	ok(edit("{\"hooks\":{\"poststop\":[{\"path\":\"" HOOK "\"}]}}", &out, &why, &err) == 1 &&
		   out && strstr(out, "createRuntime") && strstr(out, "\"poststop\":[{\"path\":\"" HOOK "\"}]"),
	   "edit: present at poststop only: createRuntime added, poststop left");
	free(steal_pointer(&out));

	/* Opt-outs. */
	ok(edit("{\"annotations\":{\"io.procview.disable\":\"true\"}}", &out, &why, &err) == 0 &&
		   !out && why && strstr(why, "io.procview.disable"),
	   "edit: io.procview.disable=true: no edit");
	ok(edit("{\"annotations\":{\"io.procview.disable\":\"false\"}}", &out, &why, &err) == 1,
	   "edit: io.procview.disable=false: edited");
	free(steal_pointer(&out));
	ok(edit("{\"process\":{\"env\":[\"A=1\",\"PROCVIEW=off\"]}}", &out, &why, &err) == 0 &&
		   !out && why && strstr(why, "PROCVIEW=off"),
	   "edit: PROCVIEW=off in process.env: no edit");
	ok(edit("{\"process\":{\"env\":[\"PROCVIEW=off\",\"PROCVIEW=on\"]}}", &out, &why, &err) ==
		   1,
	   "edit: the last PROCVIEW= wins");
	free(steal_pointer(&out));
	ok(edit("{\"process\":{\"env\":[\"PROCVIEWX=off\",\"XPROCVIEW=off\"]}}", &out, &why,
		&err) == 1,
	   "edit: other variables do not opt out");
	free(steal_pointer(&out));

	/* Bad input: one line, nothing produced. */
	static const struct {
		const char *json, *want, *name;
	} bad[] = {
		{ "{\"ociVersion\":", "config.json: ", "truncated" },
		{ "[1,2]", "not a JSON object", "not an object" },
		{ "", "empty input", "empty" },
		{ "{\"hooks\":[]}", "\"hooks\" is not an object", "hooks an array" },
		{ "{\"hooks\":{\"poststop\":{}}}", "\"hooks\".\"poststop\" is not an array",
		  "a stage an object" },
		{ "{\"a\":\"x\\u0000y\"}", "\\u0000", "\\u0000 in a string" },
		{ "{\"a\":\"\xff\xfe\"}", "config.json: ", "invalid UTF-8" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = edit(bad[i].json, &out, &why, &err);

		ok(r == -EINVAL && !out && err && strstr(err, bad[i].want) && !strchr(err, '\n'),
		   "edit: bad input refused in one line: %s", bad[i].name);
		if (!(err && strstr(err, bad[i].want)))
			printf("#   got: '%s'\n", err ? err : "(null)");
		free(steal_pointer(&out));
		free(steal_pointer(&err));
	}
}

/* Big and odd: deep nesting at and past the limit, a 6 MB config. */
static void test_edit_big(void)
{
	_cleanup_free_ char *deep = malloc(2 * JT_MAX_DEPTH + 64), *out = NULL, *err = NULL;
	_cleanup_free_ char *big = NULL;
	const char *why;
	size_t n = 0, len;

	n += (size_t)sprintf(deep, "{\"x\":");
	for (int i = 1; i < JT_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 1; i < JT_MAX_DEPTH; i++)
		deep[n++] = ']';
	strcpy(deep + n, "}");
	ok(edit(deep, &out, &why, &err) == 1, "big: nesting at the limit is edited");
	free(steal_pointer(&out));
	memmove(deep + 6, deep + 5, strlen(deep + 5) + 1);
	deep[5] = '[';
	strcat(deep, "]");
	deep[strlen(deep) - 2] = ']', deep[strlen(deep) - 1] = '}';
	ok(edit(deep, &out, &why, &err) == -EINVAL && err && strstr(err, "nested too deeply"),
	   "big: nesting past the limit is refused");
	free(steal_pointer(&err));
	ok(edit("{\"a\":\"[[[[\\\"{{{{\",\"b\":1}", &out, &why, &err) == 1,
	   "big: brackets and escaped quotes inside strings do not count as nesting");
	free(steal_pointer(&out));

	/* Big: 2,000 rules and 40 strings of 100 KB (yajl grows arrays one
	 * element at a time, which ASAN makes quadratic: keep counts modest). */
	len = 64 + 2000 * 60 + 40 * 100020;
	big = malloc(len);
	n = (size_t)sprintf(big, "{\"linux\":{\"seccomp\":{\"syscalls\":[");
	for (int i = 0; i < 2000; i++)
		n += (size_t)sprintf(big + n, "%s{\"names\":[\"s%06d\"],\"action\":\"SCMP_ACT_ALLOW\"}",
				     i ? "," : "", i);
	n += (size_t)sprintf(big + n, "]}},\"annotations\":{");
	for (int i = 0; i < 40; i++) {
		n += (size_t)sprintf(big + n, "%s\"k%d\":\"", i ? "," : "", i);
		memset(big + n, 'a' + i % 26, 100000);
		n += 100000;
		big[n++] = '"';
	}
	n += (size_t)sprintf(big + n, "}}");
	{
		_cleanup_yajl_ yajl_val a = parse(big), b = NULL;

		ok(edit(big, &out, &why, &err) == 1 && out, "big: a %zu-byte config is edited", n);
		b = out ? parse(out) : NULL;
		ok(a && b && equal_object(a, b, "hooks"), "big: and comes back the same");
	}
}

/* ---- the seccomp edit: sysinfo to procviewd ---- */

#define SOCK "/run/procview/seccomp.sock"

static int listener_calls, listener_result;
static int fake_listener(const char *path, void *data)
{
	(void)data;
	listener_calls++;
	return strcmp(path, SOCK) == 0 ? listener_result : -EINVAL;
}

static const struct rt_edit_settings sc_settings = {
	.hook = HOOK,
	.hook_args = (const char *const[]){ "--mountpoint=/m" },
	.n_hook_args = 1,
	.seccomp_socket = SOCK,
	.listener_ready = fake_listener,
};

/* Edit json with sc_settings; *after the parsed result (NULL when
 * unchanged), *note the note. Returns rt_spec_edit_text's value. */
static int sc_edit(const char *json, yajl_val *after, char **note, char **err)
{
	_cleanup_free_ char *out = NULL;
	const char *why;
	size_t n;
	int r;

	*after = NULL;
	listener_calls = 0;
	r = rt_spec_edit_text(json, strlen(json), &sc_settings, &out, &n, &why, note, err);
	if (r == 1 && out)
		*after = parse(out);
	return r;
}

static bool names_has(yajl_val rule, const char *name)
{
	yajl_val names = get(rule, "names");

	for (size_t i = 0; names && YAJL_IS_ARRAY(names) && i < names->u.array.len; i++)
		if (YAJL_IS_STRING(names->u.array.values[i]) &&
		    strcmp(names->u.array.values[i]->u.string, name) == 0)
			return true;
	return false;
}

/* How many rules name sysinfo, and whether the only one is our NOTIFY. */
static size_t sysinfo_rules(yajl_val rules, bool *ours_only)
{
	size_t n = 0;

	*ours_only = true;
	for (size_t i = 0; i < len_of(rules) && len_of(rules) != (size_t)-1; i++) {
		yajl_val r = rules->u.array.values[i], act = get(r, "action");

		if (!names_has(r, "sysinfo"))
			continue;
		n++;
		if (len_of(get(r, "names")) != 1 || !act || !YAJL_IS_STRING(act) ||
		    strcmp(act->u.string, "SCMP_ACT_NOTIFY") != 0 || get(r, "args"))
			*ours_only = false;
	}
	return n;
}

/* The shape of Docker 20.10's config.json profile, trimmed: errno by
 * default, one long allow list (sysinfo in it), rules with arguments. */
static const char docker_seccomp[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"free\"]},"
	"\"root\":{\"path\":\"/r\"},\"hooks\":{},\"linux\":{\"resources\":{},"
	"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
	"\"syscalls\":[{\"names\":[\"accept\",\"read\",\"syncfs\",\"sysinfo\",\"tee\",\"write\"],"
	"\"action\":\"SCMP_ACT_ALLOW\"},"
	"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	"\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]},"
	"{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]},"
	"\"maskedPaths\":[\"/proc/kcore\"]}}";

static void test_edit_seccomp(void)
{
	_cleanup_yajl_ yajl_val before = parse(docker_seccomp);
	char *note = NULL, *err = NULL;
	yajl_val after, rules, allow;
	bool ours;

	/* 1. Docker's default profile. */
	listener_result = 0;
	ok(sc_edit(docker_seccomp, &after, &note, &err) == 1 && after,
	   "seccomp: Docker's default profile is edited");
	rules = get(after, "linux.seccomp.syscalls");
	allow = len_of(rules) == 4 ? rules->u.array.values[0] : NULL;
	ok(sysinfo_rules(rules, &ours) == 1 && ours,
	   "seccomp: sysinfo is named by one rule only, SCMP_ACT_NOTIFY");
	ok(allow && len_of(get(allow, "names")) == 5 && !names_has(allow, "sysinfo") &&
		   names_has(allow, "syncfs") && names_has(allow, "tee"),
	   "seccomp: sysinfo left the allow list, the rest of it stayed");
	is_str(get(after, "linux.seccomp.listenerPath") ?
		       get(after, "linux.seccomp.listenerPath")->u.string : NULL,
	       SOCK, "seccomp: listenerPath is procviewd's socket");
	ok(len_of(rules) == 4 &&
		   equal(rules->u.array.values[1],
			 get(before, "linux.seccomp.syscalls")->u.array.values[1]) &&
		   equal(rules->u.array.values[2],
			 get(before, "linux.seccomp.syscalls")->u.array.values[2]) &&
		   equal(get(after, "linux.seccomp.defaultAction"),
			 get(before, "linux.seccomp.defaultAction")) &&
		   equal(get(after, "linux.seccomp.architectures"),
			 get(before, "linux.seccomp.architectures")),
	   "seccomp: the other rules, defaultAction and architectures are unchanged");
	ok(is_ours(get(after, "hooks.createRuntime"), 0, "createRuntime"),
	   "seccomp: the hook is added as well");
	ok(listener_calls == 1 && !note, "seccomp: the listener was asked once; no note");
	{
		_cleanup_free_ char *again = NULL, *out2 = NULL, *n2 = NULL, *e2 = NULL;
		const char *why;
		size_t len, len2;

		ok(after && jt_generate(after, &again, &len) == 0 &&
			   rt_spec_edit_text(again, len, &sc_settings, &out2, &len2, &why, &n2,
					     &e2) == 0,
		   "seccomp: an edited config needs nothing more");
	}
	yajl_tree_free(after);

	/* 2. No profile: privileged, seccomp=unconfined. */
	ok(sc_edit("{\"linux\":{\"resources\":{}},\"hooks\":{}}", &after, &note, &err) == 1 &&
		   !get(after, "linux.seccomp") && listener_calls == 0 && !note,
	   "seccomp: no linux.seccomp: none is added, the listener is not asked");
	yajl_tree_free(after);
	ok(sc_edit("{\"linux\":{\"seccomp\":null}}", &after, &note, &err) == 1 &&
		   get(after, "linux") && YAJL_IS_NULL(*jt_object_slot(get(after, "linux"), "seccomp")),
	   "seccomp: \"seccomp\": null stays null");
	yajl_tree_free(after);
	ok(sc_edit("{\"process\":{}}", &after, &note, &err) == 1 && !get(after, "linux"),
	   "seccomp: no linux at all: none is added");
	yajl_tree_free(after);

	/* 3. Another agent's listener. */
	{
		static const char other[] =
			"{\"hooks\":{\"createRuntime\":[{\"path\":\"/x/procview-hook\"}],"
			"\"poststop\":[{\"path\":\"/x/procview-hook\"}]},\"linux\":{\"seccomp\":"
			"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/other.sock\","
			"\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}";

		ok(sc_edit(other, &after, &note, &err) == 0 && !after && listener_calls == 0,
		   "seccomp: another agent's listenerPath: left alone");
		ok(note && strstr(note, "/run/other.sock") && !strchr(note, '\n'),
		   "seccomp: ... with a one-line note naming it");
		free(steal_pointer(&note));
	}

	/* 4. sysinfo already allowed, twice, defaultAction allow. */
	{
		static const char twice[] =
			"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			"\"syscalls\":[{\"names\":[\"sysinfo\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			"{\"names\":[\"getpid\",\"sysinfo\",\"sysinfo\"],\"action\":\"SCMP_ACT_LOG\"}],"
			"\"listenerPath\":\"\"}}}";

		ok(sc_edit(twice, &after, &note, &err) == 1 && after, "seccomp: allowed twice: edited");
		rules = get(after, "linux.seccomp.syscalls");
		ok(len_of(rules) == 2 && sysinfo_rules(rules, &ours) == 1 && ours &&
			   names_has(rules->u.array.values[0], "getpid") &&
			   len_of(get(rules->u.array.values[0], "names")) == 1,
		   "seccomp: a rule left empty goes, getpid keeps its rule, one NOTIFY rule");
		is_str(get(after, "linux.seccomp.listenerPath") ?
			       get(after, "linux.seccomp.listenerPath")->u.string : NULL,
		       SOCK, "seccomp: an empty listenerPath is replaced");
		yajl_tree_free(after);
	}
	ok(sc_edit("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", &after,
		   &note, &err) == 1 &&
		   sysinfo_rules(get(after, "linux.seccomp.syscalls"), &ours) == 1 && ours,
	   "seccomp: allow by default and no syscalls: the rule list is made");
	yajl_tree_free(after);

	/* 5. Profiles that deny sysinfo keep doing so. */
	{
		static const char *const denied[] = {
			"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
			"[{\"names\":[\"sysinfo\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
			"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
			"[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
			"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
			"[{\"names\":[\"sysinfo\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
			"\"value\":0,\"op\":\"SCMP_CMP_NE\"}]}]}}}",
		};
		int left = 0;

		for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
			_cleanup_yajl_ yajl_val orig = parse(denied[i]);

			if (sc_edit(denied[i], &after, &note, &err) == 1 && after &&
			    equal(get(after, "linux"), get(orig, "linux")) && note &&
			    listener_calls == 0)
				left++;
			yajl_tree_free(after);
			free(steal_pointer(&note));
		}
		ok(left == 3, "seccomp: errno rule, errno by default, a conditional rule: left "
			      "as they are, with a note (%d of 3)",
		   left);
	}

	/* 6. The listener does not answer: no listenerPath (the runtime would
	 * fail the container), the hook is still added. */
	listener_result = -ECONNREFUSED;
	ok(sc_edit(docker_seccomp, &after, &note, &err) == 1 && after &&
		   equal(get(after, "linux"), get(before, "linux")) &&
		   is_ours(get(after, "hooks.createRuntime"), 0, "createRuntime"),
	   "seccomp: the socket does not answer: profile unchanged, hook added");
	ok(note && strstr(note, SOCK) && strstr(note, "does not answer") && listener_calls == 1,
	   "seccomp: ... with a note");
	free(steal_pointer(&note));
	yajl_tree_free(after);
	{
		static const bool down = true;
		struct rt_edit_settings d = sc_settings;
		_cleanup_free_ char *out = NULL, *n5 = NULL;
		_cleanup_yajl_ yajl_val a = NULL;
		yajl_val args;
		const char *why;
		size_t len;

		d.daemon_down = &down;
		ok(rt_spec_edit_text(docker_seccomp, strlen(docker_seccomp), &d, &out, &len, &why,
				     &n5, &err) == 1 &&
			   (a = parse(out)) &&
			   (args = get(get(a, "hooks.createRuntime")->u.array.values[0], "args")) &&
			   len_of(args) == 4 &&
			   strcmp(args->u.array.values[3]->u.string, "--no-start") == 0,
		   "seccomp: the daemon could not be started: the hook gets --no-start");
	}
	{
		struct rt_edit_settings strict = sc_settings;
		_cleanup_free_ char *out = NULL, *n4 = NULL;
		const char *why;
		size_t len;

		strict.strict = true;
		ok(rt_spec_edit_text(docker_seccomp, strlen(docker_seccomp), &strict, &out, &len,
				     &why, &n4, &err) == -EINVAL &&
			   err && strstr(err, "does not answer"),
		   "seccomp: ... and an error in strict mode");
		free(steal_pointer(&err));
	}
	listener_result = 0;

	/* 7. Turned off: sysinfo = false (no socket in the settings). */
	{
		_cleanup_free_ char *out = NULL, *n3 = NULL;
		_cleanup_yajl_ yajl_val a = NULL;
		const char *why;
		size_t len;

		ok(rt_spec_edit_text(docker_seccomp, strlen(docker_seccomp), &settings, &out, &len,
				     &why, &n3, &err) == 1 &&
			   (a = parse(out)) && equal(get(a, "linux"), get(before, "linux")),
		   "seccomp: sysinfo turned off: the profile is not touched");
	}

	/* 8. Shapes runc would refuse anyway: reported, nothing written. */
	{
		static const char *const bad[] = {
			"{\"linux\":{\"seccomp\":\"x\"}}",
			"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}}}",
			"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":1}}}",
			"{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"sysinfo\"]}]}}}",
		};
		int refused = 0;

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			if (sc_edit(bad[i], &after, &note, &err) == -EINVAL && err && !after &&
			    strncmp(err, "config.json: ", 13) == 0)
				refused++;
			free(steal_pointer(&err));
			free(steal_pointer(&note));
		}
		ok(refused == 4, "seccomp: wrong types are refused with one line (%d of 4)", refused);
	}
}

/* ---- atomic write ---- */

static void test_bundle(void)
{
	char dir[] = "/tmp/pv-test-runtime.XXXXXX";
	char path[256];
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct stat st, st2;
	int fd, entries = 0;
	DIR *d;
	struct dirent *de;

	if (!mkdtemp(dir)) {
		ok(0, "bundle: mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/config.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	ok(fd >= 0 && write(fd, "{}", 2) == 2, "bundle: fixture written");
	close(fd);
	chmod(path, 0640);
	ok(rt_bundle_read(dir, &text, &len, &st) == 0 && len == 2, "bundle: read");
	ok(rt_bundle_write(dir, "{\"a\":1}", 7, &st) == 0, "bundle: written");
	ok(stat(path, &st2) == 0 && (st2.st_mode & 07777) == 0640 && st2.st_size == 7 &&
		   st2.st_ino != st.st_ino,
	   "bundle: replaced by a new file of the same mode (0640)");
	d = opendir(dir);
	while (d && (de = readdir(d)))
		entries += de->d_name[0] != '.' || strncmp(de->d_name, ".config", 7) == 0;
	if (d)
		closedir(d);
	ok(entries == 1, "bundle: no temporary file left behind");
	free(steal_pointer(&text));
	ok(rt_bundle_read("/nonexistent/bundle", &text, &len, &st) == -ENOENT,
	   "bundle: a missing bundle is -ENOENT");
	unlink(path);
	mkdir(path, 0700);
	ok(rt_bundle_read(dir, &text, &len, &st) == -EINVAL, "bundle: config.json a directory");
	rmdir(path);
	rmdir(dir);
}

/* ---- finding the real runtime ---- */

static void test_find(void)
{
	char dir[] = "/tmp/pv-test-find.XXXXXX";
	char a[256], b[256], self_path[256], path_env[600];
	_cleanup_free_ char *out = NULL;
	struct stat self;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "find: mkdtemp");
		return;
	}
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(self_path, sizeof(self_path), "%s/shim", dir);
	mkdir(a, 0755);
	mkdir(b, 0755);
	fd = open(self_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	close(fd);
	stat(self_path, &self);
	/* a/runc is the shim (a symlink), b/runc the real one. */
	snprintf(path_env, sizeof(path_env), "%s/runc", a);
	ok(symlink(self_path, path_env) == 0, "find: a/runc -> the shim");
	snprintf(path_env, sizeof(path_env), "%s/runc", b);
	fd = open(path_env, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	close(fd);
	snprintf(path_env, sizeof(path_env), "relative:%s:%s", a, b);
	ok(rt_find_runtime("runc", path_env, &self, &out) == 0 && out && strstr(out, "/b/runc"),
	   "find: the first runc on PATH that is not the shim itself");
	free(steal_pointer(&out));
	ok(rt_find_runtime(self_path, path_env, &self, &out) == -ELOOP,
	   "find: the shim given by path is refused");
	snprintf(path_env, sizeof(path_env), "%s/runc", a);
	ok(rt_find_runtime(path_env, NULL, &self, &out) == -ELOOP,
	   "find: and through a symlink");
	snprintf(path_env, sizeof(path_env), "%s", a);
	ok(rt_find_runtime("runc", path_env, &self, &out) == -ENOENT,
	   "find: only the shim on PATH: not found");
	ok(rt_find_runtime("/nonexistent/runc", NULL, &self, &out) == -ENOENT,
	   "find: a missing path");
	snprintf(path_env, sizeof(path_env), "%s/runc", a);
	unlink(path_env);
	snprintf(path_env, sizeof(path_env), "%s/runc", b);
	unlink(path_env);
	unlink(self_path);
	rmdir(a);
	rmdir(b);
	rmdir(dir);
}

int main(void)
{
	test_argv();
	test_conf();
	test_edit();
	test_edit_big();
	test_edit_seccomp();
	test_bundle();
	test_find();
	return done_testing();
}
