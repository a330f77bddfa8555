/* procview show PID [FILE]: render, in this process and from the host's
 * /proc, /sys and cgroups, what the container of PID reads. No daemon
 * needed; the renderers are the daemon's own. */
#include "buf.h"
#include "cgroup.h"
#include "cli.h"
#include "fileio.h"
#include "procfs.h"
#include "resolve.h"
#include "util.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define PID_MAX_LIMIT 4194304

static int parse_pid(const char *s, pid_t *pid)
{
	long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > PID_MAX_LIMIT)
			return -ERANGE;
	}
	if (v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* "proc/meminfo", "/proc/meminfo", "meminfo", "pressure/cpu", and for the
 * sys files also their last component ("online"). */
static int find_view(const char *name, enum view_id *id)
{
	while (*name == '/')
		name++;
	for (int i = 0; i < V_COUNT; i++) {
		const struct view_file *f = &view_files[i];
		const char *base = strrchr(f->path, '/') + 1;

		if (strcmp(name, f->path) == 0 || strcmp(name, f->host_path) == 0 ||
		    (f->sys && strcmp(name, base) == 0)) {
			*id = (enum view_id)i;
			return 0;
		}
	}
	return -ENOENT;
}

/* resolve_reader only says NULL: read what it needs first, so an error
 * can name the missing piece. */
static int check_pid(int proc_fd, pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	uint64_t ino;
	long r;

	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	r = read_file_at(proc_fd, path, 65536, &text);
	if (r >= 0)
		r = proc_ns_ino(proc_fd, pid, "pid", &ino);
	if (r >= 0)
		return 0;
	if (r == -ENOENT || r == -ESRCH)
		fprintf(stderr, "procview: show: no process with pid %d\n", (int)pid);
	else
		fprintf(stderr, "procview: show: pid %d: %s: %s\n", (int)pid,
			text ? "its pid namespace" : "its cgroups", strerror((int)-r));
	return (int)r;
}

static int out_write(const char *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n ? 0 : -EIO;
}

int cmd_show(const struct cli_opts *o, int argc, char **argv)
{
	struct view_ctx ctx = { .proc_fd = -1, .sys_fd = -1, .cpu_quota = true, .loadavg = true };
	struct resolver *res = NULL;
	struct container *c = NULL;
	enum view_id only = V_COUNT;
	int rc = CLI_FAIL, r;
	bool first = true;
	pid_t pid;

	(void)o;
	if (parse_pid(argv[0], &pid) < 0) {
		fprintf(stderr, "procview: show: '%s' is not a pid\n", argv[0]);
		return CLI_FAIL;
	}
	if (argc > 1 && find_view(argv[1], &only) < 0) {
		fprintf(stderr, "procview: show: unknown file '%s' (try --help)\n", argv[1]);
		return CLI_FAIL;
	}
	ctx.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ctx.sys_fd = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx.proc_fd < 0 || ctx.sys_fd < 0) {
		fprintf(stderr, "procview: show: opening /proc and /sys: %s\n", strerror(errno));
		goto out;
	}
	r = cg_root_open("/sys/fs/cgroup", &ctx.cg);
	if (r < 0) {
		fprintf(stderr, "procview: show: /sys/fs/cgroup: %s\n", strerror(-r));
		goto out;
	}
	if (check_pid(ctx.proc_fd, pid) < 0)
		goto out;
	r = resolver_new(&ctx, &res);
	if (r < 0) {
		fprintf(stderr, "procview: show: %s\n", strerror(-r));
		goto out;
	}
	c = resolve_reader(res, pid);
	if (!c) {
		fprintf(stderr, "procview: show: cannot resolve the container of pid %d\n",
			(int)pid);
		goto out;
	}
	/* One sample now: stat's procs_running/blocked and loadavg's
	 * running/total are then the container's. The daemon's decaying
	 * averages need its 5 s sampler; a one-shot run cannot have them. */
	view_sample_load(&ctx, c);

	rc = CLI_OK;
	for (int i = 0; i < V_COUNT; i++) {
		struct buf out = { 0 };

		if (only != V_COUNT && i != (int)only)
			continue;
		r = view_render(&ctx, c, (enum view_id)i, &out);
		if (r == -ENOENT && only == V_COUNT) {
			buf_free(&out); /* absent on this host (no PSI) */
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "procview: show: %s: %s\n", view_files[i].path, strerror(-r));
			buf_free(&out);
			rc = CLI_FAIL;
			continue;
		}
		if (only == V_COUNT)
			printf("%s==> %s <==\n", first ? "" : "\n", view_files[i].path);
		first = false;
		if (out_write(out.data ? out.data : "", out.len) < 0)
			rc = CLI_FAIL;
		buf_free(&out);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "procview: show: writing stdout: %s\n", strerror(errno));
		rc = CLI_FAIL;
	}
out:
	if (c)
		container_unref(c);
	resolver_free(res);
	cg_root_free(ctx.cg);
	if (ctx.proc_fd >= 0)
		close(ctx.proc_fd);
	if (ctx.sys_fd >= 0)
		close(ctx.sys_fd);
	return rc;
}
