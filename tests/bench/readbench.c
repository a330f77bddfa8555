/* readbench: the cost of open + read to EOF + close of one file.
 *
 *   readbench [--reps R] [--iters N] [--sampled MS] PATH...
 *
 * Prints one line per path: "PATH median_us min_us max_us" where each of R
 * repetitions is the mean over N hot reads (or, with --sampled, N reads
 * spaced MS apart, as a monitoring agent polls). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int read_once(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int reps = 5, iters = 2000, sampled_ms = 0, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sampled") && i + 1 < argc)
			sampled_ms = atoi(argv[++i]);
		else {
			fprintf(stderr, "readbench: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc || reps < 1 || reps > 100 || iters < 1) {
		fprintf(stderr, "usage: readbench [--reps R] [--iters N] [--sampled MS] PATH...\n");
		return 2;
	}
	for (; i < argc; i++) {
		double res[100];
		int r = read_once(argv[i]);

		if (r < 0) {
			printf("%s error %s\n", argv[i], strerror(-r));
			continue;
		}
		for (int k = 0; k < 50; k++) /* warm caches */
			read_once(argv[i]);
		for (int rep = 0; rep < reps; rep++) {
			double total = 0;

			for (int it = 0; it < iters; it++) {
				double t0 = now_us();

				read_once(argv[i]);
				total += now_us() - t0;
				if (sampled_ms)
					usleep((useconds_t)sampled_ms * 1000);
			}
			res[rep] = total / iters;
		}
		qsort(res, (size_t)reps, sizeof(double), cmp);
		printf("%s %.2f %.2f %.2f\n", argv[i], res[reps / 2], res[0], res[reps - 1]);
		fflush(stdout);
	}
	return 0;
}
