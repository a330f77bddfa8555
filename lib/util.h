/* Small helpers shared by every procview binary: cleanup attributes and
 * ownership hand-over, so early returns never leak. */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(x) __attribute__((cleanup(x)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Take ownership out of a cleanup variable. */
#define steal_pointer(pp)                                                      \
	({                                                                     \
		__typeof__(*(pp)) _p = *(pp);                                  \
		*(pp) = NULL;                                                  \
		_p;                                                            \
	})
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _fd = (fd);                                                \
		(fd) = -1;                                                     \
		_fd;                                                           \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Each argument evaluated once: MAX(0, deadline - now()) must not read
 * the clock twice (a tick between the reads made it -1, poll's "forever").
 * __COUNTER__ keeps nested uses' temporaries apart. */
#define PV_CAT_(a, b) a##b
#define PV_CAT(a, b) PV_CAT_(a, b)
#define MIN(a, b) PV_MIN_(a, b, __COUNTER__)
#define MAX(a, b) PV_MAX_(a, b, __COUNTER__)
#define PV_MIN_(a, b, u)                                                   \
	__extension__({                                                    \
		__typeof__(a) PV_CAT(_min_a, u) = (a);                     \
		__typeof__(b) PV_CAT(_min_b, u) = (b);                     \
		PV_CAT(_min_a, u) < PV_CAT(_min_b, u) ? PV_CAT(_min_a, u)  \
						      : PV_CAT(_min_b, u); \
	})
#define PV_MAX_(a, b, u)                                                   \
	__extension__({                                                    \
		__typeof__(a) PV_CAT(_max_a, u) = (a);                     \
		__typeof__(b) PV_CAT(_max_b, u) = (b);                     \
		PV_CAT(_max_a, u) > PV_CAT(_max_b, u) ? PV_CAT(_max_a, u)  \
						      : PV_CAT(_max_b, u); \
	})

#define PROCVIEW_VERSION "0.1.0"
