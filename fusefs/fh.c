#include "fh.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>

#define BUCKETS 1024

struct entry {
	uint64_t token;
	struct fh_data *h;
	struct entry *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table[BUCKETS];
static uint32_t boot_id; /* tells this renderer's tokens from others' */
static uint32_t counter;
static size_t count;

static size_t bucket(uint64_t token)
{
	return (size_t)((token ^ (token >> 32)) * 0x9e3779b97f4a7c15ull >> 54) % BUCKETS;
}

struct fh_data *fh_new(char *data, size_t len)
{
	struct fh_data *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	atomic_init(&h->refs, 1);
	h->data = data;
	h->len = len;
	return h;
}

void fh_unref(struct fh_data *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		free(h->data);
		free(h);
	}
}

static struct entry **find(uint64_t token)
{
	struct entry **e = &table[bucket(token)];

	while (*e && (*e)->token != token)
		e = &(*e)->next;
	return e;
}

static int put_locked(uint64_t token, struct fh_data *h)
{
	struct entry *e = malloc(sizeof(*e));

	if (!e)
		return -ENOMEM;
	atomic_fetch_add(&h->refs, 1);
	e->token = token;
	e->h = h;
	e->next = table[bucket(token)];
	table[bucket(token)] = e;
	count++;
	return 0;
}

int fh_insert(struct fh_data *h, uint64_t *token)
{
	int r;

	pthread_mutex_lock(&lock);
	while (!boot_id && getrandom(&boot_id, sizeof(boot_id), 0) != sizeof(boot_id))
		;
	/* Never 0 in either half: 0 is what an unset handle looks like. */
	if (++counter == 0)
		counter = 1;
	*token = (uint64_t)boot_id << 32 | counter;
	r = *find(*token) ? -EEXIST : put_locked(*token, h);
	pthread_mutex_unlock(&lock);
	return r;
}

struct fh_data *fh_adopt(uint64_t token, struct fh_data *h)
{
	struct entry *e;
	struct fh_data *got = h;

	pthread_mutex_lock(&lock);
	e = *find(token);
	if (e)
		got = e->h;
	else if (put_locked(token, h) < 0)
		got = h; /* serve it once, unremembered */
	atomic_fetch_add(&got->refs, 1);
	pthread_mutex_unlock(&lock);
	fh_unref(h);
	return got;
}

struct fh_data *fh_get(uint64_t token)
{
	struct entry *e;
	struct fh_data *h = NULL;

	pthread_mutex_lock(&lock);
	e = *find(token);
	if (e) {
		h = e->h;
		atomic_fetch_add(&h->refs, 1);
	}
	pthread_mutex_unlock(&lock);
	return h;
}

void fh_remove(uint64_t token)
{
	struct entry **pe, *e;

	pthread_mutex_lock(&lock);
	pe = find(token);
	e = *pe;
	if (e) {
		*pe = e->next;
		count--;
	}
	pthread_mutex_unlock(&lock);
	if (e) {
		fh_unref(e->h);
		free(e);
	}
}

size_t fh_count(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = count;
	pthread_mutex_unlock(&lock);
	return n;
}
