/* What a renderer must leave to the next one: the FUSE INIT each
 * connection negotiated, and which container each per-container slot
 * index names, with its generation (slots.h). It lives in a memfd that
 * the holder keeps, and hands over on --replace, without reading it.
 * Fixed-size records only, so a renderer that dies mid-write leaves
 * nothing a successor could misparse. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define LEDGER_CONNS 2
#define LEDGER_INIT_MAX 512
/* Slot indices beyond this are served but not remembered across a
 * renderer's restart (16 MiB of address space, touched as used). */
#define LEDGER_SLOTS (1u << 20)

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

/* The mount's start time: every renderer shows the same directory times. */
void ledger_start_time(struct timespec *t);

/* Slot records, written by one renderer at a time (under its table lock).
 * used: indices ever handed out (the high-water mark). */
size_t ledger_slots_used(void);
void ledger_slots_set_used(size_t n);
/* Index idx names pid-starttime at generation gen (pid 0: free, gen kept). */
void ledger_slot_set(size_t idx, pid_t pid, uint64_t starttime, uint32_t gen);
/* 0, or -ENOENT beyond what the ledger holds. *pid is 0 for a free index. */
int ledger_slot_get(size_t idx, pid_t *pid, uint64_t *starttime, uint32_t *gen);
