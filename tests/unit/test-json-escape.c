/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one JSON string writer (xen-kdump/lib/json-escape.c): exact output for
 * the rule's edge cases, and, for many random byte strings, output that a
 * strict UTF-8 check and two JSON readers (tests/unit/json-mini.c and
 * Python's json with a strict UTF-8 decode) accept and read back as the rule
 * says: the input's well-formed characters, one U+FFFD per other byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json-escape.h"
#include "json-mini.h"
#include "test.h"

static char *escape(const char *s, size_t len) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        xkd_json_string_n(f, s, len);
        fclose(f);
        return out;
}

struct escape_case {
        const char *in;
        size_t len;             /* 0: strlen(in) */
        const char *out;
};

#define C(in, out) { in, sizeof(in) - 1, out }

static const struct escape_case cases[] = {
        C("plain", "\"plain\""),
        C("q\"b\\s/", "\"q\\\"b\\\\s/\""),
        C("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""),
        C("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""),
        C("a\0b", "\"a\\u0000b\""),
        /* well-formed UTF-8 passes through, at each length and at the edges */
        C("caf\xc3\xa9", "\"caf\xc3\xa9\""),
        C("\xc2\xa0", "\"\xc2\xa0\""),
        C("\xe2\x82\xac", "\"\xe2\x82\xac\""),
        C("\xed\x9f\xbf\xee\x80\x80", "\"\xed\x9f\xbf\xee\x80\x80\""),    /* U+D7FF U+E000 */
        C("\xef\xbf\xbf", "\"\xef\xbf\xbf\""),
        C("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""),
        C("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""),                    /* U+10FFFF */
        /* C1 controls are escaped by code point */
        C("\xc2\x80\xc2\x9b\xc2\x9f", "\"\\u0080\\u009b\\u009f\""),
        /* ill-formed: one U+FFFD per byte */
        C("\x80", "\"\\ufffd\""),
        C("a\xbf" "b", "\"a\\ufffdb\""),
        C("\xc3", "\"\\ufffd\""),                                         /* truncated at the end */
        C("\xc3" "A", "\"\\ufffdA\""),
        C("\xe2\x82", "\"\\ufffd\\ufffd\""),
        C("\xe2\x82" "A", "\"\\ufffd\\ufffdA\""),
        C("\xc0\xaf", "\"\\ufffd\\ufffd\""),                              /* overlong '/' */
        C("\xc1\xbf", "\"\\ufffd\\ufffd\""),
        C("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""),
        C("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\""),                   /* overlong U+07FF */
        C("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
        C("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),        /* overlong U+FFFF */
        C("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""),                   /* surrogate U+D800 */
        C("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\""),                   /* surrogate U+DFFF */
        C("\xed\xa0\xbd\xed\xb8\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""), /* CESU pair */
        C("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),        /* U+110000 */
        C("\xf5\xf8\xfe\xff", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
        C("\xc0\x80", "\"\\ufffd\\ufffd\""),                              /* modified-UTF-8 NUL */
};

TEST(json_escape_cases) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = escape(cases[i].in, cases[i].len);
                ASSERT_TRUE(out);
                if (strcmp(out, cases[i].out) != 0) {
                        fprintf(stderr, "  case %zu: got %s, want %s\n", i, out, cases[i].out);
                        free(out);
                        TEST_FAIL_("case %zu escaped wrongly", i);
                }
                ASSERT_TRUE(utf8_well_formed((const unsigned char *) out, strlen(out)));
                struct json *j = json_parse(out);
                free(out);
                ASSERT_TRUE(j);
                ASSERT_EQ(j->type, JSON_STRING);
                json_free(j);
        }
}

TEST(json_escape_nul_terminated_matches_counted) {
        char *a = escape("x\xffy", 3), *b = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&b, &size);

        ASSERT_TRUE(a && f);
        xkd_json_string(f, "x\xffy");
        fclose(f);
        ASSERT_STREQ(a, b);
        free(a);
        free(b);
}

/* Mostly bytes that make or break UTF-8, so that every kind of sequence occurs. */
static size_t random_bytes(unsigned char *buf, size_t max, unsigned *seed) {
        static const unsigned char interesting[] = {
                0x00, 0x09, 0x0a, 0x1f, '"', '\\', 'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4,
                0xf5, 0xf8, 0xfe, 0xff,
        };
        size_t n = (size_t) rand_r(seed) % max;

        for (size_t i = 0; i < n; i++)
                buf[i] = rand_r(seed) % 3 ? interesting[rand_r(seed) % sizeof(interesting)]
                                          : (unsigned char) rand_r(seed);
        return n;
}

TEST(json_escape_random_strict_utf8_and_json) {
        unsigned seed = 20261205;
        unsigned char in[24];

        for (int i = 0; i < 20000; i++) {
                size_t n = random_bytes(in, sizeof(in), &seed);
                char *out = escape((const char *) in, n);
                ASSERT_TRUE(out);
                bool ok = utf8_well_formed((const unsigned char *) out, strlen(out));
                struct json *j = ok ? json_parse(out) : NULL;
                if (!j) {
                        fprintf(stderr, "  input:");
                        for (size_t k = 0; k < n; k++)
                                fprintf(stderr, " %02x", in[k]);
                        fprintf(stderr, "\n  output: %s\n", out);
                        free(out);
                        TEST_FAIL_("output is not %s", ok ? "one JSON string" : "well-formed UTF-8");
                }
                json_free(j);
                free(out);
        }
}

/*
 * Python as an independent reader: strict UTF-8 decode, json.loads, and the
 * expected text from Python's own decoder (surrogateescape marks each
 * undecodable byte, which the rule turns into one U+FFFD).
 */
static const char python_check[] =
        "import json, re, sys\n"
        "bad = 0\n"
        "for n, line in enumerate(open(sys.argv[1], 'rb')):\n"
        "    hexin, out = line.rstrip(b'\\n').split(b'\\t', 1)\n"
        "    raw = bytes.fromhex(hexin.decode())\n"
        "    want = re.sub('[\\udc80-\\udcff]', '\\ufffd', raw.decode('utf-8', 'surrogateescape'))\n"
        "    try:\n"
        "        got = json.loads(out.decode('utf-8', 'strict'))\n"
        "    except ValueError as e:\n"
        "        print('line %d: %s: %r' % (n + 1, e, out)); bad += 1; continue\n"
        "    if got != want:\n"
        "        print('line %d: read back %r, want %r' % (n + 1, got, want)); bad += 1\n"
        "    if bad > 5: break\n"
        "sys.exit(1 if bad else 0)\n";

TEST(json_escape_python_reads_back_the_rule) {
        char path[] = "/tmp/xkd-json-escape-XXXXXX";
        unsigned seed = 4242;
        unsigned char in[24];
        char cmd[256];
        int fd, status;
        FILE *f;

        if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
                TEST_SKIP("python3 is not installed (mk/deps installs it)");
        fd = mkstemp(path);
        ASSERT_TRUE(fd >= 0);
        f = fdopen(fd, "w");
        ASSERT_TRUE(f);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                for (size_t k = 0; k < cases[i].len; k++)
                        fprintf(f, "%02x", (unsigned char) cases[i].in[k]);
                fprintf(f, "\t%s\n", cases[i].out);
        }
        for (int i = 0; i < 20000; i++) {
                size_t n = random_bytes(in, sizeof(in), &seed);
                char *out = escape((const char *) in, n);
                ASSERT_TRUE(out);
                for (size_t k = 0; k < n; k++)
                        fprintf(f, "%02x", in[k]);
                fprintf(f, "\t%s\n", out);
                free(out);
        }
        fclose(f);
        snprintf(cmd, sizeof(cmd), "python3 -c \"$XKD_PY\" %s", path);
        setenv("XKD_PY", python_check, 1);
        status = system(cmd);
        unlink(path);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

TEST(json_mini_rejects_ill_formed_utf8) {
        /* the strict reader the other JSON tests rely on must itself refuse */
        ASSERT_FALSE(json_parse("\"\xc0\xaf\""));
        ASSERT_FALSE(json_parse("\"\xed\xa0\x80\""));
        ASSERT_FALSE(json_parse("\"\xf4\x90\x80\x80\""));
        ASSERT_FALSE(json_parse("\"\xe2\x82\""));
        ASSERT_FALSE(json_parse("\"\\u00\""));
        struct json *j = json_parse("\"\xe2\x82\xac\\u00e9\"");
        ASSERT_TRUE(j);
        ASSERT_STREQ(j->string, "\xe2\x82\xac\xc3\xa9");
        json_free(j);
}

TEST_MAIN()
