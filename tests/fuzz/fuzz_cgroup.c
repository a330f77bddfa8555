/* libFuzzer: the cgroup file parsers (/proc/<pid>/cgroup, memory.stat,
 * cpu.max, cpuacct.usage_all, cpu.stat, io.stat, blkio).
 *
 * Target 8 is structured: the input is raw 64-bit values, printed as the
 * rows of a cpuacct.usage_all. Text mutation rarely makes a cpu index of
 * 2^32 + k with k < 4096 (one random 10-digit number in a million), which
 * is what the old int cast turned into a small, accepted index and an
 * out-of-bounds write; from raw integers (and the dictionary's
 * 4294967296) the fuzzer gets there at once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void usage_all_rows(const uint8_t *in, size_t n)
{
	char text[8192];
	size_t used = (size_t)snprintf(text, sizeof(text), "cpu user system\n");
	struct cg_cpu c = { 0 };

	for (; n >= 24 && used < sizeof(text) - 80; in += 24, n -= 24) {
		uint64_t v[3];

		memcpy(v, in, sizeof(v));
		/* Signed for the index, as the kernel never prints, to reach -1 too. */
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%lld %llu %llu\n",
					 (long long)v[0], (unsigned long long)v[1],
					 (unsigned long long)v[2]);
	}
	cg_parse_usage_all(text, &c);
	cg_cpu_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] % 9 == 8) {
		usage_all_rows(data + 1, size - 1);
		free(text);
		return 0;
	}
	switch (data[0] % 9) {
	case 0: {
		struct cg_paths p = { 0 };

		if (cg_paths_parse(text, NULL, &p) == 0)
			cg_paths_free(&p);
		break;
	}
	case 1:
	case 2: {
		struct cg_memory m = { 0 };

		cg_parse_memory_stat(text, data[0] % 9 == 1, &m);
		break;
	}
	case 3: {
		uint64_t q;

		cg_parse_cpu_max(text, &q);
		break;
	}
	case 4: {
		struct cg_cpu c = { 0 };

		cg_parse_usage_all(text, &c);
		cg_cpu_free(&c);
		break;
	}
	case 5: {
		struct cg_cpu c = { 0 };

		cg_parse_cpu_stat_v2(text, &c);
		cg_cpu_free(&c);
		break;
	}
	case 6: {
		struct cg_io io = { 0 };

		cg_parse_io_stat(text, &io);
		cg_io_free(&io);
		break;
	}
	case 7: {
		struct cg_io io = { 0 };
		char *half = text + strlen(text) / 2;

		cg_parse_blkio(text, half, &io);
		cg_io_free(&io);
		break;
	}
	}
	free(text);
	return 0;
}
