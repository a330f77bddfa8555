/* yajl tree parsing of a buffer that is not NUL-terminated. */
#pragma once
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* Parse len bytes. -EINVAL for empty or all-blank input, an embedded NUL
 * (yajl would stop there and hide the rest) or a parse error, whose first
 * line goes to ebuf when given. */
int json_parse_n(const char *json, size_t len, char *ebuf, size_t ebuf_size, yajl_val *out);
