#include "policy.h"
#include "attach.h"
#include "mountpoint.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

bool policy_disabled(const struct oci_state *st, const struct oci_config *cfg)
{
	return oci_annotation_true(&st->annotations, ANNOTATION_DISABLE) ||
	       oci_annotation_true(&cfg->annotations, ANNOTATION_DISABLE);
}

bool policy_strict(const struct oci_state *st, const struct oci_config *cfg)
{
	return oci_annotation_true(&st->annotations, ANNOTATION_STRICT) ||
	       oci_annotation_true(&cfg->annotations, ANNOTATION_STRICT);
}

void policy_clean_path(char *p)
{
	/* Lexical, as the runtime joins it under the rootfs: "/proc/../proc/x"
	 * is "/proc/x", and ".." never climbs above "/". */
	path_clean(p);
}

/* Does the user mount over file (relative, as in attach_files)? */
static bool user_mounts(const struct oci_config *cfg, const char *file)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		char dest[4096];
		const char *rel;

		if (strlen(cfg->mount_dests[i]) + 2 > sizeof(dest))
			continue;
		/* OCI allows relative destinations (runc takes them from /). */
		snprintf(dest, sizeof(dest), "%s%s", cfg->mount_dests[i][0] == '/' ? "" : "/",
			 cfg->mount_dests[i]);
		policy_clean_path(dest);
		rel = dest + 1;
		if (strcmp(rel, file) == 0)
			return true;
		if (strcmp(rel, "proc/pressure") == 0 && strncmp(file, "proc/pressure/", 14) == 0)
			return true;
	}
	return false;
}

size_t policy_files(const struct oci_config *cfg, const char **out, size_t max, size_t *n_user)
{
	size_t n = 0;

	*n_user = 0;
	for (size_t i = 0; i < attach_n_files; i++) {
		if (user_mounts(cfg, attach_files[i]))
			(*n_user)++;
		else if (n < max)
			out[n++] = attach_files[i];
	}
	return n;
}

int policy_budget_ms(int timeout_s)
{
	if (timeout_s <= 0)
		return POLICY_BUDGET_DEFAULT_MS;
	/* Half: the runtime's clock started before our exec, perhaps on a
	 * loaded host, and the exit itself takes time too. */
	return (int)MIN((int64_t)timeout_s * 500, POLICY_BUDGET_MAX_MS);
}

int policy_hook_timeout(const struct oci_config *cfg, const char *stage,
			bool (*is_self)(const char *path, void *arg), void *arg)
{
	int t = 0;

	for (size_t i = 0; i < cfg->n_hooks; i++) {
		const struct oci_hook *h = &cfg->hooks[i];
		bool stage_ok = stage ? strcmp(h->stage, stage) == 0
				      : strcmp(h->stage, "createRuntime") == 0 ||
						strcmp(h->stage, "prestart") == 0;

		if (h->timeout > 0 && stage_ok && (t == 0 || h->timeout < t) && is_self(h->path, arg))
			t = h->timeout;
	}
	return t;
}
