/* OCI state and config parsing, and the hook's policy on top of them. */
#include "config.h"
#include "policy.h"
#include "state.h"
#include "fileio.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

static const char podman_state[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"id\":\"c0ffee\",\"status\":\"creating\","
	"\"pid\":4441,\"bundle\":\"/var/lib/containers/storage/overlay-containers/c0ffee/userdata\","
	"\"annotations\":{\"io.podman.annotations.autoremove\":\"FALSE\",\"io.procview.strict\":\"true\"}}";

static int parse(const char *json, unsigned flags, struct oci_state *st, char **err)
{
	return oci_state_parse(json, strlen(json), flags, st, err);
}

/* err must be set, one line, and contain want. */
static void expect_err(const char *json, size_t len, const char *want, const char *name)
{
	struct oci_state st = { 0 };
	_cleanup_free_ char *err = NULL;
	int r = oci_state_parse(json, len, OCI_STATE_NEED_PID, &st, &err);

	ok(r == -EINVAL && err && strstr(err, want) && !strchr(err, '\n'), "%s", name);
	if (!(err && strstr(err, want)))
		printf("#   got:  '%s'\n#   want: '...%s...'\n", err ? err : "(null)", want);
}

static void test_state(void)
{
	struct oci_state st = { 0 };
	_cleanup_free_ char *err = NULL;

	ok(parse(podman_state, OCI_STATE_NEED_PID, &st, &err) == 0, "state: podman's state parses");
	is_str(st.oci_version, "1.0.2-dev", "state: ociVersion");
	is_str(st.id, "c0ffee", "state: id");
	is_str(st.status, "creating", "state: status");
	is_u64(st.pid, 4441, "state: pid");
	is_str(st.bundle, "/var/lib/containers/storage/overlay-containers/c0ffee/userdata",
	       "state: bundle");
	ok(st.root == NULL, "state: no crun root");
	is_u64(st.annotations.n, 2, "state: two annotations");
	ok(oci_annotation_true(&st.annotations, "io.procview.strict"), "state: strict annotation");
	ok(!oci_annotation_true(&st.annotations, "io.podman.annotations.autoremove"),
	   "state: FALSE is not true");
	ok(oci_annotation(&st.annotations, "nope") == NULL, "state: absent annotation is NULL");
	oci_state_free(&st);

	ok(parse("{\"ociVersion\":\"1.0.0\",\"id\":\"a\",\"status\":\"created\",\"pid\":7,"
		 "\"bundle\":\"/b\",\"root\":\"/run/crun/a/rootfs\"}",
		 OCI_STATE_NEED_PID, &st, &err) == 0,
	   "state: crun's state with \"root\"");
	is_str(st.root, "/run/crun/a/rootfs", "state: crun root kept");
	ok(st.annotations.n == 0, "state: no annotations");
	oci_state_free(&st);

	ok(parse("{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"stopped\",\"bundle\":\"/b\"}", 0,
		 &st, &err) == 0 && st.pid == 0,
	   "state: poststop without pid is fine when pid is not needed");
	oci_state_free(&st);

	expect_err("", 0, "state JSON: empty input", "state: empty input");
	expect_err(" \n\t", 3, "empty input", "state: whitespace only");
	expect_err("{\"ociVersion\":\"1\",\"id\":", 22, "state JSON: ", "state: truncated");
	expect_err("{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"bundle\":\"/b\"}",
		   strlen("{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"bundle\":\"/b\"}"),
		   "state JSON: \"pid\" missing", "state: missing pid names the field");
	{
		const char *j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":\"12\","
				"\"bundle\":\"/b\"}";
		expect_err(j, strlen(j), "\"pid\" is not a valid pid", "state: pid as a string");
		j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":-3,\"bundle\":\"/b\"}";
		expect_err(j, strlen(j), "\"pid\" is not a valid pid", "state: negative pid");
		j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":99999999999,"
		    "\"bundle\":\"/b\"}";
		expect_err(j, strlen(j), "\"pid\" is not a valid pid", "state: pid beyond int");
		j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":0,\"bundle\":\"/b\"}";
		expect_err(j, strlen(j), "\"pid\" is 0", "state: pid 0 at create");
		j = "{\"ociVersion\":\"1\",\"status\":\"creating\",\"pid\":3,\"bundle\":\"/b\"}";
		expect_err(j, strlen(j), "\"id\" missing", "state: missing id");
		j = "{\"ociVersion\":\"1\",\"id\":5,\"status\":\"creating\",\"pid\":3,\"bundle\":\"/b\"}";
		expect_err(j, strlen(j), "\"id\" is not a string", "state: id of the wrong type");
		j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":3,\"bundle\":\"b\"}";
		expect_err(j, strlen(j), "\"bundle\" is not an absolute path", "state: relative bundle");
		j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":3,\"bundle\":\"/b\","
		    "\"annotations\":{\"k\":1}}";
		expect_err(j, strlen(j), "\"annotations\".\"k\" is not a string",
			   "state: non-string annotation");
		j = "{\"ociVersion\":\"1\",\"id\":\"a\",\"status\":\"creating\",\"pid\":3,\"bundle\":\"/b\","
		    "\"annotations\":[]}";
		expect_err(j, strlen(j), "\"annotations\" is not an object", "state: annotations array");
		expect_err("[1,2]", 5, "not a JSON object", "state: an array is not a state");
	}
	{
		const char bad[] = "{\"ociVersion\":\"1\",\"id\":\"\xc3\x28\",\"status\":\"creating\","
				   "\"pid\":3,\"bundle\":\"/b\"}";
		expect_err(bad, sizeof(bad) - 1, "UTF8", "state: non-UTF-8 is a clear yajl error");
	}
	{
		const char nul[] = "{\"ociVersion\":\"1\"}\0{\"x\":1}";
		expect_err(nul, sizeof(nul) - 1, "NUL byte", "state: embedded NUL refused");
	}
}

/* ~800 KB of '[' crashed the hook: yajl_tree_free recursed once per level
 * and ran off the stack. The depth is capped before yajl parses. */
static void test_nesting(void)
{
	size_t n = 800 << 10;
	_cleanup_free_ char *deep = malloc(n + 64);
	char *p;
	struct oci_state st = { 0 };
	_cleanup_free_ char *err = NULL;

	if (!deep)
		return;
	memset(deep, '[', n);
	expect_err(deep, n, "nested deeper than 64 levels", "state: 800 KB of '[' refused");
	/* Balanced, it parses: the crash was in freeing that tree. */
	memset(deep + n / 2, ']', n / 2);
	expect_err(deep, n, "nested deeper than 64 levels",
		   "state: 400 K levels of '[]' refused (no yajl_tree_free recursion)");
	p = deep + sprintf(deep, "{\"ociVersion\":\"1\",\"id\":\"x\",\"status\":\"creating\","
				 "\"pid\":3,\"bundle\":\"/b\",\"a\":");
	for (int i = 0; i < 63; i++)
		*p++ = '[';
	for (int i = 0; i < 63; i++)
		*p++ = ']';
	strcpy(p, "}");
	ok(parse(deep, 0, &st, &err) == 0, "state: 64 levels accepted");
	oci_state_free(&st);
	/* Brackets inside strings (and escaped quotes) do not count. */
	p = deep + sprintf(deep, "{\"ociVersion\":\"1\",\"id\":\"x\",\"status\":\"creating\","
				 "\"pid\":3,\"bundle\":\"/b\",\"a\":\"\\\"");
	memset(p, '[', 100000);
	strcpy(p + 100000, "\"}");
	ok(parse(deep, 0, &st, &err) == 0, "state: '[' inside a string is text");
	oci_state_free(&st);
	memset(deep, '[', n / 2);
	memset(deep + n / 2, ']', n / 2);
	free(steal_pointer(&err));
	{
		struct oci_config cfg = { 0 };

		ok(oci_config_parse(deep, n, "/b", &cfg, &err) == -EINVAL && err &&
			   strstr(err, "nested deeper"),
		   "config: 800 KB of '[]' refused with one error");
	}
}

/* The 1 MiB bound on stdin, through a pipe as the hook reads it. */
static void test_read_bound(void)
{
	char path[] = "/tmp/pv-test-oci.XXXXXX";
	int fd = mkstemp(path);
	_cleanup_free_ char *out = NULL;
	static char chunk[65536];
	long r;

	memset(chunk, ' ', sizeof(chunk));
	ok(fd >= 0, "read: temp file");
	if (fd < 0)
		return;
	unlink(path);
	for (int i = 0; i < 160; i++) /* 10 MiB */
		(void)!write(fd, chunk, sizeof(chunk));
	lseek(fd, 0, SEEK_SET);
	r = read_fd(fd, OCI_STATE_MAX, &out);
	ok(r == -EFBIG, "read: 10 MiB input gives -EFBIG");
	ok(lseek(fd, 0, SEEK_CUR) <= (off_t)OCI_STATE_MAX + 65536 + 1,
	   "read: it stopped reading near the bound");
	ftruncate(fd, OCI_STATE_MAX);
	lseek(fd, 0, SEEK_SET);
	r = read_fd(fd, OCI_STATE_MAX, &out);
	ok(r == (long)OCI_STATE_MAX && out && out[r] == '\0', "read: exactly 1 MiB is accepted");
	free(steal_pointer(&out));
	ftruncate(fd, OCI_STATE_MAX + 1);
	lseek(fd, 0, SEEK_SET);
	ok(read_fd(fd, OCI_STATE_MAX, &out) == -EFBIG, "read: 1 MiB + 1 is refused");
	ftruncate(fd, 0);
	lseek(fd, 0, SEEK_SET);
	r = read_fd(fd, OCI_STATE_MAX, &out);
	ok(r == 0 && out && out[0] == '\0', "read: empty input reads as empty");
	close(fd);
}

static const char runc_config[] =
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/proc//meminfo/\",\"type\":\"bind\",\"source\":\"/tmp/m\"},"
	"{\"destination\":\"/proc/pressure\",\"type\":\"bind\",\"source\":\"/tmp/p\"},"
	"{\"destination\":\"sys/devices/system/cpu/./online\",\"type\":\"bind\",\"source\":\"/x\"}],"
	"\"annotations\":{\"io.procview.disable\":\"True\"},"
	"\"process\":{\"args\":[\"sh\"]}}";

static void test_config(void)
{
	struct oci_config cfg = { 0 };
	_cleanup_free_ char *err = NULL;
	const char *files[32];
	size_t n, n_user;
	int r;

	r = oci_config_parse(runc_config, strlen(runc_config), "/b/bundle", &cfg, &err);
	ok(r == 0, "config: runc-style config parses");
	is_str(cfg.root_path, "/b/bundle/rootfs", "config: relative root.path joins the bundle");
	is_u64(cfg.n_mounts, 4, "config: four mounts");
	is_str(cfg.mount_dests[1], "/proc//meminfo/", "config: destination as written");
	ok(oci_annotation_true(&cfg.annotations, ANNOTATION_DISABLE),
	   "config: disable annotation (\"True\")");

	n = policy_files(&cfg, files, 32, &n_user);
	is_u64(n_user, 5, "policy: meminfo, 3 pressure files and online are the user's");
	is_u64(n, 8, "policy: 8 files left to attach");
	{
		bool has_meminfo = false, has_pressure = false, has_cpuinfo = false;

		for (size_t i = 0; i < n; i++) {
			has_meminfo |= strcmp(files[i], "proc/meminfo") == 0;
			has_pressure |= strncmp(files[i], "proc/pressure/", 14) == 0;
			has_cpuinfo |= strcmp(files[i], "proc/cpuinfo") == 0;
		}
		ok(!has_meminfo && !has_pressure && has_cpuinfo, "policy: the right ones skipped");
	}
	{
		struct oci_state st = { 0 };

		ok(policy_disabled(&st, &cfg), "policy: disabled by the config annotation");
		ok(!policy_strict(&st, &cfg), "policy: not strict");
	}
	oci_config_free(&cfg);

	r = oci_config_parse("{\"root\":{\"path\":\"/abs/rootfs\"}}", 31, "/b", &cfg, &err);
	ok(r == 0, "config: minimal config");
	is_str(cfg.root_path, "/abs/rootfs", "config: absolute root.path kept");
	n = policy_files(&cfg, files, 32, &n_user);
	ok(n == 13 && n_user == 0, "policy: no mounts, all 13 files");
	oci_config_free(&cfg);

	free(steal_pointer(&err));
	r = oci_config_parse("{\"mounts\":[]}", 13, "/b", &cfg, &err);
	ok(r == -EINVAL && err && strcmp(err, "config.json: \"root\" missing") == 0,
	   "config: missing root names it");
	free(steal_pointer(&err));
	r = oci_config_parse("{\"root\":{}}", 11, "/b", &cfg, &err);
	ok(r == -EINVAL && err && strcmp(err, "config.json: \"root\".\"path\" missing") == 0,
	   "config: missing root.path names it (%s)", err ? err : "");
	free(steal_pointer(&err));
	r = oci_config_parse("{\"root\":{\"path\":\"r\"},\"mounts\":[{\"type\":\"bind\"}]}",
			     strlen("{\"root\":{\"path\":\"r\"},\"mounts\":[{\"type\":\"bind\"}]}"), "/b",
			     &cfg, &err);
	ok(r == -EINVAL && err && strstr(err, "\"mounts\"[0].\"destination\" missing"),
	   "config: mount without destination names its index (%s)", err ? err : "");
	free(steal_pointer(&err));
	r = oci_config_parse("{\"root\":{\"path\":\"r\"},\"mounts\":{}}",
			     strlen("{\"root\":{\"path\":\"r\"},\"mounts\":{}}"), "/b", &cfg, &err);
	ok(r == -EINVAL && err && strstr(err, "\"mounts\" is not an array"), "config: mounts object");
	free(steal_pointer(&err));

	r = oci_config_load("/nonexistent-bundle", &cfg, &err);
	ok(r == -ENOENT && err && strstr(err, "/nonexistent-bundle/config.json"),
	   "config: a missing file names its path");
}

static bool named_hook(const char *path, void *arg)
{
	return strcmp(path, arg) == 0;
}

/* The runtime's timeout for the hook itself, and the budget it gives. */
static void test_hook_timeout(void)
{
	static const char json[] =
		"{\"root\":{\"path\":\"r\"},\"hooks\":{"
		"\"prestart\":[{\"path\":\"/usr/bin/procview-hook\",\"timeout\":30}],"
		"\"createRuntime\":[{\"path\":\"/other\",\"timeout\":1},"
		"{\"path\":\"/usr/bin/procview-hook\",\"args\":[\"x\"],\"timeout\":20},"
		"{\"path\":\"/usr/bin/procview-hook\"},"
		"{\"path\":\"/usr/bin/procview-hook\",\"timeout\":\"9\"},"
		"{\"timeout\":2}],"
		"\"poststop\":{}}}";
	struct oci_config cfg = { 0 };
	_cleanup_free_ char *err = NULL;
	char self[] = "/usr/bin/procview-hook";
	int r;

	r = oci_config_parse(json, strlen(json), "/b", &cfg, &err);
	ok(r == 0, "hooks: odd entries do not fail the parse (%s)", err ? err : "");
	is_u64(cfg.n_hooks, 4, "hooks: the four well-formed entries kept");
	ok(cfg.hooks_note && strstr(cfg.hooks_note, "\"createRuntime\"[3].\"timeout\" is not a positive integer"),
	   "hooks: the first odd entry is named (%s)", cfg.hooks_note ? cfg.hooks_note : "none");
	is_u64(policy_hook_timeout(&cfg, "createRuntime", named_hook, self), 20,
	       "hooks: createRuntime: our entry's timeout, not another hook's");
	is_u64(policy_hook_timeout(&cfg, "prestart", named_hook, self), 30,
	       "hooks: prestart: that stage's entry");
	is_u64(policy_hook_timeout(&cfg, NULL, named_hook, self), 20,
	       "hooks: stage unknown: the smaller of createRuntime's and prestart's");
	is_u64(policy_hook_timeout(&cfg, "poststop", named_hook, self), 0,
	       "hooks: no entry for the stage: no timeout");
	oci_config_free(&cfg);

	r = oci_config_parse("{\"root\":{\"path\":\"r\"},\"hooks\":[]}",
			     strlen("{\"root\":{\"path\":\"r\"},\"hooks\":[]}"), "/b", &cfg, &err);
	ok(r == 0 && cfg.n_hooks == 0 && cfg.hooks_note &&
		   strcmp(cfg.hooks_note, "config.json: \"hooks\" is not an object") == 0,
	   "hooks: not an object: noted, not fatal");
	oci_config_free(&cfg);

	is_u64(policy_budget_ms(0), POLICY_BUDGET_DEFAULT_MS, "budget: no timeout: the default");
	is_u64(policy_budget_ms(10), 5000, "budget: timeout 10 s: 5 s");
	is_u64(policy_budget_ms(1), 500, "budget: timeout 1 s: half a second");
	is_u64(policy_budget_ms(600), POLICY_BUDGET_MAX_MS, "budget: never above the maximum");
	is_u64(policy_budget_ms(INT_MAX), POLICY_BUDGET_MAX_MS, "budget: no overflow");
}

static void test_clean_path(void)
{
	static const char *const cases[][2] = {
		{ "/proc/meminfo", "/proc/meminfo" }, { "/proc//meminfo", "/proc/meminfo" },
		{ "/proc/meminfo/", "/proc/meminfo" }, { "//proc/./meminfo", "/proc/meminfo" },
		{ "/", "/" },			       { "///", "/" },
		{ "/./", "/" },			       { "/proc/.x", "/proc/.x" },
		/* ".." used to be kept: "/proc/../proc/meminfo" missed the user's mount. */
		{ "/proc/../proc/meminfo", "/proc/meminfo" }, { "/../proc/meminfo", "/proc/meminfo" },
		{ "/proc/x/../../proc/meminfo/.", "/proc/meminfo" }, { "/proc/..", "/" },
		{ "/proc/..x/meminfo", "/proc/..x/meminfo" }, { "/a/b/../../..", "/" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[64];
		char name[96];

		strcpy(buf, cases[i][0]);
		policy_clean_path(buf);
		snprintf(name, sizeof(name), "clean_path: '%s'", cases[i][0]);
		is_str(buf, cases[i][1], name);
	}
}

int main(void)
{
	test_state();
	test_read_bound();
	test_nesting();
	test_config();
	test_hook_timeout();
	test_clean_path();
	return done_testing();
}
