/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr.  When stderr is still that stream, each line carries its priority
 * as a "<N>" prefix (sd-daemon.h), which journald strips and records; on a
 * terminal or in a file the lines stay plain.  Checked on every message: a
 * program may redirect stderr after starting, and logging is rare.
 */
bool log_stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        int end = 0;

        if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &end) != 2 || e[end] != '\0')
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

static int journal_priority(enum log_level level) {
        switch (level) {
        case LOG_LEVEL_ERROR:   return 3;
        case LOG_LEVEL_WARNING: return 4;
        case LOG_LEVEL_NOTICE:  return 5;
        case LOG_LEVEL_INFO:    return 6;
        default:                return 7;
        }
}

/* One message may hold several lines; journald reads each as its own entry. */
static void write_journal_lines(enum log_level level, const char *text) {
        int prio = journal_priority(level);

        for (const char *p = text;;) {
                const char *nl = strchr(p, '\n');
                int len = nl ? (int) (nl - p) : (int) strlen(p);
                fprintf(stderr, "<%d>%.*s\n", prio, len, p);
                if (!nl || !nl[1])
                        break;
                p = nl + 1;
        }
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
                bool journal = log_stderr_is_journal();  /* may change errno: before "%m" is set */
                char *msg = NULL;
                errno = error;
                if (journal) {
                        va_list aq;
                        va_copy(aq, ap);
                        if (vasprintf(&msg, fmt, aq) < 0)
                                msg = NULL;
                        va_end(aq);
                        errno = error;
                }
                if (msg) {
                        char *line = NULL;
                        if (asprintf(&line, "%s: %s%s", program,
                                     level == LOG_LEVEL_WARNING ? "warning: " : "", msg) >= 0)
                                write_journal_lines(level, line);
                        free(line);
                        free(msg);
                } else {
                        fprintf(stderr, "%s: ", program);
                        if (level == LOG_LEVEL_WARNING)
                                fputs("warning: ", stderr);
                        vfprintf(stderr, fmt, ap);
                        fputc('\n', stderr);
                }
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
