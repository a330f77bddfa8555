#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* yajl builds and frees its tree recursively, one stack frame per level:
 * ~800 KB of '[' overflows the stack in yajl_tree_free. Count the depth
 * outside strings before yajl sees the text. */
bool json_too_deep(const char *json, size_t len)
{
	unsigned depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = json[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return true;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

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
	if (json_too_deep(json, len)) {
		if (ebuf && ebuf_size)
			snprintf(ebuf, ebuf_size, "nested deeper than %d levels", JSON_MAX_DEPTH);
		return -EINVAL;
	}
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
