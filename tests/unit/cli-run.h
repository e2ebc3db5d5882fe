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

/* Newlines in s. */
unsigned count_lines(const char *s);
