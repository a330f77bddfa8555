/* Whole files in and out: small kernel files (cgroup, /proc) read relative
 * to a root directory so tests can point the daemon at fixture trees. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Read the whole file at path (absolute, or relative to dirfd) into a
 * malloc'd NUL-terminated string. Caps at max bytes (-EFBIG beyond).
 * Returns length or negative errno. */
long read_file_at(int dirfd, const char *path, size_t max, char **out);
/* The same for an open fd, read to EOF: -EFBIG past max bytes (it reads
 * one byte more to tell "exactly max" from "more"). */
long read_fd(int fd, size_t max, char **out);
#define READ_MAX_DEFAULT (4u << 20)
/* Write all n bytes (short writes and EINTR retried): 0 or -errno. */
int write_all(int fd, const void *p, size_t n);

/* Parse a decimal unsigned, allowing trailing whitespace. "max" gives
 * UINT64_MAX. Returns 0 or -EINVAL / -ERANGE. */
int parse_u64(const char *s, uint64_t *out);
/* Like parse_u64 for a signed value ("-1" allowed). */
int parse_i64(const char *s, int64_t *out);
