/* libFuzzer: the OCI state and config.json parsers and the record parser
 * the daemon reads back after a crash. First byte picks the target.
 *
 * Targets 3 and 4 amplify: the rest of the input is a unit repeated up to
 * the hook's 1 MiB stdin bound, and then a closing unit. A few bytes such
 * as "[" + "]" become 400 K levels of nesting. libFuzzer's inputs are at
 * most -max_len bytes (4 KiB by default), 2 K levels at most, and the
 * stack overflow in yajl_tree_free needed ~100 K: plain inputs could never
 * reach it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"
#include "record.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* in = length of the open unit, open unit, close unit: "\x01[]" is "[" repeated then "]"
 * repeated, to OCI_STATE_MAX bytes in all. */
static void amplify(bool state, const uint8_t *in, size_t n)
{
	size_t total = OCI_STATE_MAX, half, used = 0;
	const uint8_t *open, *close;
	size_t n_open, n_close;
	char *buf, *err = NULL;

	if (n < 2)
		return;
	/* in[0] says how many of the following bytes make the open unit. */
	n_open = MAX((size_t)1, in[0] % (n - 1));
	open = in + 1;
	close = open + n_open;
	n_close = n - 1 - n_open;
	buf = malloc(total);
	if (!buf)
		return;
	half = n_close ? total / 2 : total;
	while (used + n_open <= half) {
		memcpy(buf + used, open, n_open);
		used += n_open;
	}
	while (n_close && used + n_close <= total) {
		memcpy(buf + used, close, n_close);
		used += n_close;
	}
	if (state) {
		struct oci_state st = { 0 };

		if (oci_state_parse(buf, used, OCI_STATE_NEED_PID, &st, &err) == 0)
			oci_state_free(&st);
	} else {
		struct oci_config cfg = { 0 };

		if (oci_config_parse(buf, used, "/bundle", &cfg, &err) == 0)
			oci_config_free(&cfg);
	}
	free(err);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data + 1;
	char *err = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0: {
		struct oci_state st = { 0 };

		if (oci_state_parse(json, size - 1, OCI_STATE_NEED_PID, &st, &err) == 0)
			oci_state_free(&st);
		break;
	}
	case 1: {
		struct oci_config cfg = { 0 };

		if (oci_config_parse(json, size - 1, "/bundle", &cfg, &err) == 0)
			oci_config_free(&cfg);
		break;
	}
	case 2: {
		struct pv_record r = { 0 };

		if (record_parse(json, size - 1, &r) == 0)
			record_free(&r);
		break;
	}
	case 3:
	case 4:
		amplify(data[0] % 5 == 3, (const uint8_t *)json, size - 1);
		break;
	}
	free(err);
	return 0;
}
