/* libFuzzer: what the seccomp front end reads from outside. First byte
 * picks the target: the runtime's message on the socket (oci/procstate.c),
 * a seccomp profile rewritten by procview seccomp or the shim
 * (oci/seccomp.c), and sysinfo_compute on meminfo text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "buf.h"
#include "procstate.h"
#include "render.h"
#include "seccomp.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	char *err = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		struct oci_procstate ps;

		if (oci_procstate_parse(text, size - 1, &ps, &err) == 0)
			oci_procstate_free(&ps);
		break;
	}
	case 1: {
		yajl_val v = NULL;
		struct buf out = { 0 };

		if (oci_json_parse(text, size - 1, "profile", &v, &err) == 0) {
			if (oci_seccomp_add_notify(v, "/run/procview/seccomp.sock", &out) == 0) {
				yajl_val back = NULL;
				char *e2 = NULL;

				/* What we write must parse and carry the rule. */
				if (oci_json_parse(out.data, out.len, "out", &back, &e2) < 0 ||
				    !oci_seccomp_has_notify(back, "/run/procview/seccomp.sock"))
					abort();
				yajl_tree_free(back);
			}
			yajl_tree_free(v);
		}
		buf_free(&out);
		break;
	}
	case 2: {
		char *mem = strndup(text, size - 1);
		struct sysinfo host = { .totalram = 1000, .mem_unit = 4096 }, out;
		struct loadavg_state load = { .avenrun = { 1, 2, 3 }, .total = 70000 };
		struct sysinfo_inputs in = { .meminfo = mem, .has_uptime = true,
					     .uptime_s = (double)size, .load = &load };

		if (mem)
			sysinfo_compute(&host, &in, &out);
		free(mem);
		break;
	}
	}
	free(err);
	return 0;
}
