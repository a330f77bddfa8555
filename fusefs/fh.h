/* Per-reader open files. The FUSE file handle is a token, never a
 * pointer: a renderer that inherits a connection gets READs and RELEASEs
 * for opens another renderer answered, and must find nothing rather than
 * follow a pointer into memory it never owned. */
#pragma once
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct fh_data {
	atomic_int refs;
	char *data;
	size_t len;
};

/* A new handle owning data (one reference for the table). */
struct fh_data *fh_new(char *data, size_t len);
void fh_unref(struct fh_data *h);
/* Store h under a fresh token of this renderer; the table takes a ref. */
int fh_insert(struct fh_data *h, uint64_t *token);
/* Store h under a token another renderer handed out; if one is there
 * already (a racing READ adopted it first), that one is returned. */
struct fh_data *fh_adopt(uint64_t token, struct fh_data *h);
/* A reference to the handle behind token, or NULL if it is unknown. */
struct fh_data *fh_get(uint64_t token);
/* Forget token (RELEASE); unknown tokens are ignored. */
void fh_remove(uint64_t token);
size_t fh_count(void);
