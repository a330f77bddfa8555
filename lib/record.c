#include "record.h"
#include "json.h"
#include "fileio.h"
#include "sha256.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define RECORD_MAX (64u << 10)

static inline void yajl_tree_freep(yajl_val *v)
{
	if (*v)
		yajl_tree_free(*v);
}
static inline void yajl_gen_freep(yajl_gen *g)
{
	if (*g)
		yajl_gen_free(*g);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int record_id_valid(const char *id)
{
	size_t n;

	if (!id)
		return -EINVAL;
	n = strlen(id);
	if (n == 0 || n > RECORD_NAME_MAX || id[0] == '.' || strstr(id, ".."))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (id[i] == '/' || id[i] <= ' ' || id[i] > '~')
			return -EINVAL;
	return 0;
}

/* Bytes kept readable in a derived name; everything else becomes '_'. */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '+';
}

int record_name(const char *id, char *name, size_t size)
{
	uint8_t h[32];
	size_t n, used = 0;

	if (!id || !id[0] || strlen(id) > RECORD_ID_MAX || size < RECORD_NAME_MAX + 1)
		return -EINVAL;
	/* Ids that are good file names are their own name ('%' excepted: it
	 * marks derived names, so no id can name another's file). */
	if (record_id_valid(id) == 0 && strlen(id) <= RECORD_NAME_MAX && !strchr(id, '%')) {
		strcpy(name, id);
		return 0;
	}
	/* Anything else the runtime accepted (too long, non-ASCII, slashes):
	 * a readable prefix, then a hash of the whole id. The real id is
	 * kept inside the record. */
	n = strlen(id);
	for (size_t i = 0; i < n && used < RECORD_NAME_PREFIX; i++)
		name[used++] = name_char(id[i]) ? id[i] : '_';
	name[used++] = '%';
	sha256(id, n, h);
	for (size_t i = 0; i < 16; i++)
		used += (size_t)snprintf(name + used, size - used, "%02x", h[i]);
	return 0;
}

void record_free(struct pv_record *r)
{
	free(r->id);
	free(r->rootfs);
	free(r->mountpoint);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->files);
	*r = (struct pv_record){ 0 };
}

static int gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok
		       ? 0
		       : -EINVAL;
}

int record_format(const struct pv_record *r, char **json, size_t *len)
{
	__attribute__((cleanup(yajl_gen_freep))) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t n;
	int e = 0;

	if (!g)
		return -ENOMEM;
	if (!r->id || !r->id[0] || strlen(r->id) > RECORD_ID_MAX || !r->rootfs || !r->mountpoint ||
	    r->pid <= 0)
		return -EINVAL;
	/* Paths are byte strings; a non-UTF-8 one is refused, not mangled. */
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	e |= yajl_gen_map_open(g);
	e |= gen_str(g, "id") | gen_str(g, r->id);
	e |= gen_str(g, "pid") | yajl_gen_integer(g, r->pid);
	/* As a string: starttime is a u64 and yajl integers are signed. */
	{
		char st[32];

		snprintf(st, sizeof(st), "%llu", (unsigned long long)r->starttime);
		e |= gen_str(g, "starttime") | gen_str(g, st);
	}
	e |= gen_str(g, "rootfs") | gen_str(g, r->rootfs);
	e |= gen_str(g, "mountpoint") | gen_str(g, r->mountpoint);
	e |= gen_str(g, "files") | yajl_gen_array_open(g);
	for (size_t i = 0; i < r->n_files; i++)
		e |= gen_str(g, r->files[i]);
	e |= yajl_gen_array_close(g);
	e |= yajl_gen_map_close(g);
	if (e)
		return -EINVAL;
	if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
		return -ENOMEM;
	*json = malloc(n + 1);
	if (!*json)
		return -ENOMEM;
	memcpy(*json, buf, n);
	(*json)[n] = '\0';
	*len = n;
	return 0;
}

static yajl_val obj_get(yajl_val o, const char *key, yajl_type t)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(o, path, t);
}

static int dup_str(yajl_val o, const char *key, char **out)
{
	yajl_val v = obj_get(o, key, yajl_t_string);

	if (!v)
		return -EINVAL;
	*out = strdup(v->u.string);
	return *out ? 0 : -ENOMEM;
}

int record_parse(const char *json, size_t len, struct pv_record *out)
{
	__attribute__((cleanup(yajl_tree_freep))) yajl_val tree = NULL;
	struct pv_record r = { 0 };
	yajl_val v, files;
	unsigned long long st;
	char *end;
	int e;

	if (json_parse_n(json, len, NULL, 0, &tree) < 0 || !YAJL_IS_OBJECT(tree))
		return -EINVAL;
	v = obj_get(tree, "pid", yajl_t_number);
	if (!v || !YAJL_IS_INTEGER(v) || v->u.number.i <= 0 || v->u.number.i > INT_MAX)
		return -EINVAL;
	r.pid = (pid_t)v->u.number.i;
	v = obj_get(tree, "starttime", yajl_t_string);
	if (!v || !v->u.string[0] || v->u.string[0] == '-')
		return -EINVAL;
	errno = 0;
	st = strtoull(v->u.string, &end, 10);
	if (errno || *end)
		return -EINVAL;
	r.starttime = st;
	files = obj_get(tree, "files", yajl_t_array);
	if (!files)
		return -EINVAL;
	if ((e = dup_str(tree, "id", &r.id)) < 0 || (e = dup_str(tree, "rootfs", &r.rootfs)) < 0 ||
	    (e = dup_str(tree, "mountpoint", &r.mountpoint)) < 0)
		goto fail;
	e = -EINVAL;
	if (!r.id[0] || strlen(r.id) > RECORD_ID_MAX)
		goto fail;
	r.files = calloc(files->u.array.len + 1, sizeof(char *));
	if (!r.files) {
		e = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < files->u.array.len; i++) {
		yajl_val f = files->u.array.values[i];

		if (!YAJL_IS_STRING(f))
			goto fail;
		r.files[i] = strdup(f->u.string);
		if (!r.files[i]) {
			e = -ENOMEM;
			goto fail;
		}
		r.n_files = i + 1;
	}
	*out = r;
	return 0;
fail:
	record_free(&r);
	return e;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	_cleanup_free_ char *p = strdup(dir);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int record_write(const char *dir, const struct pv_record *r)
{
	_cleanup_free_ char *json = NULL;
	_cleanup_close_ int dfd = -1, fd = -1;
	char tmp[RECORD_NAME_MAX + 32], name[RECORD_NAME_MAX + 1];
	size_t len;
	int e;

	e = record_format(r, &json, &len);
	if (e < 0)
		return e;
	e = record_name(r->id, name, sizeof(name));
	if (e < 0)
		return e;
	e = mkdir_p(dir, 0700);
	if (e < 0)
		return e;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Dot-named, so record_foreach never reads a half-written file, and
	 * per-pid, so two writers for one id do not share a temp file. */
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	e = write_all(fd, json, len);
	if (e == 0 && fsync(fd) < 0)
		e = -errno;
	if (e == 0 && renameat(dfd, tmp, dfd, name) < 0)
		e = -errno;
	if (e < 0)
		(void)unlinkat(dfd, tmp, 0);
	return e;
}


/* The record in file (a name in dfd) that must belong under name. */
static int read_at(int dfd, const char *file, const char *name, struct pv_record *out)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	char want[RECORD_NAME_MAX + 1];
	struct pv_record r;
	long len;
	int e;

	fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read_fd(fd, RECORD_MAX, &text);
	if (len < 0)
		return (int)len;
	e = record_parse(text, (size_t)len, &r);
	if (e < 0)
		return e;
	/* The file name is the identity; a record claiming another id is bad. */
	if (record_name(r.id, want, sizeof(want)) < 0 || strcmp(want, name) != 0) {
		record_free(&r);
		return -EINVAL;
	}
	*out = r;
	return 0;
}

int record_read(const char *dir, const char *id, struct pv_record *out)
{
	_cleanup_close_ int dfd = -1;
	char name[RECORD_NAME_MAX + 1];

	if (record_name(id, name, sizeof(name)) < 0)
		return -EINVAL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return read_at(dfd, name, name, out);
}

int record_remove(const char *dir, const char *id)
{
	_cleanup_close_ int dfd = -1;
	char name[RECORD_NAME_MAX + 1];

	if (record_name(id, name, sizeof(name)) < 0)
		return -EINVAL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
}

int record_remove_if(const char *dir, const char *id, pid_t pid, uint64_t starttime)
{
	_cleanup_close_ int dfd = -1;
	char name[RECORD_NAME_MAX + 1], held[RECORD_NAME_MAX + 32];
	struct pv_record r;
	bool match;
	int e;

	if (record_name(id, name, sizeof(name)) < 0)
		return -EINVAL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Take the record away under a private name first: what is compared
	 * is then exactly what gets deleted, even if a hook writes a new
	 * record for the same id meanwhile (that one lands under name). */
	snprintf(held, sizeof(held), ".%s.%d.del", name, (int)getpid());
	if (renameat(dfd, name, dfd, held) < 0)
		return -errno;
	e = read_at(dfd, held, name, &r);
	match = e == 0 && r.pid == pid && r.starttime == starttime;
	if (e == 0)
		record_free(&r);
	if (match)
		return unlinkat(dfd, held, 0) < 0 ? -errno : 0;
	/* Not ours to delete: put it back, unless a newer record took its
	 * place meanwhile (the newer one wins). */
	if (renameat2(dfd, held, dfd, name, RENAME_NOREPLACE) < 0)
		(void)unlinkat(dfd, held, 0);
	return -ESTALE;
}

int record_foreach(const char *dir, int (*fn)(const struct pv_record *r, void *data),
		   void *data, size_t *n_bad)
{
	__attribute__((cleanup(closedirp))) DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (n_bad)
		*n_bad = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int e = -errno;

		close(fd);
		return e;
	}
	while ((de = readdir(d))) {
		struct pv_record r;
		int e;

		if (record_id_valid(de->d_name) < 0)
			continue; /* ".", "..", temp files */
		e = read_at(dirfd(d), de->d_name, de->d_name, &r);
		if (e < 0) {
			if (e != -ENOENT && n_bad) /* ENOENT: removed meanwhile */
				(*n_bad)++;
			continue;
		}
		e = fn(&r, data);
		record_free(&r);
		if (e)
			return e;
	}
	return 0;
}
