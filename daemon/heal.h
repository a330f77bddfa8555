/* Re-attach fresh per-container files into every recorded live container
 * (after a crash or a live replace), and forget records of dead ones. */
#pragma once

struct heal_stats {
	unsigned containers, attached, failed, forgotten;
};

/* Heal every record under /run/procview whose mountpoint is mnt. Runs the
 * namespace work on a thread of its own (setns needs an unshared fs). */
int heal_all(const char *mnt, struct heal_stats *st);
