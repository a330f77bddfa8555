#include "ledger.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define LEDGER_MAGIC 0x7076656cu /* "pvel" */
#define LEDGER_VERSION 2

struct ledger_init {
	uint32_t state;
	uint32_t len;
	unsigned char bytes[LEDGER_INIT_MAX];
};

struct ledger_slot {
	int32_t pid; /* written last: 0 means free (or not yet valid) */
	uint32_t gen;
	uint64_t starttime;
};

struct ledger_hdr {
	uint32_t magic, version;
	struct ledger_init init[LEDGER_CONNS];
	uint64_t used;
	uint64_t cap;
	int64_t start_sec, start_nsec;
};

#define HDR_SIZE 4096
#define LEDGER_SIZE (HDR_SIZE + (size_t)LEDGER_SLOTS * sizeof(struct ledger_slot))
_Static_assert(sizeof(struct ledger_hdr) <= HDR_SIZE, "ledger header fits its page");

static struct ledger_hdr *hdr;
static struct ledger_slot *slot_tab;

static void hdr_init(struct ledger_hdr *h)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	*h = (struct ledger_hdr){ .magic = LEDGER_MAGIC, .version = LEDGER_VERSION,
				  .cap = LEDGER_SLOTS, .start_sec = now.tv_sec,
				  .start_nsec = now.tv_nsec };
}

int ledger_create(void)
{
	struct ledger_hdr h;
	_cleanup_close_ int fd = memfd_create("procview-ledger", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	hdr_init(&h);
	if (ftruncate(fd, (off_t)LEDGER_SIZE) < 0 || pwrite(fd, &h, sizeof(h), 0) != sizeof(h))
		return -errno;
	/* A renderer can write records but never shrink the file under the
	 * others' mappings (SIGBUS). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int ledger_attach(int fd)
{
	struct ledger_hdr *h;
	void *p;

	if (fd >= 0)
		p = mmap(NULL, LEDGER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	else
		p = mmap(NULL, LEDGER_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	h = p;
	if (fd < 0) {
		hdr_init(h);
	} else {
		struct stat st;

		if (fstat(fd, &st) < 0 || (size_t)st.st_size < LEDGER_SIZE ||
		    h->magic != LEDGER_MAGIC || h->version != LEDGER_VERSION ||
		    h->cap != LEDGER_SLOTS) {
			munmap(p, LEDGER_SIZE);
			return -EPROTO;
		}
	}
	slot_tab = (struct ledger_slot *)((char *)p + HDR_SIZE);
	__atomic_store_n(&hdr, h, __ATOMIC_RELEASE);
	return 0;
}

static void attach_private(void)
{
	(void)ledger_attach(-1);
}

/* Tools and unit tests use the front end without a holder. */
static int ensure(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (!__atomic_load_n(&hdr, __ATOMIC_ACQUIRE))
		pthread_once(&once, attach_private);
	return __atomic_load_n(&hdr, __ATOMIC_ACQUIRE) ? 0 : -ENOMEM;
}

int ledger_init_save(int conn, const void *req, size_t len)
{
	struct ledger_init *in;

	if (ensure() < 0 || conn < 0 || conn >= LEDGER_CONNS)
		return -EINVAL;
	if (len > LEDGER_INIT_MAX)
		return -E2BIG;
	in = &hdr->init[conn];
	__atomic_store_n(&in->state, LEDGER_INIT_NONE, __ATOMIC_RELEASE);
	memcpy(in->bytes, req, len);
	in->len = (uint32_t)len;
	__atomic_store_n(&in->state, LEDGER_INIT_SAVED, __ATOMIC_RELEASE);
	return 0;
}

void ledger_init_done(int conn)
{
	if (ensure() == 0 && conn >= 0 && conn < LEDGER_CONNS &&
	    __atomic_load_n(&hdr->init[conn].state, __ATOMIC_ACQUIRE) == LEDGER_INIT_SAVED)
		__atomic_store_n(&hdr->init[conn].state, LEDGER_INIT_DONE, __ATOMIC_RELEASE);
}

enum ledger_init_state ledger_init_load(int conn, void *req, size_t size, size_t *len)
{
	struct ledger_init *in;
	uint32_t state;

	*len = 0;
	if (ensure() < 0 || conn < 0 || conn >= LEDGER_CONNS)
		return LEDGER_INIT_NONE;
	in = &hdr->init[conn];
	state = __atomic_load_n(&in->state, __ATOMIC_ACQUIRE);
	if (state != LEDGER_INIT_SAVED && state != LEDGER_INIT_DONE)
		return LEDGER_INIT_NONE;
	if (in->len > size || in->len > LEDGER_INIT_MAX)
		return LEDGER_INIT_NONE;
	memcpy(req, in->bytes, in->len);
	*len = in->len;
	return (enum ledger_init_state)state;
}

void ledger_start_time(struct timespec *t)
{
	if (ensure() < 0) {
		clock_gettime(CLOCK_REALTIME, t);
		return;
	}
	t->tv_sec = (time_t)hdr->start_sec;
	t->tv_nsec = (long)hdr->start_nsec;
}

size_t ledger_slots_used(void)
{
	if (ensure() < 0)
		return 0;
	return (size_t)MIN(__atomic_load_n(&hdr->used, __ATOMIC_ACQUIRE), (uint64_t)LEDGER_SLOTS);
}

void ledger_slots_set_used(size_t n)
{
	if (ensure() == 0)
		__atomic_store_n(&hdr->used, (uint64_t)MIN(n, (size_t)LEDGER_SLOTS),
				 __ATOMIC_RELEASE);
}

void ledger_slot_set(size_t idx, pid_t pid, uint64_t starttime, uint32_t gen)
{
	struct ledger_slot *s;

	if (ensure() < 0 || idx >= LEDGER_SLOTS)
		return;
	s = &slot_tab[idx];
	__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
	s->starttime = starttime;
	s->gen = gen;
	if (pid > 0)
		__atomic_store_n(&s->pid, (int32_t)pid, __ATOMIC_RELEASE);
}

int ledger_slot_get(size_t idx, pid_t *pid, uint64_t *starttime, uint32_t *gen)
{
	struct ledger_slot *s;

	if (ensure() < 0 || idx >= ledger_slots_used())
		return -ENOENT;
	s = &slot_tab[idx];
	*pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
	*starttime = s->starttime;
	*gen = s->gen;
	return 0;
}
