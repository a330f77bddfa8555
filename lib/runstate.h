/* The daemon's footprint under /run/procview: a pid file per mountpoint
 * (for `procview status` and live replace) and systemd notification. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCVIEW_RUNDIR "/run/procview"

struct daemon_info {
	pid_t pid;      /* the holder: owns the mount, takes signals */
	pid_t renderer; /* 0 if the file predates the split or none runs */
	char version[32];
	int64_t started; /* unix seconds */
};

/* PROCVIEW_RUNDIR/daemon.<mountpoint with '/' as '_'>.pid */
int pidfile_path(const char *mnt, char *out, size_t size);
/* PROCVIEW_RUNDIR/daemon.<...>.sock: the holder's --replace handoff. */
int sockfile_path(const char *mnt, char *out, size_t size);
/* Lines: holder pid, version, start time (unix s), renderer pid. The
 * start time stays the first write's across renderer restarts. */
int pidfile_write(const char *mnt, pid_t renderer);
int pidfile_read(const char *mnt, struct daemon_info *info);
void pidfile_remove(const char *mnt);
/* Pure: parse the pid file's text. */
int pidfile_parse(const char *text, struct daemon_info *info);
/* sd_notify without libsystemd: a datagram to $NOTIFY_SOCKET, if set. */
void notify_systemd(const char *msg);
/* The same with fds attached (FDSTORE=1). */
void notify_systemd_fds(const char *msg, const int *fds, size_t nfds);
