/* Container records: id validation, format/parse round trip, the files
 * on disk (atomic write, 0600, read, iterate, remove). */
#include "attach.h"
#include "record.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void test_ids(void)
{
	char longid[RECORD_NAME_MAX + 2];

	ok(record_id_valid("c0ffee") == 0, "id: hex");
	ok(record_id_valid("my-container_1.2+x") == 0, "id: runc's alphabet");
	ok(record_id_valid("a..b") < 0, "id: '..' inside refused");
	ok(record_id_valid("..") < 0, "id: '..' refused");
	ok(record_id_valid(".") < 0, "id: '.' refused");
	ok(record_id_valid(".hidden") < 0, "id: leading dot refused (temp files)");
	ok(record_id_valid("a/b") < 0, "id: slash refused");
	ok(record_id_valid("../etc/passwd") < 0, "id: traversal refused");
	ok(record_id_valid("") < 0, "id: empty refused");
	ok(record_id_valid(NULL) < 0, "id: NULL refused");
	ok(record_id_valid("a b") < 0, "id: space refused");
	ok(record_id_valid("a\nb") < 0, "id: newline refused");
	ok(record_id_valid("caf\xc3\xa9") < 0, "id: non-ASCII refused");
	memset(longid, 'a', RECORD_NAME_MAX);
	longid[RECORD_NAME_MAX] = '\0';
	ok(record_id_valid(longid) == 0, "id: 256 chars accepted");
	longid[RECORD_NAME_MAX] = 'a';
	longid[RECORD_NAME_MAX + 1] = '\0';
	ok(record_id_valid(longid) < 0, "id: 257 chars refused");
}

static struct pv_record sample(char *id)
{
	static char *files[] = { "proc/meminfo", "sys/devices/system/cpu/online" };

	return (struct pv_record){ .id = id,
				   .pid = 4441,
				   .starttime = 18446744073709551615ull,
				   .rootfs = "/",
				   .mountpoint = "/var/lib/pro\"c\\view",
				   .files = files,
				   .n_files = 2 };
}

static void test_format(void)
{
	struct pv_record r = sample("c0ffee"), back = { 0 };
	_cleanup_free_ char *json = NULL;
	size_t len;

	ok(record_format(&r, &json, &len) == 0, "format: ok");
	ok(json && strlen(json) == len, "format: NUL-terminated, length right");
	ok(record_parse(json, len, &back) == 0, "parse: own output");
	is_str(back.id, "c0ffee", "round trip: id");
	is_u64(back.pid, 4441, "round trip: pid");
	is_u64(back.starttime, 18446744073709551615ull, "round trip: u64 starttime");
	is_str(back.rootfs, "/", "round trip: rootfs");
	is_str(back.mountpoint, "/var/lib/pro\"c\\view", "round trip: escaped mountpoint");
	is_u64(back.n_files, 2, "round trip: files");
	is_str(back.files[1], "sys/devices/system/cpu/online", "round trip: file name");
	record_free(&back);

	r.id = "";
	free(steal_pointer(&json));
	ok(record_format(&r, &json, &len) == -EINVAL, "format: empty id refused");
	r.id = "../x";
	ok(record_format(&r, &json, &len) == 0, "format: an id that is no file name is kept");
	free(steal_pointer(&json));
	r = sample("c0ffee");
	r.mountpoint = "/tmp/\xff";
	ok(record_format(&r, &json, &len) < 0, "format: non-UTF-8 path refused");

	ok(record_parse("", 0, &back) < 0, "parse: empty");
	ok(record_parse("{\"id\":\"a\"}", 10, &back) < 0, "parse: incomplete");
	{
		const char *j = "{\"id\":\"a\",\"pid\":1,\"starttime\":\"-1\",\"rootfs\":\"/\","
				"\"mountpoint\":\"/m\",\"files\":[]}";
		ok(record_parse(j, strlen(j), &back) < 0, "parse: negative starttime");
		j = "{\"id\":\"\",\"pid\":1,\"starttime\":\"1\",\"rootfs\":\"/\","
		    "\"mountpoint\":\"/m\",\"files\":[]}";
		ok(record_parse(j, strlen(j), &back) < 0, "parse: empty id in the file");
		j = "{\"id\":\"a\",\"pid\":1,\"starttime\":\"1\",\"rootfs\":\"/\","
		    "\"mountpoint\":\"/m\",\"files\":[3]}";
		ok(record_parse(j, strlen(j), &back) < 0, "parse: non-string file");
		j = "{\"id\":\"a\",\"pid\":1,\"starttime\":\"1\",\"rootfs\":\"/\","
		    "\"mountpoint\":\"/m\",\"files\":[]}";
		ok(record_parse(j, strlen(j), &back) == 0 && back.n_files == 0, "parse: no files");
		record_free(&back);
	}
}

static int count_cb(const struct pv_record *r, void *data)
{
	(*(int *)data)++;
	return strcmp(r->id, "stop-here") == 0 ? 42 : 0;
}

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)s;
	(void)f;
	(void)w;
	return remove(p);
}

static void test_files(void)
{
	char base[] = "/tmp/pv-test-record.XXXXXX";
	char dir[128], path[256];
	struct pv_record r, back = { 0 };
	struct stat st;
	size_t bad;
	int n = 0, fd;

	if (!mkdtemp(base)) {
		ok(0, "files: mkdtemp");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/run/procview/containers", base);
	r = sample("c1");
	ok(record_write(dir, &r) == 0, "write: creates the directory and the record");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "write: directory 0700");
	snprintf(path, sizeof(path), "%s/c1", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "write: record 0600");
	r.pid = 99;
	ok(record_write(dir, &r) == 0, "write: overwrite");
	ok(record_read(dir, "c1", &back) == 0 && back.pid == 99, "read: the newer record");
	record_free(&back);
	ok(record_read(dir, "../c1", &back) == -ENOENT, "read: '../c1' is not c1");
	ok(record_read(dir, "nope", &back) == -ENOENT, "read: missing is -ENOENT");

	r = sample("c2");
	record_write(dir, &r);
	r = sample("stop-here");
	record_write(dir, &r);
	/* A leftover temp file and a corrupt record. */
	snprintf(path, sizeof(path), "%s/.c3.123.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/corrupt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	(void)!write(fd, "{\"id\":", 6);
	close(fd);
	/* A record whose content names another id. */
	snprintf(path, sizeof(path), "%s/liar", dir);
	{
		_cleanup_free_ char *json = NULL;
		size_t len;

		r = sample("c2");
		record_format(&r, &json, &len);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		(void)!write(fd, json, len);
		close(fd);
	}
	ok(record_read(dir, "liar", &back) == -EINVAL, "read: content must match the file name");

	n = 0;
	ok(record_foreach(dir, count_cb, &n, &bad) == 42, "foreach: callback's stop value");
	n = 0;
	ok(record_remove(dir, "stop-here") == 0, "remove: ok");
	ok(record_foreach(dir, count_cb, &n, &bad) == 0, "foreach: full walk");
	is_u64(n, 2, "foreach: two good records (temp file skipped)");
	is_u64(bad, 2, "foreach: corrupt and lying records counted as bad");
	ok(record_remove(dir, "stop-here") == -ENOENT, "remove: twice is -ENOENT");
	ok(record_remove(dir, "../../etc") == -ENOENT, "remove: '../../etc' names no file outside");
	ok(record_remove(dir, "") == -EINVAL, "remove: empty id refused");
	ok(record_foreach("/nonexistent-dir", count_cb, &n, NULL) == -ENOENT,
	   "foreach: missing directory");

	nftw(base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* Ids the runtime accepted but that are no file names get derived names
 * and never fail; the real id stays inside. */
static void test_names(void)
{
	char base[] = "/tmp/pv-test-record.XXXXXX", name[RECORD_NAME_MAX + 1],
	     name2[RECORD_NAME_MAX + 1], path[512];
	static char longid[RECORD_ID_MAX + 2];
	const char *odd[] = { "a/b", "caf\xc3\xa9", "../../etc/passwd", "..", ".hidden", "a b",
			      "100%", longid };
	struct pv_record r, back = { 0 };
	struct stat st;

	ok(record_name("c0ffee", name, sizeof(name)) == 0, "name: plain id");
	is_str(name, "c0ffee", "name: a valid id is its own name");
	ok(record_name("a/b", name, sizeof(name)) == 0 && strncmp(name, "a_b%", 4) == 0 &&
		   strlen(name) == 4 + 32,
	   "name: 'a/b' is a_b%% + 32 hex digits (%s)", name);
	record_name("a_b", name2, sizeof(name2));
	ok(strcmp(name, name2) != 0, "name: 'a/b' and 'a_b' differ");
	record_name(name, name2, sizeof(name2));
	ok(strcmp(name, name2) != 0, "name: an id spelling a derived name does not get it");
	record_name("a?b", name2, sizeof(name2));
	ok(strcmp(name, name2) != 0, "name: 'a/b' and 'a?b' differ (hash of the whole id)");
	memset(longid, 'x', 300);
	longid[300] = '\0';
	ok(record_name(longid, name, sizeof(name)) == 0 && strlen(name) == 40 + 1 + 32,
	   "name: a 300-byte id gets a 73-byte name");
	ok(record_name("", name, sizeof(name)) == -EINVAL, "name: empty id refused");
	memset(longid, 'x', RECORD_ID_MAX + 1);
	longid[RECORD_ID_MAX + 1] = '\0';
	ok(record_name(longid, name, sizeof(name)) == -EINVAL, "name: over RECORD_ID_MAX refused");
	longid[RECORD_ID_MAX] = '\0';

	if (!mkdtemp(base)) {
		ok(0, "names: mkdtemp");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		r = sample((char *)odd[i]);
		r.mountpoint = "/m";
		ok(record_write(base, &r) == 0 && record_read(base, odd[i], &back) == 0 &&
			   strcmp(back.id, odd[i]) == 0,
		   "odd id #%zu: written, read back, real id inside", i);
		record_free(&back);
		record_name(odd[i], name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", base, name);
		ok(stat(path, &st) == 0 && record_id_valid(name) == 0,
		   "odd id #%zu: one file, a valid name (%.20s...)", i, name);
		ok(record_remove(base, odd[i]) == 0 && stat(path, &st) < 0,
		   "odd id #%zu: removed by id", i);
	}
	ok(rmdir(base) == 0, "names: nothing left behind");
}

/* Heal and poststop must not delete a record a newer container wrote for
 * the same id: remove only when pid and start time still match. */
static void test_remove_if(void)
{
	char base[] = "/tmp/pv-test-record.XXXXXX";
	struct pv_record r = sample("c9"), back = { 0 };

	if (!mkdtemp(base)) {
		ok(0, "remove_if: mkdtemp");
		return;
	}
	r.pid = 100;
	r.starttime = 5;
	record_write(base, &r);
	ok(record_remove_if(base, "c9", 100, 6) == -ESTALE, "remove_if: other start time kept");
	ok(record_remove_if(base, "c9", 101, 5) == -ESTALE, "remove_if: other pid kept");
	ok(record_read(base, "c9", &back) == 0 && back.pid == 100 && back.starttime == 5,
	   "remove_if: the kept record is intact");
	record_free(&back);
	ok(record_remove_if(base, "c9", 100, 5) == 0, "remove_if: matching record removed");
	ok(record_read(base, "c9", &back) == -ENOENT, "remove_if: gone");
	ok(record_remove_if(base, "c9", 100, 5) == -ENOENT, "remove_if: none is -ENOENT");
	r = sample("x/y");
	record_write(base, &r);
	ok(record_remove_if(base, "x/y", r.pid, r.starttime) == 0, "remove_if: derived names too");
	ok(rmdir(base) == 0, "remove_if: no temp file left behind");
}

static void test_attach_args(void)
{
	struct attach_result res;
	char buf[64];
	const char *files[] = { "proc/meminfo" };
	const char *bad[] = { "../etc/passwd" };

	ok(attach_src_dir("/var/lib/procview", 42, 1234, buf, sizeof(buf)) == 0,
	   "src_dir: fits");
	is_str(buf, "/var/lib/procview/containers/42-1234", "src_dir: <pid>-<starttime>");
	ok(attach_src_dir("/var/lib/procview", 42, 1234, buf, 20) == -ENAMETOOLONG,
	   "src_dir: too long");
	is_u64(attach_n_files, 13, "attach: 13 files");
	ok(attach_views(getpid(), "/", "/x", files, 1, 0, &res) == -EPERM,
	   "attach: our own namespace is refused");
	{
		int r = attach_views(1, "/", "/x", files, 1, 0, &res);

		/* -EACCES where pid 1 is not ours to inspect (a sandbox). */
		ok(r == -EPERM || r == -EACCES, "attach: pid 1's namespace is refused (%d)", r);
	}
	ok(attach_views(getpid(), "/", "/x", bad, 1, 0, &res) == -EINVAL, "attach: '..' refused");
	ok(attach_views(getpid(), "rel", "/x", files, 1, 0, &res) == -EINVAL,
	   "attach: relative rootfs refused");
}

/* A child in its own private mount namespace, waiting to be killed. */
static pid_t ns_child(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		(void)!write(p[1], "r", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static void read_in(pid_t pid, const char *rel, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/root/%s", (int)pid, rel);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* attach_views for real, into a child's namespace: the new mount API
 * and the mount(2) fallback, from a plain tmpfs/disk file. */
static void test_attach_ns(void)
{
	char base[] = "/tmp/pv-test-attach.XXXXXX";
	const char *files[] = { "proc/meminfo", "proc/version" };
	struct attach_result res;
	char path[256], got[128];
	int fd;

	if (getuid() != 0) {
		printf("ok %d - attach in a namespace # SKIP needs root\n", ++tap_n);
		return;
	}
	if (!mkdtemp(base)) {
		ok(0, "attach ns: mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/proc", base);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/meminfo", base);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	(void)!write(fd, "MemTotal: 1 kB\n", 15);
	close(fd);

	for (int legacy = 0; legacy < 2; legacy++) {
		pid_t child = ns_child();
		const char *how = legacy ? "mount(2) fallback" : "new mount API";
		int r;

		ok(child > 0, "%s: a child in its own namespace", how);
		if (child <= 0)
			break;
		r = attach_views(child, "/", base, files, 2, legacy ? ATTACH_LEGACY : 0, &res);
		ok(r == 0, "%s: attach_views returns 0 (%d)", how, r);
		ok(res.err[0] == 0 && res.n_attached == 1, "%s: meminfo attached (%d)", how,
		   res.err[0]);
		ok(res.err[1] == -ENOENT, "%s: a missing source is -ENOENT (%d)", how, res.err[1]);
		ok(res.legacy == !!legacy, "%s: reported as such", how);
		read_in(child, "proc/meminfo", got, sizeof(got));
		is_str(got, "MemTotal: 1 kB", "attached file read in the child's namespace");
		read_in(getpid(), "proc/meminfo", got, sizeof(got));
		ok(strncmp(got, "MemTotal:", 9) == 0 && strcmp(got, "MemTotal: 1 kB") != 0,
		   "%s: our own /proc/meminfo is untouched", how);
		/* Now the target is a disk/tmpfs bind: not procfs, refused even
		 * with ATTACH_ALLOW_FUSE (not a procview mount). */
		r = attach_views(child, "/", base, files, 1, ATTACH_ALLOW_FUSE, &res);
		ok(r == 0 && res.err[0] == -EXDEV, "%s: attaching twice is refused (%d)", how,
		   res.err[0]);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", base);
	rmdir(path);
	rmdir(base);
}

int main(void)
{
	test_ids();
	test_format();
	test_files();
	test_names();
	test_remove_if();
	test_attach_args();
	test_attach_ns();
	return done_testing();
}
