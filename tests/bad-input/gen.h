/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by the bad-input generator's files. */

#include <stddef.h>

extern const char *out;                 /* the output directory */
/* Writes OUT/kind/name (0600); exits on failure. */
void emit(const char *kind, const char *name, const void *p, size_t n);
void die(const char *what);
void gen_kernels(void);
void gen_initrds(void);
void gen_host(void);
