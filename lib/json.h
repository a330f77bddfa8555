/* yajl tree parsing of a buffer that is not NUL-terminated. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* Deeper arrays and objects are refused before parsing (OCI state and
 * config nest a handful of levels). */
#define JSON_MAX_DEPTH 64

/* True when arrays and objects outside strings nest deeper than
 * JSON_MAX_DEPTH. */
bool json_too_deep(const char *json, size_t len);

/* Parse len bytes. -EINVAL for empty or all-blank input, an embedded NUL
 * (yajl would stop there and hide the rest), nesting deeper than
 * JSON_MAX_DEPTH, or a parse error; the first line of why goes to ebuf
 * when given. */
int json_parse_n(const char *json, size_t len, char *ebuf, size_t ebuf_size, yajl_val *out);
