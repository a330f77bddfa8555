#include "fileio.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long read_fd(int fd, size_t max, char **out)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			/* One byte past max tells "exactly max" from "more". */
			size_t ncap = cap ? MIN(cap * 2, max + 1) : MIN((size_t)65536, max + 1);
			char *p;

			if (len > max)
				return -EFBIG;
			p = realloc(data, ncap + 1);
			if (!p)
				return -ENOMEM;
			data = p;
			cap = ncap;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		return -EFBIG;
	if (!data && !(data = malloc(1)))
		return -ENOMEM;
	data[len] = '\0';
	*out = steal_pointer(&data);
	return (long)len;
}

long read_file_at(int dirfd, const char *path, size_t max, char **out)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd(fd, max, out);
}

static const char *skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s)
		return -EINVAL;
	s = skip_ws(s);
	if (strncmp(s, "max", 3) == 0 && *skip_ws(s + 3) == '\0') {
		*out = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*skip_ws(end) != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s)
		return -EINVAL;
	s = skip_ws(s);
	if (!isdigit((unsigned char)*s) && *s != '-')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *skip_ws(end) != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
