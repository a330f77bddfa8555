#include "find.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool is_self(const struct stat *st, const struct stat *self)
{
	return self && st->st_dev == self->st_dev && st->st_ino == self->st_ino;
}

static bool runnable(const char *path, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode) && access(path, X_OK) == 0;
}

int rt_find_runtime(const char *name, const char *path_env, const struct stat *self, char **out)
{
	_cleanup_free_ char *dirs = NULL;
	struct stat st;
	char *dir, *save = NULL;

	if (strchr(name, '/')) {
		if (!runnable(name, &st))
			return -ENOENT;
		if (is_self(&st, self))
			return -ELOOP;
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	dirs = strdup(path_env && path_env[0] ? path_env : DEFAULT_PATH);
	if (!dirs)
		return -ENOMEM;
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];

		if (dir[0] != '/')
			continue; /* a relative PATH entry depends on the bundle's cwd */
		if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", dir, name) >= sizeof(cand))
			continue;
		if (runnable(cand, &st) && !is_self(&st, self)) {
			*out = strdup(cand);
			return *out ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}
