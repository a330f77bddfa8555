/* /etc/procview/runtime.conf: procview-runtime's settings when Docker or
 * containerd cannot pass it options. One "key = value" a line; blank lines
 * and lines starting with '#' are ignored; the value is the rest of the
 * line, trimmed, no quoting. Keys:
 *   runtime  = PATH or NAME   the real runtime (a NAME is looked up on PATH)
 *   hook     = PATH           procview-hook
 *   hook-arg = ARG            appended to the hook's arguments; repeatable
 *   strict   = true|false     refuse to start a container procview cannot edit
 *   sysinfo  = true|false     send sysinfo(2) to procviewd through the
 *                             container's seccomp profile (default true)
 *   seccomp-socket = PATH     procviewd's --seccomp-socket */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define RT_CONF_DEFAULT "/etc/procview/runtime.conf"
#define RT_CONF_ENV "PROCVIEW_RUNTIME_CONFIG"
#define RT_CONF_MAX (64u << 10)

struct rt_conf {
	char *runtime;
	char *hook;
	char **hook_args;
	size_t n_hook_args;
	int strict; /* -1 unset, 0, 1 */
	int sysinfo; /* -1 unset, 0, 1 */
	char *seccomp_socket;
};

/* Parse len bytes. Good lines are kept even when a bad one is found; the
 * first bad line is reported in *err ("line 3: unknown key 'x'") and
 * -EINVAL returned. -ENOMEM on allocation failure. */
int rt_conf_parse(const char *text, size_t len, struct rt_conf *c, char **err);
/* Read and parse path. A missing file is an empty config (returns 0). */
int rt_conf_load(const char *path, struct rt_conf *c, char **err);
void rt_conf_free(struct rt_conf *c);
