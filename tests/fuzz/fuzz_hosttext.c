/* libFuzzer: every parser of host /proc text and every renderer fed with
 * fuzzed host text. The first byte picks the target; the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "procfs.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpu_view view;
static struct cg_memory mem = {
	.limit = 256u << 20, .usage = 100u << 20, .swap_limit = 64u << 20,
	.swap_usage = 1u << 20, .swap_accounted = true, .cache = 10u << 20,
	.active_file = 4u << 20, .inactive_file = 5u << 20,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = { 0 };
	struct stat_mono mono = { 0 };
	struct stat_extra x = { .age_ns = 1000000000ULL * 60, .procs_running = 1, .procs_blocked = 0 };
	uint64_t pu[4] = { 1, 2, 3, 4 }, ps[4] = { 5, 6, 7, 8 };
	struct cg_cpu cpu = { .has_usage = true, .user_ns = 10, .system_ns = 20,
			      .npercpu = 4, .percpu_user_ns = pu, .percpu_system_ns = ps };
	struct cg_io_dev dev = { 8, 0, 4096, 8192, 1, 2 };
	struct cg_io io = { 1, &dev };
	char *text;
	uint64_t v;
	char st;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	view.n = 2;
	view.host_ids[0] = 0;
	view.host_ids[1] = 3;
	switch (data[0] % 9) {
	case 0:
		render_meminfo(text, &mem, &out);
		break;
	case 1:
		render_cpuinfo(text, &view, &out);
		break;
	case 2:
		render_stat(text, &view, &cpu, &x, &mono, &out);
		break;
	case 3:
		render_diskstats(text, &io, &out);
		break;
	case 4:
		render_swaps(text, &mem, text, &out);
		break;
	case 5:
		meminfo_get(text, "MemTotal", &v);
		break;
	case 6:
		proc_parse_starttime(text, &v);
		proc_parse_state(text, &st);
		break;
	case 7: {
		struct cpuset s;

		if (cpuset_parse(text, &s) == 0)
			cpuset_format(&s, &out);
		break;
	}
	case 8:
		render_stat(text, &view, &cpu, &x, &mono, &out);
		buf_reset(&out);
		render_stat(text, &view, &cpu, &x, &mono, &out); /* monotonic path */
		break;
	}
	buf_free(&out);
	free(text);
	return 0;
}
