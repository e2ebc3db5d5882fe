/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Logging in the systemd style: the log_*_errno() helpers print one line and
 * return the negative errno, so call sites read
 *     r = f();
 *     if (r < 0)
 *             return log_error_errno(r, "Failed to ...: %m");
 * "%m" is expanded from the errno passed in, not from the global errno.
 * Under systemd (stderr is the stream named by $JOURNAL_STREAM) every line
 * starts with its journal priority, "<3>" error, "<4>" warning, "<5>" notice,
 * "<6>" info, "<7>" debug; elsewhere lines are plain.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>

enum log_level {
        LOG_LEVEL_ERROR = 0,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

void log_set_program(const char *name);
void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);
/* True when stderr is the journal stream systemd connected ($JOURNAL_STREAM). */
bool log_stderr_is_journal(void);

int log_internal(enum log_level level, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int log_internalv(enum log_level level, int error, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

#define log_error_errno(err, ...)   log_internal(LOG_LEVEL_ERROR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_internal(LOG_LEVEL_WARNING, (err), __VA_ARGS__)
#define log_error(...)              log_internal(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...)            log_internal(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...)             log_internal(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...)               log_internal(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)              log_internal(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
