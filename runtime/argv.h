/* procview-runtime's command line: its own leading --procview-* options,
 * then the real runtime's arguments, scanned (not parsed) for the command
 * and, for create and run, the bundle. Pure: no I/O, no allocation beyond
 * the one array of hook arguments. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct rt_argv {
	/* --procview-* options; NULL / 0 when not given. */
	const char *runtime;
	const char *hook;
	const char **hook_args; /* points into argv */
	size_t n_hook_args;
	bool strict;
	const char *seccomp_socket;
	bool no_sysinfo;
	/* argv[first..argc-1] go to the real runtime unchanged. */
	int first;
	/* Index of the runtime command ("create", "state", ...), -1 if none. */
	int command;
	/* The command is create or run: config.json is to be edited. */
	bool edit;
	/* -b/--bundle as given (NULL: the working directory). */
	const char *bundle;
	/* crun's -f/--config names another config file: left alone. */
	bool other_config;
	/* First unknown --procview-* option, NULL if none (ignored, reported). */
	const char *unknown;
	/* A --procview-* option missing its value, NULL if none. */
	const char *missing_value;
};

/* Fill a from argv. Returns 0 or -ENOMEM. */
int rt_argv_parse(int argc, char **argv, struct rt_argv *a);
void rt_argv_free(struct rt_argv *a);
