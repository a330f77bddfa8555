/* libFuzzer: the cgroup file parsers (/proc/<pid>/cgroup, memory.stat,
 * cpu.max, cpuacct.usage_all, cpu.stat, io.stat, blkio). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	switch (data[0] % 8) {
	case 0: {
		struct cg_paths p = { 0 };

		if (cg_paths_parse(text, NULL, &p) == 0)
			cg_paths_free(&p);
		break;
	}
	case 1:
	case 2: {
		struct cg_memory m = { 0 };

		cg_parse_memory_stat(text, data[0] % 8 == 1, &m);
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
