/* render_cpuinfo: the visible CPUs' blocks, renumbered. */
#include "buf.h"
#include "fileio.h"
#include "render.h"
#include "tap.h"
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>


static struct cpu_view view(int n, const int *ids)
{
	struct cpu_view cv = { .n = n };

	for (int i = 0; i < n; i++)
		cv.host_ids[i] = ids[i];
	return cv;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Values of every "key\t: v" line, joined with commas. */
static const char *values(const char *s, const char *key)
{
	static char out[512];
	size_t off = 0, k = strlen(key);

	out[0] = '\0';
	for (const char *p = s; *p && off < sizeof(out) - 16;) {
		const char *eol = strchrnul(p, '\n');

		if (!strncmp(p, key, k) && (p[k] == '\t' || p[k] == ' ' || p[k] == ':'))
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%d", off ? "," : "",
						atoi(strchr(p, ':') + 1));
		p = *eol ? eol + 1 : eol;
	}
	return out;
}

static const char SMALL[] =
	"processor\t: 0\nphysical id\t: 0\nsiblings\t: 4\ncpu cores\t: 2\napicid\t\t: 0\n\n"
	"processor\t: 1\nphysical id\t: 0\nsiblings\t: 4\ncpu cores\t: 2\napicid\t\t: 1\n\n"
	"processor\t: 2\nphysical id\t: 1\nsiblings\t: 4\ncpu cores\t: 2\napicid\t\t: 2\n\n"
	"processor\t: 3\nphysical id\t: 1\nsiblings\t: 4\ncpu cores\t: 2\napicid\t\t: 3\n\n";

static void test_small(void)
{
	struct buf b = { 0 };
	struct cpu_view cv;

	cv = view(2, (int[]){ 1, 3 });
	ok(render_cpuinfo(SMALL, &cv, &b) == 0, "small: renders");
	is_str(b.data,
	       "processor\t: 0\nphysical id\t: 0\nsiblings\t: 1\ncpu cores\t: 1\napicid\t\t: 1\n\n"
	       "processor\t: 1\nphysical id\t: 1\nsiblings\t: 1\ncpu cores\t: 1\napicid\t\t: 3\n\n",
	       "small: host 1 and 3 renumbered, one cpu per package");
	buf_reset(&b);

	cv = view(3, (int[]){ 0, 1, 2 });
	render_cpuinfo(SMALL, &cv, &b);
	is_str(b.data,
	       "processor\t: 0\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\napicid\t\t: 0\n\n"
	       "processor\t: 1\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\napicid\t\t: 1\n\n"
	       "processor\t: 2\nphysical id\t: 1\nsiblings\t: 1\ncpu cores\t: 1\napicid\t\t: 2\n\n",
	       "small: siblings and cpu cores count visible cpus per package");
	buf_reset(&b);

	cv = view(2, (int[]){ 3, 0 });
	render_cpuinfo(SMALL, &cv, &b);
	is_str(values(b.data, "apicid"), "3,0", "small: blocks follow the view's order");
	buf_reset(&b);

	cv = view(2, (int[]){ 0, 7 });
	ok(render_cpuinfo(SMALL, &cv, &b) == 0, "missing block: renders");
	is_str(b.data, "processor\t: 0\nphysical id\t: 0\nsiblings\t: 1\ncpu cores\t: 1\napicid\t\t: 0\n\n",
	       "missing block: skipped, the others unchanged");
	buf_reset(&b);

	ok(render_cpuinfo(SMALL, NULL, &b) == 0, "NULL view: renders");
	is_str(b.data, SMALL, "NULL view: host verbatim");
	buf_free(&b);
}

static void test_other_layouts(void)
{
	struct buf b = { 0 };
	struct cpu_view cv = view(1, (int[]){ 1 });

	/* 32-bit ARM: a trailing section without a processor line. */
	render_cpuinfo("processor\t: 0\nBogoMIPS\t: 1.0\n\nprocessor\t: 1\nBogoMIPS\t: 2.0\n\n"
		       "Hardware\t: BCM2835\nRevision\t: a02082\n",
		       &cv, &b);
	is_str(b.data, "processor\t: 0\nBogoMIPS\t: 2.0\n\nHardware\t: BCM2835\nRevision\t: a02082\n",
	       "arm: trailing Hardware section kept, no blank line added at the end");
	buf_reset(&b);

	/* s390-like: a summary first, then per-cpu blocks keyed otherwise. */
	render_cpuinfo("vendor_id       : IBM/S390\n# processors    : 2\n\n"
		       "processor\t: 0\nx: a\n\nprocessor\t: 1\nx: b\n\n",
		       &cv, &b);
	is_str(b.data, "vendor_id       : IBM/S390\n# processors    : 2\n\nprocessor\t: 0\nx: b\n\n",
	       "leading summary block kept in place");
	buf_reset(&b);

	ok(render_cpuinfo("", &cv, &b) == 0 && b.len == 0, "empty host text: empty output");
	ok(render_cpuinfo("processor: x\n\n\n\nprocessor : 99999\nprocessor:1\n\n:\n\nprocessor\t: 1",
			  &cv, &b) == 0,
	   "garbage: renders");
	is_str(b.data, "processor\t: 0\n\n:\n",
	       "garbage: unparsable cpu blocks dropped, host 1's renumbered where cpus start");
	buf_reset(&b);
	cv.n = 0;
	ok(render_cpuinfo(SMALL, &cv, &b) == -EINVAL, "n 0 refused");
	cv.n = CPUSET_MAX + 1;
	ok(render_cpuinfo(SMALL, &cv, &b) == -EINVAL, "n too big refused");
	buf_free(&b);
}

static void test_host(void)
{
	char *host = fixture("host-cpuinfo"), *h16 = fixture("cpuinfo-16");
	struct buf b = { 0 };
	struct cpu_view cv;
	struct cpuset online, cs;
	struct cg_cpu cg = { .has_cpuset = true };

	if (!host || !h16)
		return;
	cv = view(2, (int[]){ 0, 1 });
	ok(render_cpuinfo(host, &cv, &b) == 0 && !strcmp(b.data, host),
	   "host fixture: the full view reproduces the host byte for byte");
	buf_reset(&b);

	cv = view(1, (int[]){ 1 });
	render_cpuinfo(host, &cv, &b);
	is_u64(count(b.data, "processor\t:"), 1, "host fixture, cpu 1 only: one processor");
	is_str(values(b.data, "processor"), "0", "host fixture, cpu 1 only: numbered 0");
	is_str(values(b.data, "siblings"), "1", "host fixture, cpu 1 only: siblings 1");
	is_str(values(b.data, "cpu cores"), "1", "host fixture, cpu 1 only: cpu cores 1");
	is_str(values(b.data, "apicid"), "1", "host fixture, cpu 1 only: the host cpu 1 block");
	ok(b.len > 4 && !strcmp(b.data + b.len - 2, "\n\n"), "host fixture: ends with a blank line like the kernel");
	buf_reset(&b);

	/* 16 cpus on 2 packages, cpuset 0-3,8,10-11, quota 6 cpus. */
	cpuset_parse("0-15", &online);
	cpuset_parse("0-3,8,10-11", &cs);
	cg.cpus = cs;
	cpu_view_compute(&online, &cg, false, &cv);
	render_cpuinfo(h16, &cv, &b);
	is_str(values(b.data, "processor"), "0,1,2,3,4,5,6", "16 cpus, odd cpuset: renumbered 0..6");
	is_str(values(b.data, "apicid"), "0,1,2,3,8,10,11", "16 cpus, odd cpuset: the right host blocks");
	is_str(values(b.data, "physical id"), "0,0,0,0,1,1,1", "16 cpus, odd cpuset: packages kept");
	is_str(values(b.data, "siblings"), "4,4,4,4,3,3,3", "16 cpus, odd cpuset: siblings per package");
	is_str(values(b.data, "cpu cores"), "4,4,4,4,3,3,3", "16 cpus, odd cpuset: cores sum to 7");
	is_u64(count(b.data, "\n\n"), 7, "16 cpus, odd cpuset: 7 blocks");
	buf_reset(&b);

	cg.quota_milli = 1500;
	cpu_view_compute(&online, &cg, true, &cv);
	render_cpuinfo(h16, &cv, &b);
	is_str(values(b.data, "processor"), "0,1", "16 cpus, quota 1.5: two processors");
	is_str(values(b.data, "siblings"), "2,2", "16 cpus, quota 1.5: siblings 2");
	buf_free(&b);
	free(host);
	free(h16);
}

int main(void)
{
	test_small();
	test_other_layouts();
	test_host();
	return done_testing();
}
