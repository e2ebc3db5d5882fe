/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Test support: running the built xen-kdump as an administrator would, output captured. */

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* The xen-kdump binary built next to this test binary. */
void cli_path(char *buf, size_t size);

/* Runs cli with a1 and ap (NULL-terminated, at most 30 arguments), as uid and gid
 * run_as unless 0; stdout and stderr into out (NUL-terminated, cut to size - 1);
 * returns its exit status, 128 when it did not exit. */
int cli_vrun(const char *cli, uid_t run_as, char *out, size_t size, const char *a1, va_list ap);

/* The same with the arguments in args (NULL-terminated, at most 30). */
int cli_run_argv(const char *cli, uid_t run_as, char *out, size_t size, const char *const *args);

/* Defines `static int NAME(const char *a1, ...)`: runs CLI with the arguments
 * (NULL-terminated) as uid RUN_AS (0: as is), output into the array OUT. */
#define CLI_DEFINE_RUN(name, cli, run_as, out)                                 \
        static int name(const char *a1, ...) {                                 \
                va_list ap;                                                    \
                int r;                                                         \
                va_start(ap, a1);                                              \
                r = cli_vrun(cli, run_as, out, sizeof(out), a1, ap);           \
                va_end(ap);                                                    \
                return r;                                                      \
        }

/* Newlines in s. */
unsigned count_lines(const char *s);
