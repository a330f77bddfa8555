#include "json.h"
#include "util.h"

#include <errno.h>
#include <string.h>

int json_parse_n(const char *json, size_t len, char *ebuf, size_t ebuf_size, yajl_val *out)
{
	_cleanup_free_ char *copy = NULL;
	size_t blank = 0;

	if (ebuf && ebuf_size)
		ebuf[0] = '\0';
	while (blank < len && (json[blank] == ' ' || json[blank] == '\t' || json[blank] == '\r' ||
			       json[blank] == '\n'))
		blank++;
	if (len == 0 || blank == len || memchr(json, '\0', len))
		return -EINVAL;
	/* yajl_tree_parse wants a C string: callers hand us raw bytes. */
	copy = strndup(json, len);
	if (!copy)
		return -ENOMEM;
	*out = yajl_tree_parse(copy, ebuf, ebuf ? ebuf_size : 0);
	if (!*out) {
		if (ebuf && ebuf_size)
			ebuf[strcspn(ebuf, "\n")] = '\0';
		return -EINVAL;
	}
	return 0;
}
