/* Editing a yajl tree in place and writing it back out. Nodes made here
 * are malloc'd exactly as yajl_tree_parse makes them, so yajl_tree_free
 * frees a tree mixing both. Numbers are written back from their original
 * text (yajl keeps it in u.number.r): 18446744073709551615 and 1e3 stay
 * as they were. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "json.h"

/* Nesting deeper than this is refused before parsing: yajl_gen stops at
 * 128 and yajl_tree_free recurses. Real configs nest less than 10 deep.
 * The same bound as every other JSON procview parses. */
#define JT_MAX_DEPTH JSON_MAX_DEPTH

/* Checks a parse would not lose meaning: nesting within JT_MAX_DEPTH and
 * no \u0000 in a string (yajl's tree keeps C strings and would cut it).
 * Returns 0 or -EINVAL with *why a static reason. */
int jt_precheck(const char *json, size_t len, const char **why);

yajl_val jt_string(const char *s);
yajl_val jt_int(long long v);
yajl_val jt_object(void);
yajl_val jt_array(void);
/* Append; on failure (-ENOMEM) val is freed. */
int jt_array_append(yajl_val arr, yajl_val val);
int jt_object_append(yajl_val obj, const char *key, yajl_val val);
/* Free element i and close the gap. */
void jt_array_remove(yajl_val arr, size_t i);
/* The last member named key (the one Go's decoder keeps), or NULL. */
yajl_val *jt_object_slot(yajl_val obj, const char *key);

/* Serialise compactly into a malloc'd buffer. -ENOMEM or -EINVAL. */
int jt_generate(yajl_val tree, char **out, size_t *len);
