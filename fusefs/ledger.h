/* What a renderer must leave to the next one: the FUSE INIT each
 * connection negotiated, and which container each per-container inode
 * names. It lives in a memfd that the holder keeps, and hands over on
 * --replace, without reading it. Fixed-size records only, so a renderer
 * that dies mid-write leaves nothing a successor could misparse. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LEDGER_CONNS 2
#define LEDGER_INIT_MAX 512

enum ledger_init_state {
	LEDGER_INIT_NONE,  /* no INIT seen on this connection */
	LEDGER_INIT_SAVED, /* read, the reply may not have reached the kernel */
	LEDGER_INIT_DONE,  /* answered: a new renderer must not expect another */
};

/* A fresh ledger as a sealed-size memfd (the holder's side). */
int ledger_create(void);
/* Map the ledger in fd; fd < 0 makes a private one (tests, tools). */
int ledger_attach(int fd);

/* The raw INIT request of connection conn. load returns its state and
 * copies the bytes (len 0 when NONE). */
int ledger_init_save(int conn, const void *req, size_t len);
void ledger_init_done(int conn);
enum ledger_init_state ledger_init_load(int conn, void *req, size_t size, size_t *len);

/* The index naming <pid>-<starttime>, reusing an existing one. */
long ledger_slot_add(pid_t pid, uint64_t starttime);
/* The container behind index idx; -ENOENT if none. */
int ledger_slot_get(size_t idx, pid_t *pid, uint64_t *starttime);
