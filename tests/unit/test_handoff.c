/* What a renderer leaves to the next one (the ledger), per-reader handle
 * tokens, and the pid file's renderer line. */
#include "fh.h"
#include "ledger.h"
#include "runstate.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_ledger(void)
{
	unsigned char req[64], got[LEDGER_INIT_MAX];
	int fd = ledger_create();
	size_t len;
	pid_t pid;
	uint64_t st;
	uint32_t gen;
	struct timespec t0;

	ok(fd >= 0, "ledger: memfd created");
	ok(ftruncate(fd, 4096) < 0, "ledger: sealed, a renderer cannot shrink it under others");
	ok(ledger_attach(fd) == 0, "ledger: mapped");
	ok(ledger_init_load(0, got, sizeof(got), &len) == LEDGER_INIT_NONE && len == 0,
	   "ledger: no INIT before the first renderer");
	memset(req, 0x5a, sizeof(req));
	ok(ledger_init_save(1, req, sizeof(req)) == 0, "ledger: INIT saved");
	ok(ledger_init_load(1, got, sizeof(got), &len) == LEDGER_INIT_SAVED && len == sizeof(req) &&
		   memcmp(got, req, len) == 0,
	   "ledger: a saved INIT not yet answered reads back as SAVED");
	ledger_init_done(1);
	ok(ledger_init_load(1, got, sizeof(got), &len) == LEDGER_INIT_DONE, "ledger: answered INIT is DONE");
	ok(ledger_init_load(0, got, sizeof(got), &len) == LEDGER_INIT_NONE, "ledger: connections apart");
	ok(ledger_init_save(0, got, LEDGER_INIT_MAX + 1) == -E2BIG, "ledger: oversized INIT refused");
	ok(ledger_slots_used() == 0, "ledger: no slot index used yet");
	ledger_slot_set(0, 100, 5000, 1);
	ledger_slot_set(1, 200, 6000, 7);
	ledger_slots_set_used(2);
	ok(ledger_slot_get(1, &pid, &st, &gen) == 0 && pid == 200 && st == 6000 && gen == 7,
	   "ledger: an index names its container and generation");
	ledger_slot_set(0, 0, 0, 1);
	ok(ledger_slot_get(0, &pid, &st, &gen) == 0 && pid == 0 && gen == 1,
	   "ledger: a freed index keeps its generation");
	ok(ledger_slot_get(2, &pid, &st, &gen) == -ENOENT, "ledger: beyond the used mark is ENOENT");
	ledger_start_time(&t0);
	ok(t0.tv_sec > 0, "ledger: the mount's start time is kept");
	close(fd);
}

static void test_fh(void)
{
	struct fh_data *h = fh_new(strdup("hello"), 5), *g, *f;
	uint64_t t = 0;

	ok(fh_insert(h, &t) == 0 && t != 0, "fh: a token for a new open");
	g = fh_get(t);
	ok(g == h && g->len == 5, "fh: the token finds its handle");
	fh_unref(g);
	ok(fh_get(t ^ (1ull << 40)) == NULL, "fh: another renderer's token is unknown, not followed");
	f = fh_adopt(t ^ (1ull << 40), fh_new(strdup("world"), 5));
	g = fh_get(t ^ (1ull << 40));
	ok(g == f && memcmp(g->data, "world", 5) == 0, "fh: a foreign token adopted keeps its snapshot");
	fh_unref(g);
	g = fh_adopt(t ^ (1ull << 40), fh_new(strdup("again"), 5));
	ok(g == f, "fh: a racing second adoption gets the first one's snapshot");
	fh_unref(g);
	fh_unref(f);
	fh_remove(t ^ (1ull << 40));
	fh_remove(t);
	fh_unref(h);
	ok(fh_get(t) == NULL && fh_count() == 0, "fh: released tokens are gone");
	fh_remove(12345); /* unknown RELEASE: no-op */
	ok(1, "fh: releasing an unknown token is harmless");
}

static void test_pidfile(void)
{
	struct daemon_info i;

	ok(pidfile_parse("12\n0.1.0\n1700000000\n", &i) == 0 && i.pid == 12 && i.renderer == 0,
	   "pid file: a 0.1.0 file (three lines) still parses, no renderer");
	ok(pidfile_parse("12\n0.1.0\n1700000000\n34\n", &i) == 0 && i.pid == 12 && i.renderer == 34,
	   "pid file: the fourth line is the renderer");
	ok(pidfile_parse("12\n0.1.0\n1700000000\n-3\n", &i) == 0 && i.renderer == 0,
	   "pid file: a bad renderer line is no renderer");
	ok(pidfile_parse("x\n", &i) == -EINVAL, "pid file: garbage refused");
}

int main(void)
{
	test_ledger();
	test_fh();
	test_pidfile();
	return done_testing();
}
