/* procview, the admin CLI: one file per subcommand (status.c, show.c,
 * heal.c, seccomp.c), dispatched from main.c. Each returns the process exit code;
 * main.c has already checked the argument count. */
#pragma once

#define CLI_DEFAULT_MOUNTPOINT "/var/lib/procview"
#define CLI_DEFAULT_SECCOMP_SOCKET "/run/procview/seccomp.sock"

enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_NOT_RUNNING = 3, /* status: like systemctl status */
};

struct cli_opts {
	const char *mountpoint; /* absolute, no trailing '/' */
	const char *record_dir; /* the hook's --record-dir */
};

int cmd_status(const struct cli_opts *o, int argc, char **argv);
int cmd_show(const struct cli_opts *o, int argc, char **argv);
int cmd_heal(const struct cli_opts *o, int argc, char **argv);
/* Parses its own options: argv[0] is "seccomp". */
int cmd_seccomp(const struct cli_opts *o, int argc, char **argv);
