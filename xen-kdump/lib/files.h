/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Read a whole regular file of at most max bytes into a malloc'd buffer.
 * what names the file in the one-line error ("kernel", "initramfs"), fix says what to do. */
int xkd_read_file(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size);
/* The same, also giving fstat() before and after the read (both or neither may be NULL). */
struct stat;
int xkd_read_file_stat(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size,
                       struct stat *before, struct stat *after);
