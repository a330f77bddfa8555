/* Growable byte buffer: the output type of every renderer. */
#pragma once
#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
};

int buf_append(struct buf *b, const char *s, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hand the bytes over; the buffer becomes empty. */
char *buf_steal(struct buf *b, size_t *len);
