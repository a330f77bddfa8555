/* render_diskstats: only devices with cgroup I/O, kernel layout. */
#include "buf.h"
#include "fileio.h"
#include "render.h"
#include "tap.h"
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>


static void test_host(const char *host)
{
	struct cg_io_dev devs[] = {
		{ 254, 0, 1048576, 3 * 4096, 10, 3 }, /* vda */
		{ 7, 1, 0, 0, 0, 0 },                 /* loop1: no I/O, left out */
		{ 8, 0, 4096, 4096, 1, 1 },           /* not in the host text */
		{ 253, 0, 0, 512, 0, 1 },             /* zram0: one write */
	};
	struct cg_io io = { 4, devs };
	struct buf b = { 0 };

	ok(render_diskstats(host, NULL, &b) == 0 && !strcmp(b.data, host), "io NULL: host verbatim");
	buf_reset(&b);

	ok(render_diskstats(host, &io, &b) == 0, "fixture: renders");
	is_str(b.data,
	       " 254       0 vda 10 0 2048 0 3 0 24 0 0 0 0 0 0 0 0 0 0\n"
	       " 253       0 zram0 0 0 0 0 1 0 1 0 0 0 0 0 0 0 0 0 0\n",
	       "fixture: devices with I/O only, host order, host field count");
	buf_reset(&b);

	io.n = 0;
	ok(render_diskstats(host, &io, &b) == 0 && b.len == 0, "no devices: empty file");
	buf_free(&b);
}

static void test_edges(void)
{
	struct cg_io_dev devs[] = {
		{ 8, 0, 1000, 0, 1, 0 },
		{ 8, 0, 1000, 0, 2, 0 },
		{ 8, 16, 0, 0, 0, 5 },
		{ 259, 1, 512, 0, 1, 0 },
	};
	struct cg_io io = { 4, devs };
	struct buf b = { 0 };

	render_diskstats("   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
			 "   8      16 sdb 1 2 3\n"
			 " 259       1 nvme0n1p1\n",
			 &io, &b);
	is_str(b.data,
	       "   8       0 sda 3 0 3 0 0 0 0 0 0 0 0\n"
	       "   8      16 sdb 0 0 0 0 5 0 0 0 0 0 0\n"
	       " 259       1 nvme0n1p1 1 0 1 0 0 0 0 0 0 0 0\n",
	       "edges: duplicates summed, bytes floored to sectors, short lines get 11 fields");
	buf_reset(&b);

	ok(render_diskstats("abc\n  8\n 8 0\n8 0 \n99999999999 0 sda 1\n-8 0 sda 1\n8 x sda\n\n\n"
			    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11",
			    &io, &b) == 0,
	   "garbage: renders");
	is_str(b.data, "   8       0 sda 3 0 3 0 0 0 0 0 0 0 0\n",
	       "garbage: malformed lines skipped, last line without newline handled");
	buf_reset(&b);

	io.devs = NULL;
	ok(render_diskstats("", &io, &b) == -EINVAL, "devs NULL with n > 0 refused");
	io.n = -1;
	ok(render_diskstats("", &io, &b) == -EINVAL, "negative n refused");
	ok(render_diskstats(NULL, NULL, &b) == -EINVAL, "NULL host refused");
	buf_free(&b);
}

int main(void)
{
	char *host = fixture("host-diskstats");

	if (host)
		test_host(host);
	test_edges();
	free(host);
	return done_testing();
}
