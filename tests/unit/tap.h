/* Minimal TAP producer for the unit tests. */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define is_str(got, want, name)                                                \
	do {                                                                   \
		const char *_g = (got), *_w = (want);                          \
		int _ok = _g && _w && strcmp(_g, _w) == 0;                     \
		ok(_ok, "%s", name);                                           \
		if (!_ok)                                                      \
			printf("#   got:  '%s'\n#   want: '%s'\n",             \
			       _g ? _g : "(null)", _w ? _w : "(null)");       \
	} while (0)

#define is_u64(got, want, name)                                                \
	do {                                                                   \
		unsigned long long _g = (got), _w = (want);                    \
		ok(_g == _w, "%s", name);                                      \
		if (_g != _w)                                                  \
			printf("#   got: %llu want: %llu\n", _g, _w);          \
	} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
