/* One line per event: syslog always (journald picks it up), stderr too
 * when running in the foreground. */
#pragma once
#include <stdbool.h>
#include <syslog.h>

void log_open(const char *ident, bool to_stderr, int level);
/* "error", "warning", "info", "debug" -> LOG_*; -1 if unknown. */
int log_level_parse(const char *name);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_set_stderr(bool on);
