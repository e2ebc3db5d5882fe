/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A strict little JSON reader for tests that read back report.json (and
 * anything else we write as JSON): parse, then look values up by path
 * ("xen.version", "cpus[2].rip", "missing.crash\\.time" is not supported:
 * use json_get(json_get(root, "missing"), NULL) + json_member for odd keys).
 */

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
        enum json_type type;
        bool boolean;
        double number;
        char *string;                   /* JSON_STRING; also member name storage */
        struct json **items;            /* array items or object values */
        char **keys;                    /* object keys */
        size_t n;
};

/* NULL when text is not exactly one valid JSON value in well-formed UTF-8
 * (every JSON reader of our outputs is strict about both). */
struct json *json_parse(const char *text);
void json_free(struct json *j);

/* Path lookup: dotted member names and [index]; NULL if absent. */
const struct json *json_get(const struct json *j, const char *path);
const struct json *json_member(const struct json *j, const char *key);
const char *json_get_string(const struct json *j, const char *path);    /* NULL unless a string */
bool json_get_number(const struct json *j, const char *path, double *ret);
bool json_is_null(const struct json *j, const char *path);              /* present and null */

/* The Unicode standard's definition (table 3-7): no overlong form, no
 * surrogate, nothing above U+10FFFF, no truncated sequence. */
bool utf8_well_formed(const unsigned char *s, size_t len);

/* Reads a whole file (NUL-terminated); NULL on error. */
char *read_file_text(int dirfd, const char *name);
