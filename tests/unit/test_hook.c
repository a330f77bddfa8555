/* procview-hook's choice of how to start procviewd, on fake host roots:
 * the systemd paths cannot run on this machine (no systemd), so the choice
 * and the exact commands are checked here and run for real in the VM. */
#include "daemon.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)s;
	(void)f;
	(void)w;
	return remove(p);
}

static void mkdirs(const char *root, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static void touch(const char *root, const char *rel)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "we");
	if (f)
		fclose(f);
}

static char *joined(char **argv)
{
	static char out[2048];
	size_t used = 0;

	out[0] = '\0';
	for (; *argv; argv++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", used ? " " : "", *argv);
	return out;
}

static void test_plan(void)
{
	char root[] = "/tmp/pv-test-hook.XXXXXX", path[512];
	struct daemon_opts o = { .mountpoint = "/var/lib/procview",
				 .daemon_path = "/usr/bin/procviewd",
				 .unit_paths = true };

	if (!mkdtemp(root)) {
		ok(0, "plan: mkdtemp");
		return;
	}
	o.root = root;
	ok(daemon_start_plan(&o) == START_SPAWN, "plan: no /run/systemd/system: spawn");
	mkdirs(root, "/run/systemd/system");
	ok(daemon_start_plan(&o) == START_TRANSIENT, "plan: systemd, no unit: transient unit");
	mkdirs(root, "/usr/lib/systemd/system");
	touch(root, "/usr/lib/systemd/system/procview.service");
	ok(daemon_start_plan(&o) == START_UNIT, "plan: systemd and procview.service: the unit");
	o.unit_paths = false;
	ok(daemon_start_plan(&o) == START_TRANSIENT,
	   "plan: other mountpoint or daemon: a transient unit, not the installed one");
	o.unit_paths = true;
	snprintf(path, sizeof(path), "%s/usr/lib/systemd/system/procview.service", root);
	remove(path);
	mkdirs(root, "/usr/local/lib/systemd/system");
	touch(root, "/usr/local/lib/systemd/system/procview.service");
	ok(daemon_start_plan(&o) == START_UNIT, "plan: make install's unit dir counts");
	nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static int argc_of(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static void test_argv(void)
{
	struct daemon_opts o = { .mountpoint = "/var/lib/procview",
				 .daemon_path = "/usr/bin/procviewd",
				 .unit_paths = true };
	char *argv[32], buf[4096];

	ok(daemon_start_argv(&o, START_UNIT, argv, 32, buf, sizeof(buf)) == 0, "argv: unit");
	is_str(joined(argv), "systemctl start --no-block -- procview.service", "argv: systemctl start");
	ok(daemon_start_argv(&o, START_TRANSIENT, argv, 32, buf, sizeof(buf)) == 0,
	   "argv: transient");
	is_str(joined(argv),
	       "systemd-run --unit=procview --description=procview (started by procview-hook) "
	       "--quiet --no-block --collect --property=Type=notify --property=NotifyAccess=all "
	       "--property=KillMode=process --property=OOMScoreAdjust=-1000 "
	       "--property=Restart=always --property=RestartSec=1 -- /usr/bin/procviewd -f "
	       "/var/lib/procview",
	       "argv: systemd-run with the unit's properties");
	o.unit_paths = false;
	o.mountpoint = "/srv/pv";
	daemon_start_argv(&o, START_TRANSIENT, argv, 32, buf, sizeof(buf));
	ok(strncmp(argv[1], "--unit=procview-", 16) == 0 && strlen(argv[1]) == 16 + 8,
	   "argv: another mountpoint gets a unit name of its own (%s)", argv[1]);
	ok(strcmp(argv[argc_of(argv) - 1], "/srv/pv") == 0, "argv: its mountpoint last");
	ok(daemon_start_argv(&o, START_TRANSIENT, argv, 32, buf, 64) == -ENOSPC,
	   "argv: a short buffer is -ENOSPC, not an overflow");
	ok(daemon_start_argv(&o, START_SPAWN, argv, 32, buf, sizeof(buf)) == -EINVAL,
	   "argv: spawn has no command");
}

static void test_unit(void)
{
	char root[] = "/tmp/pv-test-hook.XXXXXX", name[64], path[512];
	struct daemon_opts o = { .mountpoint = "/var/lib/procview",
				 .daemon_path = "/usr/bin/procviewd",
				 .unit_paths = true };
	char *argv[32], buf[4096];
	FILE *f;

	daemon_unit_name(&o, START_TRANSIENT, name, sizeof(name));
	is_str(name, "procview.service", "unit: the installed paths' transient unit is procview.service");
	o.unit_paths = false;
	o.mountpoint = "/srv/pv";
	daemon_unit_name(&o, START_TRANSIENT, name, sizeof(name));
	daemon_start_argv(&o, START_TRANSIENT, argv, 32, buf, sizeof(buf));
	ok(strncmp(name, argv[1] + 7, 17) == 0 && strcmp(name + 17, ".service") == 0,
	   "unit: the name systemd-run gets, with .service (%s, %s)", name, argv[1]);
	daemon_unit_name(&o, START_UNIT, name, sizeof(name));
	is_str(name, "procview.service", "unit: START_UNIT is always procview.service");

	if (!mkdtemp(root)) {
		ok(0, "unit: mkdtemp");
		return;
	}
	o.root = root;
	ok(daemon_unit_running(&o, "procview.service") == 0, "unit: no cgroup yet: not running");
	mkdirs(root, "/sys/fs/cgroup/system.slice/procview.service");
	touch(root, "/sys/fs/cgroup/system.slice/procview.service/cgroup.procs");
	ok(daemon_unit_running(&o, "procview.service") == 0, "unit: empty cgroup: not running");
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/system.slice/procview.service/cgroup.procs", root);
	f = fopen(path, "we");
	if (f) {
		fputs("4242\n", f);
		fclose(f);
	}
	ok(daemon_unit_running(&o, "procview.service") == 1, "unit: a process in its cgroup: running");
	ok(daemon_unit_running(&o, "procview-0000.service") == 0, "unit: another unit's cgroup: not running");
	mkdirs(root, "/sys/fs/cgroup/unified/system.slice/procview-0000.service");
	snprintf(path, sizeof(path),
		 "%s/sys/fs/cgroup/unified/system.slice/procview-0000.service/cgroup.procs", root);
	f = fopen(path, "we");
	if (f) {
		fputs("7\n", f);
		fclose(f);
	}
	ok(daemon_unit_running(&o, "procview-0000.service") == 1, "unit: hybrid: found in the unified tree");
	nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	test_plan();
	test_argv();
	test_unit();
	return done_testing();
}
