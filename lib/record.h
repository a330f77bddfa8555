/* What the hook attached to a container, kept in /run/procview/containers/<id>
 * so a restarted daemon can find every container and attach its views again.
 * One small JSON file per container, written atomically. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECORD_DIR "/run/procview/containers"
#define RECORD_ID_MAX 256

struct pv_record {
	char *id;
	pid_t pid;	    /* the container init's host pid */
	uint64_t starttime; /* its field 22 of /proc/<pid>/stat */
	char *rootfs;	    /* rootfs in the container's mount namespace for a re-attach ("/") */
	char *mountpoint;   /* the daemon's mountpoint the views came from */
	char **files;	    /* files bound, relative: "proc/meminfo" */
	size_t n_files;
};

/* 0 if id may become a file name: 1..256 bytes of printable ASCII, no '/',
 * no leading '.' (so neither "." nor ".." nor our temp files), no "..".
 * -EINVAL otherwise. */
int record_id_valid(const char *id);

/* Serialize / parse one record (pure; the parser is fuzzable). */
int record_format(const struct pv_record *r, char **json, size_t *len);
int record_parse(const char *json, size_t len, struct pv_record *out);

/* dir is RECORD_DIR except in tests; created (0700, with parents) if missing.
 * The file is written to a temp name, fsync'd, and renamed over <id>. */
int record_write(const char *dir, const struct pv_record *r);
int record_read(const char *dir, const char *id, struct pv_record *out);
/* -ENOENT if there was none. */
int record_remove(const char *dir, const char *id);
/* Call fn for every readable record, in no particular order. Files that
 * do not parse are skipped and counted in *n_bad (if not NULL). A non-zero
 * return from fn stops the walk and is returned. */
int record_foreach(const char *dir, int (*fn)(const struct pv_record *r, void *data),
		   void *data, size_t *n_bad);
void record_free(struct pv_record *r);
