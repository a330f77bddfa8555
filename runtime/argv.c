#include "argv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* runc's and crun's global options that take a separate value. Anything
 * else starting with '-' is taken as a flag: at worst the command is not
 * recognised and the call passes through untouched. */
static const char *const global_with_value[] = {
	"root", "log", "log-format", "criu", "rootless", "cgroup-manager",
};
/* create/run options that take a value, besides -b/--bundle. */
static const char *const create_with_value[] = {
	"console-socket", "pid-file", "preserve-fds",
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* "--name" or "-name" (Go flags accept both) without a "=value": name;
 * otherwise NULL. */
static const char *flag_name(const char *arg)
{
	if (arg[0] != '-' || !arg[1])
		return NULL;
	arg += arg[1] == '-' ? 2 : 1;
	return strchr(arg, '=') ? NULL : arg;
}

/* Our own option: "--procview-NAME" alone or "--procview-NAME=VALUE". */
static bool own_option(const char *arg, const char *name, const char **inline_value)
{
	size_t n = strlen(name);

	if (strncmp(arg, "--procview-", 11) != 0 || strncmp(arg + 11, name, n) != 0)
		return false;
	if (arg[11 + n] == '\0') {
		*inline_value = NULL;
		return true;
	}
	if (arg[11 + n] == '=') {
		*inline_value = arg + 12 + n;
		return true;
	}
	return false;
}

static int parse_own(int argc, char **argv, struct rt_argv *a)
{
	int i = 1;

	a->hook_args = calloc((size_t)argc + 1, sizeof(char *));
	if (!a->hook_args)
		return -ENOMEM;
	while (i < argc && strncmp(argv[i], "--procview-", 11) == 0) {
		const char *arg = argv[i++], *v;
		const char **slot = NULL;

		if (own_option(arg, "strict", &v) && !v) {
			a->strict = true;
			continue;
		}
		if (own_option(arg, "no-sysinfo", &v) && !v) {
			a->no_sysinfo = true;
			continue;
		}
		if (own_option(arg, "runtime", &v))
			slot = &a->runtime;
		else if (own_option(arg, "seccomp-socket", &v))
			slot = &a->seccomp_socket;
		else if (own_option(arg, "hook-arg", &v))
			slot = &a->hook_args[a->n_hook_args];
		else if (own_option(arg, "hook", &v))
			slot = &a->hook;
		if (!slot) {
			if (!a->unknown)
				a->unknown = arg;
			continue;
		}
		if (!v) {
			if (i == argc) {
				a->missing_value = arg;
				break;
			}
			v = argv[i++];
		}
		*slot = v;
		if (slot == &a->hook_args[a->n_hook_args])
			a->n_hook_args++;
	}
	a->first = i;
	return 0;
}

/* The bundle among create/run's arguments. The last -b wins, as with Go's
 * flag package; "--" ends the options. */
static void scan_create(int argc, char **argv, int i, struct rt_argv *a)
{
	for (; i < argc; i++) {
		const char *arg = argv[i], *name = flag_name(arg);

		if (strcmp(arg, "--") == 0)
			return;
		if (arg[0] != '-')
			continue; /* the container id; crun allows options after it */
		if (name && (strcmp(name, "b") == 0 || strcmp(name, "bundle") == 0)) {
			if (i + 1 < argc)
				a->bundle = argv[++i];
		} else if (strncmp(arg, "--bundle=", 9) == 0 || strncmp(arg, "-bundle=", 8) == 0) {
			a->bundle = strchr(arg, '=') + 1;
		} else if (strncmp(arg, "-b=", 3) == 0) {
			a->bundle = arg + 3;
		} else if (arg[1] == 'b' && arg[2] && arg[2] != 'u') {
			a->bundle = arg + 2; /* crun (argp): -bDIR */
		} else if (name && (strcmp(name, "f") == 0 || strcmp(name, "config") == 0)) {
			a->other_config = true;
			i++;
		} else if (strncmp(arg, "--config=", 9) == 0 || strncmp(arg, "-f", 2) == 0) {
			a->other_config = true;
		} else if (name && in_list(name, create_with_value, sizeof(create_with_value) /
										sizeof(*create_with_value))) {
			i++;
		}
	}
}

int rt_argv_parse(int argc, char **argv, struct rt_argv *a)
{
	int r, i;

	*a = (struct rt_argv){ .command = -1 };
	r = parse_own(argc, argv, a);
	if (r < 0)
		return r;
	for (i = a->first; i < argc; i++) {
		const char *arg = argv[i], *name;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			break;
		name = flag_name(arg);
		if (name && in_list(name, global_with_value,
				    sizeof(global_with_value) / sizeof(*global_with_value)))
			i++;
	}
	if (i >= argc)
		return 0;
	a->command = i;
	a->edit = strcmp(argv[i], "create") == 0 || strcmp(argv[i], "run") == 0;
	if (a->edit)
		scan_create(argc, argv, i + 1, a);
	return 0;
}

void rt_argv_free(struct rt_argv *a)
{
	free(a->hook_args);
	a->hook_args = NULL;
}
