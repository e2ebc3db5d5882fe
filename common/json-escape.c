/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "json-escape.h"

size_t xkd_utf8_sequence_length(const unsigned char *s, size_t len) {
        unsigned need;
        uint32_t cp, min;

        if (len == 0)
                return 0;
        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0) {
                need = 1;
                cp = s[0] & 0x1f;
                min = 0x80;
        } else if ((s[0] & 0xf0) == 0xe0) {
                need = 2;
                cp = s[0] & 0x0f;
                min = 0x800;
        } else if ((s[0] & 0xf8) == 0xf0) {
                need = 3;
                cp = s[0] & 0x07;
                min = 0x10000;
        } else
                return 0;       /* a continuation byte, or 0xf8-0xff */
        if (len < need + 1)
                return 0;
        for (unsigned i = 1; i <= need; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;       /* overlong, beyond Unicode, or a UTF-16 surrogate */
        return need + 1;
}

void xkd_json_string_n(FILE *f, const char *str, size_t len) {
        const unsigned char *s = (const unsigned char *) str;

        fputc('"', f);
        for (size_t i = 0; i < len;) {
                unsigned char c = s[i];
                size_t n;

                switch (c) {
                case '"':  fputs("\\\"", f); i++; continue;
                case '\\': fputs("\\\\", f); i++; continue;
                case '\b': fputs("\\b", f); i++; continue;
                case '\f': fputs("\\f", f); i++; continue;
                case '\n': fputs("\\n", f); i++; continue;
                case '\r': fputs("\\r", f); i++; continue;
                case '\t': fputs("\\t", f); i++; continue;
                }
                if (c < 0x20 || c == 0x7f) {
                        fprintf(f, "\\u%04x", c);
                        i++;
                        continue;
                }
                if (c < 0x80) {
                        fputc(c, f);
                        i++;
                        continue;
                }
                n = xkd_utf8_sequence_length(s + i, len - i);
                if (n == 0) {
                        fputs("\\ufffd", f);
                        i++;
                } else if (n == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
                        fprintf(f, "\\u%04x", s[i + 1]);        /* C1 control U+0080-U+009F */
                        i += 2;
                } else {
                        fwrite(s + i, 1, n, f);
                        i += n;
                }
        }
        fputc('"', f);
}

void xkd_json_string(FILE *f, const char *s) {
        xkd_json_string_n(f, s, strlen(s));
}
