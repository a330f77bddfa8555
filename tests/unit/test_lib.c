/* Shared helpers: cpu lists, number parsing, the buffer, /proc stat fields. */
#include "buf.h"
#include "cpuset.h"
#include "fileio.h"
#include "procfs.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>

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

int main(void)
{
	test_cpuset();
	test_numbers();
	test_buf();
	test_stat_fields();
	return done_testing();
}
