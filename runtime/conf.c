#include "conf.h"
#include "fileio.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>

void rt_conf_free(struct rt_conf *c)
{
	free(c->runtime);
	free(c->hook);
	free(c->seccomp_socket);
	for (size_t i = 0; i < c->n_hook_args; i++)
		free(c->hook_args[i]);
	free(c->hook_args);
	*c = (struct rt_conf){ .strict = -1, .sysinfo = -1 };
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static int set_string(char **slot, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

static int add_arg(struct rt_conf *c, const char *v)
{
	char **p = realloc(c->hook_args, (c->n_hook_args + 2) * sizeof(char *));

	if (!p)
		return -ENOMEM;
	c->hook_args = p;
	p[c->n_hook_args] = strdup(v);
	if (!p[c->n_hook_args])
		return -ENOMEM;
	p[++c->n_hook_args] = NULL;
	return 0;
}

static int set_bool(int *slot, const char *v, const char *bad, const char **why)
{
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0)
		*slot = 1;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0)
		*slot = 0;
	else {
		*why = bad;
		return -EINVAL;
	}
	return 0;
}

/* One line, already split at '='. Returns 0, -ENOMEM, or -EINVAL with
 * *why set to a static reason. */
static int conf_line(struct rt_conf *c, const char *key, const char *value, const char **why)
{
	if (!value[0]) {
		*why = "empty value";
		return -EINVAL;
	}
	if (strcmp(key, "runtime") == 0)
		return set_string(&c->runtime, value);
	if (strcmp(key, "hook") == 0) {
		if (value[0] != '/') {
			*why = "hook must be an absolute path";
			return -EINVAL;
		}
		return set_string(&c->hook, value);
	}
	if (strcmp(key, "hook-arg") == 0)
		return add_arg(c, value);
	if (strcmp(key, "strict") == 0)
		return set_bool(&c->strict, value, "strict wants true or false", why);
	if (strcmp(key, "sysinfo") == 0)
		return set_bool(&c->sysinfo, value, "sysinfo wants true or false", why);
	if (strcmp(key, "seccomp-socket") == 0) {
		if (value[0] != '/') {
			*why = "seccomp-socket must be an absolute path";
			return -EINVAL;
		}
		return set_string(&c->seccomp_socket, value);
	}
	*why = "unknown key";
	return -EINVAL;
}

int rt_conf_parse(const char *text, size_t len, struct rt_conf *c, char **err)
{
	_cleanup_free_ char *copy = NULL;
	char *line, *end;
	unsigned lineno = 0;
	int ret = 0;

	*c = (struct rt_conf){ .strict = -1, .sysinfo = -1 };
	*err = NULL;
	if (memchr(text, '\0', len)) {
		*err = oci_strdupf("contains a NUL byte");
		return *err ? -EINVAL : -ENOMEM;
	}
	copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	for (line = copy; line && *line; line = end ? end + 1 : NULL) {
		const char *why = NULL;
		char *eq, *key, *value;
		int r;

		lineno++;
		end = strchr(line, '\n');
		key = trim(line, end ? end : line + strlen(line));
		if (!key[0] || key[0] == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			why = "no '=' in the line";
			r = -EINVAL;
		} else {
			value = trim(eq + 1, eq + 1 + strlen(eq + 1));
			key = trim(key, eq);
			r = conf_line(c, key, value, &why);
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0 && ret == 0) {
			*err = oci_strdupf("line %u: %s", lineno, why);
			if (!*err)
				return -ENOMEM;
			ret = -EINVAL;
		}
	}
	return ret;
}

int rt_conf_load(const char *path, struct rt_conf *c, char **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *inner = NULL;
	long len;
	int r;

	*c = (struct rt_conf){ .strict = -1, .sysinfo = -1 };
	*err = NULL;
	len = read_file_at(AT_FDCWD, path, RT_CONF_MAX, &text);
	if (len == -ENOENT)
		return 0;
	if (len < 0) {
		*err = oci_strdupf("%s: %s", path, strerror((int)-len));
		return *err ? (int)len : -ENOMEM;
	}
	r = rt_conf_parse(text, (size_t)len, c, &inner);
	if (r == -EINVAL) {
		*err = oci_strdupf("%s: %s", path, inner);
		if (!*err)
			return -ENOMEM;
	}
	return r;
}
