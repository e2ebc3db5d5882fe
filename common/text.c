/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text that came from a crashed machine (host names, Xen's command line, panic
 * strings) is printed on admins' terminals: never let it carry escape sequences.
 */
#include <stdbool.h>

#include "text.h"

void xkd_dump_sanitize(char *s, bool allow_newlines) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '\n' || c == '\t' || c == '\r') {
                        if (!allow_newlines)
                                *s = ' ';
                        else if (c == '\r')
                                *s = '?';
                } else if (c < 0x20 || c >= 0x7f)
                        *s = '?';
        }
}
