#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *log_ident = "procview";
static bool log_stderr = true;
static int log_max = LOG_INFO;

void log_open(const char *ident, bool to_stderr, int level)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (level >= 0)
		log_max = level;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_stderr(bool on)
{
	log_stderr = on;
}

int log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int prio;
	} levels[] = { { "error", LOG_ERR }, { "warning", LOG_WARNING },
		       { "info", LOG_INFO }, { "debug", LOG_DEBUG } };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i].name) == 0)
			return levels[i].prio;
	return -1;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	syslog(prio, "%s", line);
	if (log_stderr)
		fprintf(stderr, "%s: %s\n", log_ident, line);
}
