/* Shared helpers: cpu lists, number parsing, the buffer, /proc stat fields. */
#include "buf.h"
#include "cpuset.h"
#include "fileio.h"
#include "mountinfo.h"
#include "mountpoint.h"
#include "procfs.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

/* A clock that moves on by 1 ms at each read. */
static int64_t ticks;
static int64_t tick(void)
{
	return ticks++;
}

/* The holder's respawn timeout, MAX(0, due - now()): with the old macros
 * a tick between two reads of the clock made it -1, poll's "forever",
 * and a dead renderer was never restarted. */
static void test_min_max(void)
{
	int64_t due;
	int64_t v;
	int n = 0;

	ticks = 100;
	due = 100;
	v = MAX(0, due - tick());
	is_u64(ticks, 101, "MAX reads its arguments once");
	ok(v == 0, "MAX(0, due - now()) is 0 when due, not -1 (got %lld)", (long long)v);
	v = MIN(5, tick() - 100);
	is_u64(ticks, 102, "MIN reads its arguments once");
	ok(v == 1, "MIN(5, now() - 100) is the value read (got %lld)", (long long)v);
	v = MIN((int64_t)50 << MIN(n++, 8), 2000);
	ok(v == 50 && n == 1, "nested MIN: one increment, 50 << 0");
	ok(MAX(-3, -7) == -3 && MIN(2u, 9u) == 2u, "plain values");
}

static void test_cpuset(void)
{
	struct cpuset s;
	struct buf b = { 0 };

	ok(cpuset_parse("0-3,8,10-11\n", &s) == 0, "cpuset: parse 0-3,8,10-11");
	is_u64(cpuset_count(&s), 7, "cpuset: 7 members");
	ok(cpuset_has(&s, 8) && !cpuset_has(&s, 9) && cpuset_has(&s, 11), "cpuset: membership");
	is_u64(cpuset_nth(&s, 4), 8, "cpuset: 5th member is host cpu 8");
	is_u64(cpuset_nth(&s, 6), 11, "cpuset: 7th member is host cpu 11");
	ok(cpuset_nth(&s, 7) == -1, "cpuset: no 8th member");
	cpuset_format(&s, &b);
	is_str(b.data, "0-3,8,10-11\n", "cpuset: formats back to the kernel form");
	buf_free(&b);
	ok(cpuset_parse("", &s) == 0 && cpuset_count(&s) == 0, "cpuset: empty string is empty");
	ok(cpuset_parse("3-1", &s) == -EINVAL, "cpuset: reversed range refused");
	ok(cpuset_parse("0-", &s) == -EINVAL, "cpuset: dangling range refused");
	ok(cpuset_parse("a", &s) == -EINVAL, "cpuset: garbage refused");
	ok(cpuset_parse("1,,2", &s) == -EINVAL, "cpuset: empty element refused");
	ok(cpuset_parse("99999", &s) == -ERANGE, "cpuset: id beyond CPUSET_MAX refused");
	ok(cpuset_parse("0\ngarbage", &s) == -EINVAL, "cpuset: trailing lines refused");
}

static void test_numbers(void)
{
	uint64_t v;
	int64_t i;

	ok(parse_u64("268435456\n", &v) == 0 && v == 268435456, "parse_u64: plain");
	ok(parse_u64("max\n", &v) == 0 && v == UINT64_MAX, "parse_u64: max is unlimited");
	ok(parse_u64("", &v) == -EINVAL, "parse_u64: empty refused");
	ok(parse_u64("abc", &v) == -EINVAL, "parse_u64: non-numeric refused");
	ok(parse_u64("-5", &v) == -EINVAL, "parse_u64: negative refused");
	ok(parse_u64("99999999999999999999999", &v) == -ERANGE, "parse_u64: overflow refused");
	ok(parse_u64("12 34", &v) == -EINVAL, "parse_u64: two numbers refused");
	ok(parse_i64("-1\n", &i) == 0 && i == -1, "parse_i64: -1");
	ok(parse_i64("-", &i) == -EINVAL, "parse_i64: lone minus refused");
}

static void test_buf(void)
{
	struct buf b = { 0 };
	char *p;
	size_t n;

	for (int k = 0; k < 1000; k++)
		buf_printf(&b, "%d,", k);
	ok(b.len == 3890 && b.data[b.len] == '\0', "buf: grows across many appends");
	p = buf_steal(&b, &n);
	ok(p && n == 3890 && b.data == NULL && b.len == 0, "buf: steal hands over the bytes");
	free(p);
}

static void test_stat_fields(void)
{
	uint64_t t;
	char st;
	/* comm with spaces and a ')' must not shift the fields */
	const char *line = "4441 (we) ird (x) S 1 4441 4441 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
			   "123456 1000 100 18446744073709551615\n";

	ok(proc_parse_starttime(line, &t) == 0 && t == 123456, "stat: starttime past a tricky comm");
	ok(proc_parse_state(line, &st) == 0 && st == 'S', "stat: state past a tricky comm");
	ok(proc_parse_starttime("1 (x) S 1", &t) == -EINVAL, "stat: truncated line refused");
	ok(proc_parse_starttime("garbage", &t) == -EINVAL, "stat: no comm refused");
	ok(proc_parse_state("", &st) == -EINVAL, "stat: empty refused");
}

static void test_mountpoint_norm(void)
{
	static const char *const cases[][2] = {
		{ "/var/lib/procview", "/var/lib/procview" },
		{ "/var/lib/procview/", "/var/lib/procview" },
		{ "//var//lib/./procview/.", "/var/lib/procview" },
		{ "/", "/" },
		{ "/tmp/a..b", "/tmp/a..b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = mountpoint_normalized(cases[i][0]);

		is_str(n, cases[i][1], cases[i][0]);
		free(n);
	}
	ok(!mountpoint_normalized("var/lib/procview"), "mountpoint: relative refused");
	ok(!mountpoint_normalized("/var/lib/../procview"), "mountpoint: '..' refused");
	ok(!mountpoint_normalized("/var/.."), "mountpoint: trailing '..' refused");
	ok(mountpoint_same("/var/lib/procview/", "/var//lib/procview"),
	   "mountpoint: trailing slash and '//' compare equal (heal used to skip them)");
	ok(!mountpoint_same("/var/lib/procview", "/var/lib/procview2"), "mountpoint: different");
	ok(!mountpoint_same("/a/../b", "/b"), "mountpoint: '..' never equal");
}

static void test_mountinfo(void)
{
	char l1[] = "36 35 98:0 /mnt1 /mnt\\040two\\134x rw,noatime master:1 shared:2 - ext3 /dev/root rw\n";
	char l2[] = "40 22 0:50 / /var/lib/procview rw,nosuid - fuse.procviewd procviewd rw";
	char bad[] = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw";
	char bad2[] = "x 35 98:0 / / rw - ext3 a b";
	const char text[] = "22 1 0:21 / /var rw - tmpfs tmpfs rw\n"
			    "40 22 0:50 / /var/lib/procview rw - fuse.procviewd procviewd rw\n"
			    "garbage\n"
			    "41 40 0:51 / /var/lib/procview rw - tmpfs tmpfs rw\n";
	struct mountinfo_entry e;
	char fstype[64];
	FILE *f;

	ok(mountinfo_parse_line(l1, &e) == 0 && e.id == 36, "mountinfo: optional fields");
	is_str(e.target, "/mnt two\\x", "mountinfo: octal escapes undone");
	is_str(e.fstype, "ext3", "mountinfo: fstype after '-'");
	ok(mountinfo_parse_line(l2, &e) == 0 && strcmp(e.fstype, "fuse.procviewd") == 0,
	   "mountinfo: no optional fields");
	ok(mountinfo_parse_line(bad, &e) == -EINVAL, "mountinfo: no separator refused");
	ok(mountinfo_parse_line(bad2, &e) == -EINVAL, "mountinfo: bad id refused");
	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	ok(f && mountinfo_fstype(f, "/var/lib/procview", -1, fstype, sizeof(fstype)) == 0 &&
		   strcmp(fstype, "tmpfs") == 0,
	   "mountinfo: the topmost mount on a path wins");
	rewind(f);
	ok(mountinfo_fstype(f, NULL, 40, fstype, sizeof(fstype)) == 0 &&
		   strcmp(fstype, "fuse.procviewd") == 0,
	   "mountinfo: by mount id");
	rewind(f);
	ok(mountinfo_fstype(f, "/nope", -1, fstype, sizeof(fstype)) == -ENOENT,
	   "mountinfo: no mount on a path");
	fclose(f);
}

int main(void)
{
	test_min_max();
	test_mountpoint_norm();
	test_mountinfo();
	test_cpuset();
	test_numbers();
	test_buf();
	test_stat_fields();
	return done_testing();
}
