/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one JSON string writer for every output of both programs (report.json,
 * list/info/status/show --json).  The strings come from the crashed machine's
 * memory or from file names, so they may hold any byte; the output is always
 * valid UTF-8 and valid JSON, by one rule:
 *   - a well-formed UTF-8 sequence (no overlong form, no surrogate, nothing
 *     above U+10FFFF) is copied through unchanged;
 *   - every other byte >= 0x80 becomes U+FFFD, written "\ufffd", one per byte,
 *     so a reader sees that something was unreadable and roughly how much;
 *   - '"' and '\\' are escaped, as are the control characters: \b \f \n \r \t
 *     by name, the rest of U+0000-U+001F, U+007F and the C1 controls
 *     U+0080-U+009F as "\u00XX" (a terminal never interprets them).
 */

#include <stddef.h>
#include <stdio.h>

/* Writes s (up to its NUL) as a quoted JSON string. */
void xkd_json_string(FILE *f, const char *s);
/* Writes len bytes of s (NULs included, as \u0000) as a quoted JSON string. */
void xkd_json_string_n(FILE *f, const char *s, size_t len);

/* Length of the well-formed UTF-8 sequence at s (at most len bytes), 0 if s
 * does not start one. */
size_t xkd_utf8_sequence_length(const unsigned char *s, size_t len);
