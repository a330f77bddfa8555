/* What the hook attached to a container, kept in /run/procview/containers/<name>
 * so a restarted daemon can find every container and attach its views again.
 * One small JSON file per container, written atomically. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECORD_DIR "/run/procview/containers"
#define RECORD_ID_MAX 4096	/* the id kept inside a record */
#define RECORD_NAME_MAX 256	/* a record's file name */
#define RECORD_NAME_PREFIX 40	/* readable part of a derived name */

struct pv_record {
	char *id;
	pid_t pid;	    /* the container init's host pid */
	uint64_t starttime; /* its field 22 of /proc/<pid>/stat */
	char *rootfs;	    /* rootfs in the container's mount namespace for a re-attach ("/") */
	char *mountpoint;   /* the daemon's mountpoint the views came from */
	char **files;	    /* files bound, relative: "proc/meminfo" */
	size_t n_files;
};

/* 0 if id may be a file name as it is: 1..256 bytes of printable ASCII,
 * no '/', no leading '.' (so neither "." nor ".." nor our temp files), no
 * "..". -EINVAL otherwise. */
int record_id_valid(const char *id);
/* The file name of id's record (size >= RECORD_NAME_MAX + 1): the id
 * itself when it is valid and has no '%'; else up to 40 bytes of it with
 * anything but [A-Za-z0-9_+-] made '_', a '%', and 32 hex digits of the
 * id's SHA-256. Any id the runtime accepted (1..RECORD_ID_MAX bytes) has
 * one, so an odd id never fails a container. -EINVAL for empty or longer. */
int record_name(const char *id, char *name, size_t size);

/* Serialize / parse one record (pure; the parser is fuzzable). */
int record_format(const struct pv_record *r, char **json, size_t *len);
int record_parse(const char *json, size_t len, struct pv_record *out);

/* dir is RECORD_DIR except in tests; created (0700, with parents) if missing.
 * The file is written to a temp name, fsync'd, and renamed over <id>. */
int record_write(const char *dir, const struct pv_record *r);
int record_read(const char *dir, const char *id, struct pv_record *out);
/* -ENOENT if there was none. */
int record_remove(const char *dir, const char *id);
/* Compare-and-delete: remove id's record only if it still says pid and
 * starttime (a newer container may have reused the id meanwhile). 0
 * removed, -ENOENT none, -ESTALE it describes another process (kept). */
int record_remove_if(const char *dir, const char *id, pid_t pid, uint64_t starttime);
/* Call fn for every readable record, in no particular order. Files that
 * do not parse are skipped and counted in *n_bad (if not NULL). A non-zero
 * return from fn stops the walk and is returned. */
int record_foreach(const char *dir, int (*fn)(const struct pv_record *r, void *data),
		   void *data, size_t *n_bad);
void record_free(struct pv_record *r);
