#include "config.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FAIL(err, ...)                                                         \
	({                                                                     \
		*(err) = oci_strdupf(__VA_ARGS__);                             \
		*(err) ? -EINVAL : -ENOMEM;                                    \
	})

void oci_config_free(struct oci_config *cfg)
{
	free(cfg->root_path);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		free(cfg->mount_dests[i]);
	free(cfg->mount_dests);
	oci_annotations_free(&cfg->annotations);
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		free(cfg->hooks[i].stage);
		free(cfg->hooks[i].path);
	}
	free(cfg->hooks);
	free(cfg->hooks_note);
	*cfg = (struct oci_config){ 0 };
}

static int config_root(yajl_val tree, const char *bundle, char **out, char **err)
{
	static const char what[] = "config.json";
	yajl_val root = oci_json_get(tree, "root");
	_cleanup_free_ char *path = NULL;
	int r;

	if (!root || YAJL_IS_NULL(root))
		return FAIL(err, "%s: \"root\" missing", what);
	if (!YAJL_IS_OBJECT(root))
		return FAIL(err, "%s: \"root\" is not an object", what);
	r = oci_json_string(root, "path", true, what, "\"root\".", &path, err);
	if (r < 0)
		return r;
	if (!path[0])
		return FAIL(err, "%s: \"root\".\"path\" is empty", what);
	if (path[0] == '/') {
		*out = steal_pointer(&path);
		return 0;
	}
	*out = oci_strdupf("%s/%s", bundle, path);
	return *out ? 0 : -ENOMEM;
}

static int config_mounts(yajl_val tree, struct oci_config *cfg, char **err)
{
	static const char what[] = "config.json";
	yajl_val m = oci_json_get(tree, "mounts");
	size_t n;

	if (!m || YAJL_IS_NULL(m))
		return 0;
	if (!YAJL_IS_ARRAY(m))
		return FAIL(err, "%s: \"mounts\" is not an array", what);
	n = m->u.array.len;
	cfg->mount_dests = calloc(n + 1, sizeof(char *));
	if (!cfg->mount_dests)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char ctx[64];
		int r;

		snprintf(ctx, sizeof(ctx), "\"mounts\"[%zu].", i);
		if (!YAJL_IS_OBJECT(m->u.array.values[i]))
			return FAIL(err, "%s: \"mounts\"[%zu] is not an object", what, i);
		r = oci_json_string(m->u.array.values[i], "destination", true, what, ctx,
				    &cfg->mount_dests[i], err);
		if (r < 0)
			return r;
		cfg->n_mounts = i + 1;
	}
	return 0;
}

static void hooks_note(struct oci_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void hooks_note(struct oci_config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (cfg->hooks_note)
		return;
	va_start(ap, fmt);
	if (vasprintf(&cfg->hooks_note, fmt, ap) < 0)
		cfg->hooks_note = NULL;
	va_end(ap);
}

/* "hooks": { STAGE: [ { "path", "args", "env", "timeout" }, ... ], ... }.
 * Entries that do not fit are skipped with a note, never an error. */
static int config_hooks(yajl_val tree, struct oci_config *cfg)
{
	yajl_val h = oci_json_get(tree, "hooks");
	size_t n = 0;

	if (!h || YAJL_IS_NULL(h))
		return 0;
	if (!YAJL_IS_OBJECT(h)) {
		hooks_note(cfg, "config.json: \"hooks\" is not an object");
		return 0;
	}
	for (size_t s = 0; s < h->u.object.len; s++)
		if (YAJL_IS_ARRAY(h->u.object.values[s]))
			n += h->u.object.values[s]->u.array.len;
	cfg->hooks = calloc(n + 1, sizeof(*cfg->hooks));
	if (!cfg->hooks)
		return -ENOMEM;
	for (size_t s = 0; s < h->u.object.len; s++) {
		const char *stage = h->u.object.keys[s];
		yajl_val list = h->u.object.values[s];

		if (!YAJL_IS_ARRAY(list)) {
			hooks_note(cfg, "config.json: \"hooks\".\"%.64s\" is not an array", stage);
			continue;
		}
		for (size_t i = 0; i < list->u.array.len; i++) {
			yajl_val e = list->u.array.values[i];
			yajl_val path = oci_json_get(e, "path"), t = oci_json_get(e, "timeout");
			struct oci_hook *hk = &cfg->hooks[cfg->n_hooks];

			if (!YAJL_IS_STRING(path)) {
				hooks_note(cfg, "config.json: \"hooks\".\"%.64s\"[%zu] has no \"path\" string",
					   stage, i);
				continue;
			}
			if (t && !YAJL_IS_NULL(t) &&
			    (!YAJL_IS_INTEGER(t) || YAJL_GET_INTEGER(t) <= 0 ||
			     YAJL_GET_INTEGER(t) > INT_MAX)) {
				hooks_note(cfg,
					   "config.json: \"hooks\".\"%.64s\"[%zu].\"timeout\" is not a positive integer",
					   stage, i);
				continue;
			}
			hk->stage = strdup(stage);
			hk->path = strdup(path->u.string);
			if (!hk->stage || !hk->path) {
				free(hk->stage);
				free(hk->path);
				return -ENOMEM;
			}
			hk->timeout = t && YAJL_IS_INTEGER(t) ? (int)YAJL_GET_INTEGER(t) : 0;
			cfg->n_hooks++;
		}
	}
	return 0;
}

int oci_config_parse(const char *json, size_t len, const char *bundle, struct oci_config *out,
		     char **err)
{
	_cleanup_yajl_ yajl_val tree = NULL;
	struct oci_config cfg = { 0 };
	int r;

	*err = NULL;
	r = oci_json_parse(json, len, "config.json", &tree, err);
	if (r < 0)
		return r;
	if ((r = config_root(tree, bundle, &cfg.root_path, err)) < 0 ||
	    (r = config_mounts(tree, &cfg, err)) < 0 ||
	    (r = oci_json_annotations(tree, "config.json", &cfg.annotations, err)) < 0 ||
	    (r = config_hooks(tree, &cfg)) < 0) {
		oci_config_free(&cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int oci_config_load(const char *bundle, struct oci_config *cfg, char **err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	long len;

	*err = NULL;
	path = oci_strdupf("%s/config.json", bundle);
	if (!path)
		return -ENOMEM;
	len = read_file_at(AT_FDCWD, path, OCI_CONFIG_MAX, &text);
	if (len < 0) {
		int r = (int)len;

		*err = oci_strdupf("%s: %s", path,
				   r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
		return *err ? r : -ENOMEM;
	}
	return oci_config_parse(text, (size_t)len, bundle, cfg, err);
}
