#include "mountinfo.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The kernel escapes ' ', '\t', '\n' and '\\' in paths as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static char *next_field(char **p)
{
	char *s = *p, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, ' ');
	if (e) {
		*e = '\0';
		*p = e + 1;
	} else {
		e = s + strcspn(s, "\n");
		*e = '\0';
		*p = NULL;
	}
	return s;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw" */
int mountinfo_parse_line(char *line, struct mountinfo_entry *e)
{
	char *p = line, *f, *end;
	long id;

	f = next_field(&p);
	if (!f)
		return -EINVAL;
	errno = 0;
	id = strtol(f, &end, 10);
	if (errno || end == f || *end || id < 0 || id > 0x7fffffff)
		return -EINVAL;
	e->id = (int)id;
	if (!next_field(&p) || !next_field(&p) || !next_field(&p)) /* parent, dev, root */
		return -EINVAL;
	e->target = next_field(&p);
	if (!e->target || !next_field(&p)) /* options */
		return -EINVAL;
	/* Optional fields, up to the lone "-". */
	while ((f = next_field(&p)) && strcmp(f, "-") != 0)
		;
	if (!f)
		return -EINVAL;
	e->fstype = next_field(&p);
	if (!e->fstype || !e->fstype[0])
		return -EINVAL;
	unescape(e->target);
	return 0;
}

int mountinfo_fstype(FILE *f, const char *target, int mnt_id, char *out, size_t size)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	bool found = false;

	while (getline(&line, &cap, f) > 0) {
		struct mountinfo_entry e;

		if (mountinfo_parse_line(line, &e) < 0)
			continue;
		if (target ? strcmp(e.target, target) != 0 : e.id != mnt_id)
			continue;
		snprintf(out, size, "%s", e.fstype);
		found = true;
		if (!target)
			break; /* ids are unique; for a path the last (topmost) wins */
	}
	return found ? 0 : -ENOENT;
}
