// SPDX-License-Identifier: GPL-2.0 OR MIT
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static enum gwiod_log_level max_level = GWIOD_LOG_INFO;

static const char *const level_names[] = {
	[GWIOD_LOG_ERROR] = "error",
	[GWIOD_LOG_WARN] = "warn",
	[GWIOD_LOG_NOTICE] = "notice",
	[GWIOD_LOG_INFO] = "info",
	[GWIOD_LOG_DEBUG] = "debug",
};

void gwiod_log_set_level(enum gwiod_log_level level)
{
	max_level = level;
}

enum gwiod_log_level gwiod_log_get_level(void)
{
	return max_level;
}

int gwiod_log_parse_level(const char *name)
{
	int i;

	for (i = GWIOD_LOG_ERROR; i <= GWIOD_LOG_DEBUG; i++)
		if (!strcmp(name, level_names[i]))
			return i;
	return -1;
}

/* journald sets JOURNAL_STREAM for services whose stderr it reads. */
static bool want_prefix(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = getenv("JOURNAL_STREAM") != NULL;
	return cached;
}

void gwiod_log(enum gwiod_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = 0;

	if (level > max_level)
		return;
	if (want_prefix())
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: ",
		      level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line, so lines from a crash handler do not mix */
	n = (int)strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
