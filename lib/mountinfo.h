/* /proc/<pid>/mountinfo read without libmount: the hook runs on every
 * container start, and libmount costs four shared libraries (libblkid,
 * libselinux, libpcre2) to load for one lookup. */
#pragma once
#include <stddef.h>
#include <stdio.h>

struct mountinfo_entry {
	int id;
	char *target; /* unescaped ("\040" is a space), in the line's buffer */
	char *fstype;
};

/* Split one line in place. 0 or -EINVAL for a malformed line. */
int mountinfo_parse_line(char *line, struct mountinfo_entry *e);
/* fstype (into out, size bytes) of the topmost mount on target when
 * target is not NULL, else of the mount with id mnt_id. -ENOENT if none. */
int mountinfo_fstype(FILE *f, const char *target, int mnt_id, char *out, size_t size);
