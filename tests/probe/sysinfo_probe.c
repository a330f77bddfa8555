/* What a program sees through sysinfo(2) and sysconf: built static with
 * glibc and with musl for the seccomp tests (no libraries needed in the
 * container).
 *   sysinfo_probe            one line of key=value
 *   sysinfo_probe loop SECS [TOTAL]
 *                            call sysinfo for SECS seconds (0: forever),
 *                            then print calls, failures and the longest
 *                            call in ms (a caller blocked shows here);
 *                            with TOTAL, also the calls whose totalram
 *                            was another (the kernel's, say) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int loop(double secs, unsigned long long want)
{
	double start = now_ms(), worst = 0, last_report = start;
	unsigned long calls = 0, fails = 0, zero_total = 0, other_total = 0;
	int last_errno = 0;

	for (;;) {
		struct sysinfo si;
		double t0 = now_ms(), t1;
		int r;

		memset(&si, 0, sizeof(si));
		r = sysinfo(&si);
		t1 = now_ms();
		calls++;
		if (r != 0) {
			fails++;
			last_errno = errno;
		} else if (si.totalram == 0) {
			zero_total++;
		} else if (want && (unsigned long long)si.totalram * si.mem_unit != want) {
			other_total++;
		}
		if (t1 - t0 > worst)
			worst = t1 - t0;
		if (secs > 0 && t1 - start >= secs * 1e3)
			break;
		if (t1 - last_report >= 1000) {
			/* Progress for a test that kills us. */
			printf("calls=%lu failed=%lu zero_total=%lu other_total=%lu worst_ms=%.2f errno=%d\n",
			       calls, fails, zero_total, other_total, worst, last_errno);
			fflush(stdout);
			last_report = t1;
		}
		usleep(1000);
	}
	printf("calls=%lu failed=%lu zero_total=%lu other_total=%lu worst_ms=%.2f errno=%d\n", calls,
	       fails, zero_total, other_total, worst, last_errno);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sysinfo si;
	long pages, avpages, psize = sysconf(_SC_PAGESIZE);

	if (argc >= 2 && strcmp(argv[1], "loop") == 0)
		return loop(argc >= 3 ? atof(argv[2]) : 0, argc >= 4 ? strtoull(argv[3], NULL, 10) : 0);
	if (sysinfo(&si) != 0) {
		printf("sysinfo_errno=%d\n", errno);
		return 1;
	}
	pages = sysconf(_SC_PHYS_PAGES);
	avpages = sysconf(_SC_AVPHYS_PAGES);
	printf("totalram=%llu freeram=%llu sharedram=%llu bufferram=%llu totalswap=%llu "
	       "freeswap=%llu uptime=%ld loads=%lu,%lu,%lu procs=%u mem_unit=%u "
	       "phys_bytes=%llu avphys_bytes=%llu\n",
	       (unsigned long long)si.totalram * si.mem_unit,
	       (unsigned long long)si.freeram * si.mem_unit,
	       (unsigned long long)si.sharedram * si.mem_unit,
	       (unsigned long long)si.bufferram * si.mem_unit,
	       (unsigned long long)si.totalswap * si.mem_unit,
	       (unsigned long long)si.freeswap * si.mem_unit, si.uptime, si.loads[0], si.loads[1],
	       si.loads[2], si.procs, si.mem_unit, (unsigned long long)pages * (unsigned long long)psize,
	       (unsigned long long)avpages * (unsigned long long)psize);
	return 0;
}
