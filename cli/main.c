/* procview: inspect and repair procview on this host. Global options,
 * then a subcommand from the table below. */
#include "cli.h"
#include "mountpoint.h"
#include "log.h"
#include "record.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int min_args, max_args; /* -1: the command parses its own options */
	int (*run)(const struct cli_opts *o, int argc, char **argv);
	const char *args, *help;
};

static const struct command commands[] = {
	{ "status", 0, 0, cmd_status, "", "is procviewd serving the mountpoint; exit 3 if not" },
	{ "show", 1, 2, cmd_show, " PID [FILE]",
	  "what the container of PID sees in FILE (default: every file)" },
	{ "heal", 0, 0, cmd_heal, "", "re-attach the views of every recorded container now" },
	{ "seccomp", -1, -1, cmd_seccomp, " --oci|--podman",
	  "print a seccomp profile sending sysinfo(2) to procviewd" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: procview [--mountpoint DIR] [--record-dir DIR] COMMAND [ARGS]\n"
		   "Inspect procview's per-container /proc and /sys views.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char lhs[32];

		snprintf(lhs, sizeof(lhs), "%s%s", commands[i].name, commands[i].args);
		fprintf(f, "  %-20s %s\n", lhs, commands[i].help);
	}
	fprintf(f, "\nOptions:\n"
		   "      --mountpoint DIR   procviewd's mountpoint (default " CLI_DEFAULT_MOUNTPOINT ")\n"
		   "      --record-dir DIR   the hook's container records (default " RECORD_DIR ")\n"
		   "  -h, --help             show this help\n"
		   "  -V, --version          show the version\n"
		   "\nFILE is a path under the mountpoint (proc/meminfo, sys/devices/system/cpu/online)\n"
		   "or its short name (meminfo, pressure/cpu, online).\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "procview: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(CLI_USAGE);
}

/* Records and pid files are keyed by the mountpoint string: "/x/" and
 * "/x" must name the same daemon. */
static const char *clean_mountpoint(char *mnt)
{
	size_t n = strlen(mnt);

	if (mnt[0] != '/')
		die_usage("--mountpoint '%s' must be an absolute path", mnt);
	while (n > 1 && mnt[n - 1] == '/')
		mnt[--n] = '\0';
	return mnt;
}

int main(int argc, char **argv)
{
	enum { OPT_MNT = 256, OPT_RECDIR };
	static const struct option longopts[] = {
		{ "mountpoint", required_argument, NULL, OPT_MNT },
		{ "record-dir", required_argument, NULL, OPT_RECDIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { .mountpoint = CLI_DEFAULT_MOUNTPOINT, .record_dir = RECORD_DIR };
	const struct command *cmd = NULL;
	int c, nargs, own = 0;

	/* heal logs each failure; show them, not only in syslog. */
	log_open("procview", true, LOG_WARNING);
	opterr = 0;
	/* Options may come before or after the subcommand, except for one
	 * with options of its own: there they end at its name. */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "--mountpoint") == 0)
			i++;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (strcmp(argv[i], "--mountpoint") == 0)
				i++;
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
			if (strcmp(argv[i], commands[k].name) == 0 && commands[k].min_args < 0)
				own = i;
		break;
	}
	while ((c = getopt_long(own ? own : argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MNT:
			o.mountpoint = clean_mountpoint(optarg);
			break;
		case OPT_RECDIR:
			if (optarg[0] != '/')
				die_usage("--record-dir '%s' must be an absolute path", optarg);
			o.record_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'V':
			printf("procview %s\n", PROCVIEW_VERSION);
			return CLI_OK;
		case ':':
			die_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				die_usage("unknown option '-%c'", optopt);
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die_usage("no command given");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd)
		die_usage("unknown command '%s'", argv[optind]);
	if (own)
		mountpoint_exit(cmd->run(&o, argc - own, argv + own));
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args)
		die_usage("%s: missing argument; usage: procview %s%s", cmd->name, cmd->name,
			  cmd->args);
	if (nargs > cmd->max_args)
		die_usage("%s: unexpected argument '%s'", cmd->name, argv[optind + 1 + cmd->max_args]);
	mountpoint_exit(cmd->run(&o, nargs, argv + optind + 1));
}
