/* procview heal: what procviewd does when it starts, on demand: bind
 * fresh per-container files into every recorded live container. */
#include "cli.h"
#include "heal.h"
#include "mountpoint.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cmd_heal(const struct cli_opts *o, int argc, char **argv)
{
	struct heal_stats st = { 0 };
	int r;

	(void)argc;
	(void)argv;
	/* Binding files of a dead mount would break every container's reads. */
	r = mountpoint_answers(o->mountpoint, 2000);
	if (r < 0) {
		fprintf(stderr, "procview: heal: procviewd does not answer on %s (%s)\n",
			o->mountpoint, r == -ENOENT ? "no procview mount" : strerror(-r));
		return CLI_FAIL;
	}
	r = heal_all(o->mountpoint, o->record_dir, HEAL_TIMEOUT_MS, &st);
	if (r < 0) {
		fprintf(stderr, "procview: heal: %s\n", strerror(-r));
		return CLI_FAIL;
	}
	printf("containers: %u\n", st.containers);
	printf("files attached: %u\n", st.attached);
	printf("files failed: %u\n", st.failed);
	printf("records of dead containers removed: %u\n", st.forgotten);
	return st.failed ? CLI_FAIL : CLI_OK;
}
