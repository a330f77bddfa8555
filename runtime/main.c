/* procview-runtime: an OCI runtime shim for Docker and containerd, which
 * read no hooks.d. For create and run it adds procview-hook to the
 * bundle's config.json (createRuntime and poststop), then execs the real
 * runtime with the same arguments; every other command is exec'd at once.
 * A config it cannot edit is left as it is and the container starts
 * anyway (fail-open), unless --procview-strict. */
#include "argv.h"
#include "bundle.h"
#include "conf.h"
#include "find.h"
#include "listener.h"
#include "log.h"
#include "spec.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define DEFAULT_HOOK LIBEXECDIR "/procview/procview-hook"
#define DEFAULT_RUNTIME "runc"
#define DEFAULT_SECCOMP_SOCKET "/run/procview/seccomp.sock"

/* One line on stderr and syslog; syslog is opened only on this path. */
static void __attribute__((format(printf, 1, 2))) warn(const char *fmt, ...)
{
	static bool opened;
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!opened) {
		log_open("procview-runtime", true, -1);
		opened = true;
	}
	log_msg(LOG_WARNING, "%s", line);
}

/* syslog only: under Docker and containerd the runtime's stderr is the
 * container's own (docker logs, or an exec'd command's stderr), and the
 * container starts all the same. */
static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_open("procview-runtime", false, -1);
	log_msg(LOG_INFO, "%s", line);
}

/* Returns 0 (edited, or nothing to do) or negative errno, reported. */
static int edit_bundle(const char *bundle, const struct rt_edit_settings *s)
{
	_cleanup_free_ char *text = NULL, *out = NULL, *err = NULL, *note_text = NULL;
	const char *why = NULL;
	size_t len = 0, out_len = 0;
	struct stat st;
	int r;

	if (!bundle)
		bundle = ".";
	r = rt_bundle_read(bundle, &text, &len, &st);
	if (r < 0) {
		warn("bundle %s: config.json: %s", bundle,
		     r == -EFBIG ? "larger than 16 MiB" :
		     r == -EINVAL ? "not a regular file" : strerror(-r));
		return r;
	}
	r = rt_spec_edit_text(text, len, s, &out, &out_len, &why, &note_text, &err);
	if (note_text)
		note("bundle %s: %s", bundle, note_text);
	if (r < 0) {
		warn("bundle %s: %s", bundle, err ? err : strerror(-r));
		return r;
	}
	if (r == 0)
		return 0;
	r = rt_bundle_write(bundle, out, out_len, &st);
	if (r < 0)
		warn("bundle %s: writing config.json: %s", bundle, strerror(-r));
	return r;
}

static void rt_conf_freep(struct rt_conf *c)
{
	rt_conf_free(c);
}

static void rt_argv_freep(struct rt_argv *a)
{
	rt_argv_free(a);
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *runtime = NULL, *conf_err = NULL;
	_cleanup_(rt_conf_freep) struct rt_conf conf = { .strict = -1, .sysinfo = -1 };
	_cleanup_(rt_argv_freep) struct rt_argv a = { 0 };
	_cleanup_free_ const char **hook_args = NULL;
	char sock_arg[4200];
	struct rt_listener_ctx lctx;
	struct stat self;
	bool have_self, strict, sysinfo, is_exec;
	const char *name, *sock, *hook;
	size_t n_hook_args;
	char **args;
	int r;

	if (rt_argv_parse(argc, argv, &a) < 0) {
		warn("out of memory");
		return 1;
	}
	if (a.unknown)
		warn("unknown option %s ignored", a.unknown);
	if (a.missing_value)
		warn("%s needs a value; ignored", a.missing_value);
	is_exec = a.command >= 0 && strcmp(argv[a.command], "exec") == 0;
	/* The file is read only when something from it is needed. */
	if (!a.runtime || a.edit || is_exec) {
		const char *path = getenv(RT_CONF_ENV);

		r = rt_conf_load(path && path[0] ? path : RT_CONF_DEFAULT, &conf, &conf_err);
		if (r < 0)
			warn("%s; ignored", conf_err ? conf_err : strerror(-r));
	}
	strict = a.strict || conf.strict == 1;
	sysinfo = !a.no_sysinfo && conf.sysinfo != 0;
	sock = a.seccomp_socket ? a.seccomp_socket :
	       conf.seccomp_socket ? conf.seccomp_socket : DEFAULT_SECCOMP_SOCKET;
	if (sock[0] != '/') {
		warn("--procview-seccomp-socket %s: not an absolute path; sysinfo left alone", sock);
		sysinfo = false;
	}
	hook = a.hook ? a.hook : conf.hook ? conf.hook : DEFAULT_HOOK;
	/* The hook's arguments, and the socket for the daemon it may start
	 * (only when not the default: the default keeps procview.service). */
	n_hook_args = a.n_hook_args ? a.n_hook_args : conf.n_hook_args;
	hook_args = calloc(n_hook_args + 2, sizeof(char *));
	if (!hook_args) {
		warn("out of memory");
		return 1;
	}
	for (size_t i = 0; i < n_hook_args; i++)
		hook_args[i] = a.n_hook_args ? a.hook_args[i] : conf.hook_args[i];
	if (sysinfo && strcmp(sock, DEFAULT_SECCOMP_SOCKET) != 0 &&
	    snprintf(sock_arg, sizeof(sock_arg), "--seccomp-socket=%s", sock) < (int)sizeof(sock_arg))
		hook_args[n_hook_args++] = sock_arg;
	lctx = (struct rt_listener_ctx){ hook, hook_args, n_hook_args, false };

	have_self = stat("/proc/self/exe", &self) == 0;
	name = a.runtime ? a.runtime : conf.runtime ? conf.runtime : DEFAULT_RUNTIME;
	r = rt_find_runtime(name, getenv("PATH"), have_self ? &self : NULL, &runtime);
	if (r == -ELOOP) {
		warn("the real runtime %s is procview-runtime itself; looking for %s on PATH", name,
		     DEFAULT_RUNTIME);
		r = rt_find_runtime(DEFAULT_RUNTIME, getenv("PATH"), have_self ? &self : NULL,
				    &runtime);
	}
	if (r < 0) {
		warn("no real runtime: %s not found%s", r == -ENOENT ? name : strerror(-r),
		     strchr(name, '/') ? "" : " on PATH (other than procview-runtime)");
		return 1;
	}

	if (a.edit && !a.other_config) {
		struct rt_edit_settings s = {
			.hook = hook,
			.hook_args = hook_args,
			.n_hook_args = n_hook_args,
			.seccomp_socket = sysinfo ? sock : NULL,
			.listener_ready = rt_listener_ready,
			.listener_data = hook[0] == '/' ? &lctx : NULL,
			.strict = strict,
			.daemon_down = &lctx.ensure_failed,
		};

		if (s.hook[0] != '/') {
			warn("--procview-hook %s: not an absolute path; config.json left as it is",
			     s.hook);
			r = -EINVAL;
		} else {
			r = edit_bundle(a.bundle, &s);
		}
		if (r < 0 && strict) {
			warn("strict mode: not starting the container");
			return 1;
		}
	}

	/* runc connects an exec'd process to the container's listenerPath
	 * too, and fails the exec when nothing answers: a daemon that stopped
	 * since the container started is started again first. */
	if (is_exec && sysinfo && hook[0] == '/' && rt_listener_ready(sock, &lctx) < 0)
		note("exec: procviewd's seccomp socket %s does not answer; an exec into a container "
		     "that sends sysinfo there will fail",
		     sock);

	/* argv[a.first - 1] is ours to overwrite: it was argv[0] or one of
	 * our options; the runtime gets its own path as argv[0]. */
	args = argv + a.first - 1;
	args[0] = runtime;
	execv(runtime, args);
	warn("exec %s: %s", runtime, strerror(errno));
	return 1;
}
