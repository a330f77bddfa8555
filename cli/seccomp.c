/* procview seccomp: the seccomp profiles that send sysinfo(2) to procviewd.
 *   --oci     a runtime-spec linux.seccomp object (allow all, sysinfo to
 *             the listener), for config.json with runc or crun;
 *   --podman  podman's default profile plus the notify rule, for
 *             containers.conf's seccomp_profile (make install writes it). */
#include "cli.h"
#include "buf.h"
#include "fileio.h"
#include "seccomp.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define PODMAN_DEFAULT_PROFILE "/usr/share/containers/seccomp.json"

static void usage(FILE *f)
{
	fprintf(f, "Usage: procview seccomp --oci|--podman [--socket PATH] [--base FILE] [-o FILE]\n"
		   "  --oci          print a linux.seccomp object for config.json (runc, crun)\n"
		   "  --podman       podman's default profile with sysinfo sent to procviewd\n"
		   "  --socket PATH  procviewd's --seccomp-socket (default " CLI_DEFAULT_SECCOMP_SOCKET ")\n"
		   "  --base FILE    the profile to extend (default " PODMAN_DEFAULT_PROFILE ")\n"
		   "  -o FILE        write FILE (atomically) instead of standard output\n");
}

static int write_out(const char *path, const struct buf *b)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;

	if (!path)
		return fwrite(b->data, 1, b->len, stdout) == b->len && fflush(stdout) == 0 ? 0 : -EIO;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, b->data, b->len) != (ssize_t)b->len || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int r = -errno;

		unlink(tmp);
		return r ? r : -EIO;
	}
	return 0;
}

static int podman_profile(const char *base, const char *sock, struct buf *out)
{
	_cleanup_free_ char *text = NULL, *err = NULL;
	_cleanup_yajl_ yajl_val v = NULL;
	long n = read_file_at(AT_FDCWD, base, 16 << 20, &text);
	int r;

	if (n < 0) {
		fprintf(stderr, "procview: seccomp: %s: %s\n", base, strerror((int)-n));
		return CLI_FAIL;
	}
	r = oci_json_parse(text, (size_t)n, base, &v, &err);
	if (r == 0)
		r = oci_seccomp_add_notify(v, sock, out);
	if (r < 0) {
		fprintf(stderr, "procview: seccomp: %s\n", err ? err : strerror(-r));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cmd_seccomp(const struct cli_opts *o, int argc, char **argv)
{
	enum { O_OCI = 256, O_PODMAN, O_SOCKET, O_BASE };
	static const struct option longopts[] = {
		{ "oci", no_argument, NULL, O_OCI },
		{ "podman", no_argument, NULL, O_PODMAN },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "base", required_argument, NULL, O_BASE },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = CLI_DEFAULT_SECCOMP_SOCKET, *base = PODMAN_DEFAULT_PROFILE;
	const char *output = NULL;
	struct buf out = { 0 };
	int mode = 0, c, r;

	(void)o;
	optind = 0; /* argv[0] is the subcommand's name */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_OCI:
		case O_PODMAN:
			if (mode && mode != c) {
				fprintf(stderr, "procview: seccomp: --oci and --podman exclude each other\n");
				return CLI_USAGE;
			}
			mode = c;
			break;
		case O_SOCKET:
			if (optarg[0] != '/') {
				fprintf(stderr, "procview: seccomp: --socket '%s' must be an absolute path\n",
					optarg);
				return CLI_USAGE;
			}
			sock = optarg;
			break;
		case O_BASE:
			base = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		case ':':
			fprintf(stderr, "procview: seccomp: option '%s' needs a value\n", argv[optind - 1]);
			return CLI_USAGE;
		default:
			fprintf(stderr, "procview: seccomp: unknown option '%s'\n", argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "procview: seccomp: unexpected argument '%s'\n", argv[optind]);
		return CLI_USAGE;
	}
	if (!mode) {
		fprintf(stderr, "procview: seccomp: say --oci or --podman (try --help)\n");
		return CLI_USAGE;
	}
	if (mode == O_OCI) {
		r = oci_seccomp_minimal(sock, &out) < 0 ? CLI_FAIL : CLI_OK;
	} else {
		r = podman_profile(base, sock, &out);
	}
	if (r == CLI_OK && (c = write_out(output, &out)) < 0) {
		fprintf(stderr, "procview: seccomp: %s: %s\n", output ? output : "stdout", strerror(-c));
		r = CLI_FAIL;
	}
	buf_free(&out);
	return r;
}
