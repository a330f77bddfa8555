/* libFuzzer: the OCI state and config.json parsers and the record parser
 * the daemon reads back after a crash. First byte picks the target. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "record.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data + 1;
	char *err = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
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
	}
	free(err);
	return 0;
}
