/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Text safe for a terminal: control bytes and non-ASCII become '?'; tab and newline are kept
 * when allow_newlines, else become spaces. */
void xkd_dump_sanitize(char *s, bool allow_newlines);
