/* Host /proc fixtures for the renderer tests (run from the repo root). */
#pragma once
#include <fcntl.h>
#include <stdio.h>

#include "fileio.h"
#include "tap.h"

static inline char *fixture(const char *name)
{
	char path[256], *t = NULL;

	snprintf(path, sizeof(path), "tests/fixtures/proc/%s", name);
	if (read_file_at(AT_FDCWD, path, READ_MAX_DEFAULT, &t) < 0) {
		ok(0, "fixture %s readable (tests run from the repo root)", path);
		return NULL;
	}
	return t;
}
