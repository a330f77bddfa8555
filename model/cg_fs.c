/* File access shared by the cgroup backends: paths relative to a
 * hierarchy fd, numbers, and the ancestor walk for limits. The backends
 * (cg_v1.c, cg_v2.c) call only these; cg_core.c dispatches to the
 * backends, so nothing calls back up. */
#include "cg_impl.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

int cg_rel(const char *path, const char *file, char *out, size_t size)
{
	int n;

	while (*path == '/')
		path++;
	if (!*path)
		n = snprintf(out, size, "%s", file ? file : ".");
	else
		n = snprintf(out, size, "%s%s%s", path, file ? "/" : "", file ? file : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

long cg_read_text(int hfd, const char *path, const char *file, char **text)
{
	char rel[4096];
	int r;

	if (hfd < 0 || !path)
		return -ENOENT;
	r = cg_rel(path, file, rel, sizeof(rel));
	if (r < 0)
		return r;
	return read_file_at(hfd, rel, 1u << 20, text);
}

int cg_read_u64(int hfd, const char *path, const char *file, uint64_t *v)
{
	_cleanup_free_ char *text = NULL;
	long r = cg_read_text(hfd, path, file, &text);

	if (r < 0)
		return (int)r;
	return parse_u64(text, v);
}

int cg_read_i64(int hfd, const char *path, const char *file, int64_t *v)
{
	_cleanup_free_ char *text = NULL;
	long r = cg_read_text(hfd, path, file, &text);

	if (r < 0)
		return (int)r;
	return parse_i64(text, v);
}

bool cg_parent(char *path)
{
	char *slash = strrchr(path, '/');

	if (!slash || (slash == path && path[1] == '\0'))
		return false;
	if (slash == path)
		path[1] = '\0';
	else
		*slash = '\0';
	return true;
}

uint64_t cg_min_up(int hfd, const char *path, const char *file)
{
	char p[PATH_MAX];
	uint64_t best = CG_UNLIMITED;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return best;
	do {
		uint64_t v;

		if (cg_read_u64(hfd, p, file, &v) == 0 && v < (UINT64_C(1) << 62))
			best = MIN(best, v);
	} while (cg_parent(p));
	return best;
}
