#include "jtree.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

int jt_precheck(const char *json, size_t len, const char **why)
{
	bool in_string = false;

	if (json_too_deep(json, len)) {
		*why = "nested too deeply";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = json[i];

		if (in_string) {
			if (c == '\\') {
				if (i + 5 < len && json[i + 1] == 'u' &&
				    memcmp(json + i + 2, "0000", 4) == 0) {
					*why = "a string holds \\u0000";
					return -EINVAL;
				}
				i++; /* whatever is escaped cannot end the string */
			} else if (c == '"') {
				in_string = false;
			}
		} else if (c == '"') {
			in_string = true;
		}
	}
	return 0;
}

static yajl_val node(yajl_type t)
{
	yajl_val v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

yajl_val jt_string(const char *s)
{
	yajl_val v = node(yajl_t_string);

	if (v && !(v->u.string = strdup(s))) {
		free(v);
		return NULL;
	}
	return v;
}

yajl_val jt_int(long long i)
{
	yajl_val v = node(yajl_t_number);

	if (!v)
		return NULL;
	if (asprintf(&v->u.number.r, "%lld", i) < 0) {
		free(v);
		return NULL;
	}
	v->u.number.i = i;
	v->u.number.d = (double)i;
	v->u.number.flags = YAJL_NUMBER_INT_VALID | YAJL_NUMBER_DOUBLE_VALID;
	return v;
}

yajl_val jt_object(void)
{
	return node(yajl_t_object);
}

yajl_val jt_array(void)
{
	return node(yajl_t_array);
}

int jt_array_append(yajl_val arr, yajl_val val)
{
	yajl_val *p;

	if (!val)
		return -ENOMEM;
	p = realloc(arr->u.array.values, (arr->u.array.len + 1) * sizeof(*p));
	if (!p) {
		yajl_tree_free(val);
		return -ENOMEM;
	}
	arr->u.array.values = p;
	p[arr->u.array.len++] = val;
	return 0;
}

int jt_object_append(yajl_val obj, const char *key, yajl_val val)
{
	size_t n = obj->u.object.len;
	const char **keys;
	yajl_val *values;
	char *k;

	if (!val)
		return -ENOMEM;
	k = strdup(key);
	keys = realloc(obj->u.object.keys, (n + 1) * sizeof(*keys));
	if (keys)
		obj->u.object.keys = keys;
	values = realloc(obj->u.object.values, (n + 1) * sizeof(*values));
	if (values)
		obj->u.object.values = values;
	if (!k || !keys || !values) {
		free(k);
		yajl_tree_free(val);
		return -ENOMEM;
	}
	keys[n] = k;
	values[n] = val;
	obj->u.object.len = n + 1;
	return 0;
}

void jt_array_remove(yajl_val arr, size_t i)
{
	yajl_tree_free(arr->u.array.values[i]);
	memmove(arr->u.array.values + i, arr->u.array.values + i + 1,
		(arr->u.array.len - i - 1) * sizeof(yajl_val));
	arr->u.array.len--;
}

yajl_val *jt_object_slot(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = obj->u.object.len; i-- > 0;)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return &obj->u.object.values[i];
	return NULL;
}

static yajl_gen_status gen_string(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Depth is bounded by jt_precheck (parsed trees) or by construction. */
static yajl_gen_status gen(yajl_gen g, yajl_val v)
{
	yajl_gen_status e = yajl_gen_status_ok;

	if (!v)
		return yajl_gen_null(g);
	switch (v->type) {
	case yajl_t_string:
		return gen_string(g, v->u.string);
	case yajl_t_number:
		return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	case yajl_t_true:
		return yajl_gen_bool(g, 1);
	case yajl_t_false:
		return yajl_gen_bool(g, 0);
	case yajl_t_null:
		return yajl_gen_null(g);
	case yajl_t_object:
		e = yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len && !e; i++) {
			e = gen_string(g, v->u.object.keys[i]);
			if (!e)
				e = gen(g, v->u.object.values[i]);
		}
		return e ? e : yajl_gen_map_close(g);
	case yajl_t_array:
		e = yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len && !e; i++)
			e = gen(g, v->u.array.values[i]);
		return e ? e : yajl_gen_array_close(g);
	default:
		return yajl_gen_generation_complete; /* any error: cannot happen */
	}
}

static inline void yajl_gen_freep(yajl_gen *g)
{
	if (*g)
		yajl_gen_free(*g);
}

int jt_generate(yajl_val tree, char **out, size_t *len)
{
	__attribute__((cleanup(yajl_gen_freep))) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t n;
	yajl_gen_status e;

	if (!g)
		return -ENOMEM;
	e = gen(g, tree);
	if (e == yajl_gen_status_ok)
		e = yajl_gen_get_buf(g, &buf, &n);
	if (e != yajl_gen_status_ok)
		return -EINVAL;
	*out = malloc(n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, buf, n);
	(*out)[n] = '\0';
	*len = n;
	return 0;
}
