/* The per-container slot table: names and inodes, reuse with a new
 * generation, strict names, and that a container stuck in its own
 * rendering holds nothing another container needs. */
#include "fs.h"
#include "slots.h"
#include "tap.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static struct container *fake(void)
{
	struct container *c = calloc(1, sizeof(*c));

	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->snap_lock, NULL);
	c->cgroup_text = strdup("0::/x\n");
	return c;
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int in_render;

/* Renders "A" only once the gate opens: a container whose cgroup files
 * hang (or that floods its own files) keeps this slot busy. */
static int render_stuck(const void *ctx, struct container *c, int view, struct buf *out)
{
	(void)ctx, (void)c, (void)view;
	atomic_fetch_add(&in_render, 1);
	pthread_mutex_lock(&gate);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate);
	pthread_mutex_unlock(&gate);
	return buf_puts(out, "A\n");
}

static int render_b(const void *ctx, struct container *c, int view, struct buf *out)
{
	(void)ctx, (void)c, (void)view;
	return buf_puts(out, "B\n");
}

static void *reader_a(void *arg)
{
	struct slot *s = arg;
	int err = 0;
	struct slot_snap *sn = slot_snapshot(s, V_MEMINFO, 1, true, 100, render_stuck, NULL, &err);

	slot_snap_unref(sn);
	return NULL;
}

static bool not_b(const struct slot *s, void *data)
{
	(void)data;
	return s->pid != 200;
}

static bool only_a(const struct slot *s, void *data)
{
	(void)data;
	return s->pid == 100;
}

static void ok_quiet_insert(pid_t pid)
{
	struct slot *s;

	if (slots_insert(pid, 7, fake(), &s) == 0)
		slot_unref(s);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "not ok - hung: a stuck container blocked another one\n";
	(void)!write(1, m, sizeof(m) - 1);
	_exit(1);
}

int main(void)
{
	struct slot *a, *b, *b2 = NULL, *x;
	pthread_t t[64];
	pid_t pid;
	uint64_t st, ino_b;
	int node, err = 0;
	size_t cap;
	struct slot_snap *sn;

	/* names */
	ok(fs_parse_name("12-345", &pid, &st) == 0 && pid == 12 && st == 345, "name 12-345");
	ok(fs_parse_name("+12-345", &pid, &st) < 0, "name +12-345 refused");
	ok(fs_parse_name("12-+345", &pid, &st) < 0, "name 12-+345 refused");
	ok(fs_parse_name(" 12-345", &pid, &st) < 0, "name with a space refused");
	ok(fs_parse_name("012-345", &pid, &st) < 0, "leading zero refused");
	ok(fs_parse_name("4294967308-1", &pid, &st) < 0, "pid 2^32+12 refused (sscanf wrapped it to 12)");
	ok(fs_parse_name("2147483648-1", &pid, &st) < 0, "pid over INT32_MAX refused");
	ok(fs_parse_name("1-18446744073709551616", &pid, &st) < 0, "starttime 2^64 refused");
	ok(fs_parse_name("1-18446744073709551615", &pid, &st) == 0 && st == UINT64_MAX,
	   "starttime 2^64-1 accepted");
	ok(fs_parse_name("0-5", &pid, &st) < 0, "pid 0 refused");
	ok(fs_parse_name("12-345x", &pid, &st) < 0 && fs_parse_name("12-", &pid, &st) < 0 &&
		   fs_parse_name("-5", &pid, &st) < 0 && fs_parse_name("12", &pid, &st) < 0,
	   "trailing garbage and missing parts refused");

	/* a stuck slot A with 64 waiters must not stop B */
	signal(SIGALRM, on_alarm);
	alarm(60); /* a safety net for a hang, not a timing assertion */
	ok(slots_insert(100, 1, fake(), &a) == 0, "slot A inserted");
	for (int i = 0; i < 64; i++)
		pthread_create(&t[i], NULL, reader_a, a);
	while (atomic_load(&in_render) == 0)
		usleep(1000);
	ok(slots_insert(200, 2, fake(), &b) == 0, "slot B inserted while A's render is stuck");
	sn = slot_snapshot(b, V_MEMINFO, 1, true, 100, render_b, NULL, &err);
	ok(sn && sn->len == 2 && memcmp(sn->data, "B\n", 2) == 0, "B renders while A is stuck");
	slot_snap_unref(sn);
	x = slots_find_ino(slot_ino(b, 3), &node);
	ok(x == b && node == 3, "B found by inode while A is stuck");
	slot_unref(x);
	ok(slots_count() == 2, "two slots");
	pthread_mutex_lock(&gate);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate);
	for (int i = 0; i < 64; i++)
		pthread_join(t[i], NULL);
	alarm(0);
	ok(atomic_load(&in_render) == 1, "A rendered once for 64 waiters (%d)", atomic_load(&in_render));

	/* a stale snapshot is served while another thread renders */
	sn = slot_snapshot(a, V_MEMINFO, 1, true, 100, render_b, NULL, &err);
	ok(sn && sn->data[0] == 'A', "fresh snapshot reused in its tick");
	slot_snap_unref(sn);
	pthread_mutex_lock(&a->render_lock);
	sn = slot_snapshot(a, V_MEMINFO, 2, true, 100, render_b, NULL, &err);
	ok(sn && sn->data[0] == 'A' && sn->tick == 1, "renderer busy: the previous snapshot, no wait");
	slot_snap_unref(sn);
	pthread_mutex_unlock(&a->render_lock);

	/* reuse: a freed index comes back with a new generation */
	ino_b = slot_ino(b, 3);
	{
		uint32_t idx = b->idx, gen = b->gen;

		slot_unref(b);
		slots_sweep(not_b, NULL, NULL);
		ok(slots_count() == 1, "dead slot B swept");
		ok(slots_find_ino(ino_b, &node) == NULL, "B's inode answers nothing once B is gone");
		ok(slots_insert(300, 3, fake(), &b2) == 0 && b2->idx == idx && b2->gen == gen + 1,
		   "a new container reuses B's index with the next generation");
		ok(slots_find_ino(ino_b, &node) == NULL, "B's old inode stays stale after the reuse");
		x = slots_find_ino(slot_ino(b2, 3), &node);
		ok(x == b2, "the new slot answers its own inode");
		slot_unref(x);
		slot_unref(b2);
	}
	ok_quiet_insert(999);
	slots_sweep(only_a, NULL, NULL);
	cap = slots_capacity();
	for (int i = 0; i < 1000; i++) {
		ok_quiet_insert(1000 + i);
		slots_sweep(only_a, NULL, NULL);
	}
	ok(slots_capacity() == cap && slots_count() == 1,
	   "1000 containers came and went: table capacity flat (%zu -> %zu)", cap, slots_capacity());
	ok(slots_find(100, 1) == a, "A still found by name");
	slot_unref(a);
	slot_unref(a);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
