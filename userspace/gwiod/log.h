/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gwiod logging: one line per message on stderr, "<N>level: text", where
 * <N> is the syslog priority prefix that journald (SyslogLevelPrefix=)
 * turns into the entry's priority, so systemd needs no extra setup.
 * The prefix is written only when journald reads stderr.
 */
#ifndef GWIOD_LOG_H
#define GWIOD_LOG_H

#include <stdbool.h>

enum gwiod_log_level {
	GWIOD_LOG_ERROR = 3,	/* syslog's LOG_ERR ... */
	GWIOD_LOG_WARN = 4,
	GWIOD_LOG_NOTICE = 5,
	GWIOD_LOG_INFO = 6,
	GWIOD_LOG_DEBUG = 7,	/* ... LOG_DEBUG */
};

void gwiod_log_set_level(enum gwiod_log_level level);
enum gwiod_log_level gwiod_log_get_level(void);
/* "error", "warn", "notice", "info" or "debug"; -1 when unknown. */
int gwiod_log_parse_level(const char *name);

void gwiod_log(enum gwiod_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...)	gwiod_log(GWIOD_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	gwiod_log(GWIOD_LOG_WARN, __VA_ARGS__)
#define log_notice(...)	gwiod_log(GWIOD_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	gwiod_log(GWIOD_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	gwiod_log(GWIOD_LOG_DEBUG, __VA_ARGS__)

/* "1 source", "2 sources": an operator reads counts, not "1 sources". */
static inline const char *gwiod_plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#endif /* GWIOD_LOG_H */
