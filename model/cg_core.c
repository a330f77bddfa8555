/* cgroup layout detection, /proc/<pid>/cgroup parsing, shared readers and
 * the dispatch to the v1 or v2 backend. */
#include "cg_impl.h"
#include "fileio.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const ctrl_names[CTRL_N] = { "memory", "cpu",   "cpuacct",
						"cpuset", "blkio", "pids" };

static int open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int cg_root_open(const char *root, struct cg_root **out)
{
	struct cg_root *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (int i = 0; i < CTRL_N; i++)
		r->v1fd[i] = -1;
	r->unifiedfd = -1;
	r->rootfd = open_dir(AT_FDCWD, root);
	if (r->rootfd < 0) {
		int e = -errno;

		free(r);
		return e;
	}
	if (faccessat(r->rootfd, "cgroup.controllers", F_OK, 0) == 0) {
		r->layout = CG_LAYOUT_V2;
		r->unifiedfd = open_dir(r->rootfd, ".");
		*out = r;
		return 0;
	}
	r->layout = CG_LAYOUT_V1;
	for (int i = 0; i < CTRL_N; i++) {
		r->v1fd[i] = open_dir(r->rootfd, ctrl_names[i]);
		/* combined mounts without the per-controller symlinks */
		if (r->v1fd[i] < 0 && (i == CTRL_CPU || i == CTRL_CPUACCT))
			r->v1fd[i] = open_dir(r->rootfd, "cpu,cpuacct");
	}
	r->unifiedfd = open_dir(r->rootfd, "unified");
	if (r->unifiedfd >= 0 && faccessat(r->unifiedfd, "cgroup.procs", F_OK, 0) == 0)
		r->layout = CG_LAYOUT_HYBRID;
	else if (r->unifiedfd >= 0) {
		close(r->unifiedfd);
		r->unifiedfd = -1;
	}
	*out = r;
	return 0;
}

void cg_root_free(struct cg_root *r)
{
	if (!r)
		return;
	for (int i = 0; i < CTRL_N; i++)
		if (r->v1fd[i] >= 0)
			close(r->v1fd[i]);
	if (r->unifiedfd >= 0)
		close(r->unifiedfd);
	close(r->rootfd);
	free(r);
}

enum cg_layout cg_root_layout(const struct cg_root *r)
{
	return r->layout;
}

bool cg_path_is_root(const char *path)
{
	return path && strcmp(path, "/") == 0;
}

/* Kernel paths are trusted, but we resolve them under a root: refuse any
 * ".." component and anything not absolute. */
static bool path_ok(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\0')
			return false;
		if (p[i] == '.' && i + 1 < len && p[i + 1] == '.' && p[i - 1] == '/' &&
		    (i + 2 == len || p[i + 2] == '/'))
			return false;
	}
	return true;
}

static int set_path(char **slot, const char *p, size_t len)
{
	char *s = strndup(p, len);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

int cg_paths_parse(const char *text, const struct cg_root *r, struct cg_paths *out)
{
	bool v2 = r && r->layout == CG_LAYOUT_V2;
	const char *line = text;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (*line) {
		const char *eol = strchr(line, '\n'), *c1, *c2;
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len == 0)
			goto next;
		c1 = memchr(line, ':', len);
		c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (!c1 || !c2 || c1 == line || !path_ok(c2 + 1, len - (size_t)(c2 + 1 - line))) {
			ret = -EINVAL;
			break;
		}
		for (const char *d = line; d < c1; d++)
			if (!isdigit((unsigned char)*d)) {
				ret = -EINVAL;
				goto out;
			}
		{
			const char *path = c2 + 1;
			size_t plen = len - (size_t)(path - line);

			if (c2 == c1 + 1) { /* "0::/path": the unified tree */
				ret = set_path(&out->unified, path, plen);
			} else if (!v2) {
				/* "N:cpu,cpuacct:/path": every listed controller */
				const char *n = c1 + 1;

				while (n < c2 && ret == 0) {
					const char *e = memchr(n, ',', (size_t)(c2 - n));
					size_t nl = e ? (size_t)(e - n) : (size_t)(c2 - n);
					char **slot = NULL;

					for (int i = 0; i < CTRL_N; i++)
						if (strlen(ctrl_names[i]) == nl &&
						    strncmp(n, ctrl_names[i], nl) == 0)
							slot = i == CTRL_MEMORY	   ? &out->memory
							       : i == CTRL_CPU	   ? &out->cpu
							       : i == CTRL_CPUACCT ? &out->cpuacct
							       : i == CTRL_CPUSET  ? &out->cpuset
							       : i == CTRL_BLKIO   ? &out->blkio
										   : &out->pids;
					if (slot)
						ret = set_path(slot, path, plen);
					n += nl + 1;
				}
			}
		}
		if (ret < 0)
			break;
next:
		if (!eol)
			break;
		line = eol + 1;
	}
out:
	if (ret == 0 && v2) {
		if (!out->unified)
			ret = -ENOENT;
		else {
			char **all[] = { &out->memory, &out->cpu,   &out->cpuacct,
					 &out->cpuset, &out->blkio, &out->pids };

			for (size_t i = 0; i < ARRAY_SIZE(all) && ret == 0; i++)
				ret = set_path(all[i], out->unified, strlen(out->unified));
		}
	}
	if (ret < 0)
		cg_paths_free(out);
	return ret;
}

void cg_paths_free(struct cg_paths *p)
{
	free(p->memory);
	free(p->cpu);
	free(p->cpuacct);
	free(p->cpuset);
	free(p->blkio);
	free(p->pids);
	free(p->unified);
	memset(p, 0, sizeof(*p));
}

int cg_read_memory(const struct cg_root *r, const char *path, struct cg_memory *out)
{
	memset(out, 0, sizeof(*out));
	if (!path)
		return -ENOENT;
	return r->layout == CG_LAYOUT_V2 ? cg_v2_memory(r, path, out) : cg_v1_memory(r, path, out);
}

int cg_read_cpu(const struct cg_root *r, const struct cg_paths *p, struct cg_cpu *out)
{
	memset(out, 0, sizeof(*out));
	return r->layout == CG_LAYOUT_V2 ? cg_v2_cpu(r, p, out) : cg_v1_cpu(r, p, out);
}

void cg_cpu_free(struct cg_cpu *c)
{
	free(c->percpu_user_ns);
	free(c->percpu_system_ns);
	c->percpu_user_ns = c->percpu_system_ns = NULL;
	c->npercpu = 0;
}

int cg_read_io(const struct cg_root *r, const char *path, struct cg_io *out)
{
	memset(out, 0, sizeof(*out));
	if (!path)
		return -ENOENT;
	return r->layout == CG_LAYOUT_V2 ? cg_v2_io(r, path, out) : cg_v1_io(r, path, out);
}

void cg_io_free(struct cg_io *io)
{
	free(io->devs);
	io->devs = NULL;
	io->n = 0;
}

int cg_read_pressure(const struct cg_root *r, const struct cg_paths *p, const char *which,
		     char **text)
{
	char file[32];
	long n;

	if (r->unifiedfd < 0 || !p->unified)
		return -ENOENT;
	snprintf(file, sizeof(file), "%s.pressure", which);
	n = cg_read_text(r->unifiedfd, p->unified, file, text);
	return n < 0 ? (int)n : 0;
}

int cg_read_tasks(const struct cg_root *r, const struct cg_paths *p, pid_t **tids, size_t *n,
		  size_t max)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ pid_t *list = NULL;
	size_t cnt = 0, cap = 0;
	long len = -ENOENT;

	if (r->layout == CG_LAYOUT_V2) {
		len = cg_read_text(r->unifiedfd, p->unified, "cgroup.threads", &text);
	} else {
		static const int order[] = { CTRL_CPUACCT, CTRL_CPU, CTRL_PIDS, CTRL_MEMORY };
		const char *paths[CTRL_N] = { p->memory, p->cpu, p->cpuacct, p->cpuset, p->blkio, p->pids };

		for (size_t i = 0; i < ARRAY_SIZE(order) && len < 0; i++)
			len = cg_read_text(r->v1fd[order[i]], paths[order[i]], "tasks", &text);
	}
	if (len < 0)
		return (int)len;
	for (char *s = text; *s && cnt < max;) {
		char *end;
		long v = strtol(s, &end, 10);

		if (end == s)
			break;
		if (v > 0) {
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 64;
				pid_t *np = realloc(list, nc * sizeof(*np));

				if (!np)
					return -ENOMEM;
				list = np;
				cap = nc;
			}
			list[cnt++] = (pid_t)v;
		}
		s = end;
		while (*s == '\n' || *s == ' ')
			s++;
	}
	*tids = steal_pointer(&list);
	*n = cnt;
	return 0;
}
