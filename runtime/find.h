/* Which program is the real runtime: never procview-runtime itself, even
 * through a symlink, a hard link or a PATH entry named runc. */
#pragma once
#include <sys/stat.h>

/* name: an absolute or relative path (containing '/') is used as is; a
 * bare name is looked up in path_env (default PATH when NULL). self is
 * procview-runtime's own stat: a candidate with the same device and inode
 * is skipped (-ELOOP when a path given as such is this program). Returns 0
 * and a malloc'd *out, or -ENOENT / -ELOOP / -ENOMEM. */
int rt_find_runtime(const char *name, const char *path_env, const struct stat *self, char **out);
