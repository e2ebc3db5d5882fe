/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *program = "xen-kdump";
static enum log_level max_level = LOG_LEVEL_NOTICE;

void log_set_program(const char *name) {
        program = name;
}

void log_set_max_level(enum log_level level) {
        max_level = level;
}

enum log_level log_get_max_level(void) {
        return max_level;
}

int log_internalv(enum log_level level, int error, const char *fmt, va_list ap) {
        int saved_errno = errno;

        if (error < 0)
                error = -error;

#ifdef XKD_FUZZING
        /* Fuzzers refuse millions of inputs: format each line (argument bugs
         * still show under ASan) but do not write gigabytes of log. */
        if (level <= max_level) {
                char discard[256];
                errno = error;
                vsnprintf(discard, sizeof(discard), fmt, ap);
        } else
#endif
        if (level <= max_level) {
                /* "%m" must name the error we were given, not whatever errno is now. */
                errno = error;
                fprintf(stderr, "%s: ", program);
                if (level == LOG_LEVEL_WARNING)
                        fputs("warning: ", stderr);
                vfprintf(stderr, fmt, ap);
                fputc('\n', stderr);
        }

        errno = saved_errno;
        return error > 0 ? -error : -EINVAL;
}

int log_internal(enum log_level level, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_internalv(level, error, fmt, ap);
        va_end(ap);
        return r;
}
