/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON string writer on arbitrary bytes (strings from the crashed
 * machine's memory, file names): the output must always be one JSON string
 * in well-formed UTF-8, whatever came in.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-escape.h"

/* Well-formed UTF-8 by the Unicode standard's table 3-7, byte ranges per position. */
static int utf8_length(const unsigned char *s, size_t left) {
        unsigned char lo = 0x80, hi = 0xbf;
        int n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                if (s[0] == 0xe0)
                        lo = 0xa0;
                if (s[0] == 0xed)
                        hi = 0x9f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                if (s[0] == 0xf0)
                        lo = 0x90;
                if (s[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (left < (size_t) n || s[1] < lo || s[1] > hi)
                return 0;
        for (int k = 2; k < n; k++)
                if (s[k] < 0x80 || s[k] > 0xbf)
                        return 0;
        return n;
}

static int hex(unsigned char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_json_string(const unsigned char *s, size_t n) {
        if (n < 2 || s[0] != '"' || s[n - 1] != '"')
                __builtin_trap();
        for (size_t i = 1; i < n - 1;) {
                if (s[i] < 0x20 || s[i] == '"')
                        __builtin_trap();
                if (s[i] == '\\') {
                        if (i + 1 >= n - 1)
                                __builtin_trap();
                        if (strchr("\"\\/bfnrt", s[i + 1])) {
                                i += 2;
                                continue;
                        }
                        if (s[i + 1] != 'u' || i + 6 > n - 1)
                                __builtin_trap();
                        int v = 0;
                        for (int k = 2; k < 6; k++) {
                                int h = hex(s[i + k]);
                                if (h < 0)
                                        __builtin_trap();
                                v = v << 4 | h;
                        }
                        if (v >= 0xd800 && v <= 0xdfff)
                                __builtin_trap();       /* a lone surrogate escape is no character */
                        i += 6;
                        continue;
                }
                int len = utf8_length(s + i, n - 1 - i);
                if (len == 0)
                        __builtin_trap();
                i += (size_t) len;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return 0;
        xkd_json_string_n(f, (const char *) data, size);
        if (fclose(f) != 0) {
                free(out);
                return 0;
        }
        check_json_string((const unsigned char *) out, len);
        free(out);
        return 0;
}
