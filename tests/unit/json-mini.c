/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json-mini.h"

struct parser {
        const char *p;
        int depth;
};

static void ws(struct parser *ps) {
        while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')
                ps->p++;
}

static struct json *parse_value(struct parser *ps);

static bool append(char **s, size_t *n, size_t *cap, const char *b, size_t len) {
        while (*n + len + 1 > *cap) {
                char *t = realloc(*s, *cap * 2);
                if (!t)
                        return false;
                *s = t;
                *cap *= 2;
        }
        memcpy(*s + *n, b, len);
        *n += len;
        return true;
}

/*
 * Well-formed UTF-8 by the Unicode standard's table 3-7 (byte ranges per
 * position), written independently of the escaper's decode-and-check in
 * xen-kdump/lib/json-escape.c so that each checks the other.
 */
bool utf8_well_formed(const unsigned char *s, size_t len) {
        static const struct { unsigned char lo0, hi0, lo1, hi1; unsigned n; } rows[] = {
                { 0x00, 0x7f, 0x00, 0x00, 1 },
                { 0xc2, 0xdf, 0x80, 0xbf, 2 },
                { 0xe0, 0xe0, 0xa0, 0xbf, 3 },
                { 0xe1, 0xec, 0x80, 0xbf, 3 },
                { 0xed, 0xed, 0x80, 0x9f, 3 },
                { 0xee, 0xef, 0x80, 0xbf, 3 },
                { 0xf0, 0xf0, 0x90, 0xbf, 4 },
                { 0xf1, 0xf3, 0x80, 0xbf, 4 },
                { 0xf4, 0xf4, 0x80, 0x8f, 4 },
        };
        size_t i = 0;

        while (i < len) {
                unsigned r, k;
                for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
                        if (s[i] >= rows[r].lo0 && s[i] <= rows[r].hi0)
                                break;
                if (r == sizeof(rows) / sizeof(rows[0]) || len - i < rows[r].n)
                        return false;
                if (rows[r].n > 1 && (s[i + 1] < rows[r].lo1 || s[i + 1] > rows[r].hi1))
                        return false;
                for (k = 2; k < rows[r].n; k++)
                        if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                                return false;
                i += rows[r].n;
        }
        return true;
}

static char *parse_string(struct parser *ps) {
        size_t cap = 16, n = 0;
        char *s = malloc(cap);
        if (!s || *ps->p != '"')
                goto fail;
        ps->p++;
        while (*ps->p != '"') {
                char c = *ps->p++;
                if ((unsigned char) c < 0x20)
                        goto fail;
                if (c == '\\') {
                        char e = *ps->p++;
                        switch (e) {
                        case '"': case '\\': case '/': c = e; break;
                        case 'n': c = '\n'; break;
                        case 't': c = '\t'; break;
                        case 'r': c = '\r'; break;
                        case 'b': c = '\b'; break;
                        case 'f': c = '\f'; break;
                        case 'u': {
                                char hex[5] = { 0 };
                                for (int i = 0; i < 4; i++) {
                                        if (!ps->p[i])
                                                goto fail;
                                        hex[i] = ps->p[i];
                                }
                                ps->p += 4;
                                char *end;
                                long v = strtol(hex, &end, 16);
                                if (*end || v < 0 || (v >= 0xd800 && v <= 0xdfff))
                                        goto fail;      /* we never write surrogate escapes */
                                if (v < 0x80) {
                                        c = (char) v;
                                        break;
                                }
                                char u[3];
                                size_t k = 0;
                                if (v < 0x800)
                                        u[k++] = (char) (0xc0 | v >> 6);
                                else {
                                        u[k++] = (char) (0xe0 | v >> 12);
                                        u[k++] = (char) (0x80 | (v >> 6 & 0x3f));
                                }
                                c = (char) (0x80 | (v & 0x3f));
                                if (!append(&s, &n, &cap, u, k))
                                        goto fail;
                                break;
                        }
                        default:
                                goto fail;
                        }
                }
                if (!append(&s, &n, &cap, &c, 1))
                        goto fail;
        }
        ps->p++;
        s[n] = '\0';
        return s;
fail:
        free(s);
        return NULL;
}

static bool push(struct json *j, char *key, struct json *v) {
        struct json **items = realloc(j->items, (j->n + 1) * sizeof(*items));
        if (!items)
                return false;
        j->items = items;
        if (j->type == JSON_OBJECT) {
                char **keys = realloc(j->keys, (j->n + 1) * sizeof(*keys));
                if (!keys)
                        return false;
                j->keys = keys;
                j->keys[j->n] = key;
        }
        j->items[j->n++] = v;
        return true;
}

static struct json *parse_container(struct parser *ps, bool object) {
        struct json *j = calloc(1, sizeof(*j));
        if (!j)
                return NULL;
        j->type = object ? JSON_OBJECT : JSON_ARRAY;
        ps->p++;
        ws(ps);
        if (*ps->p == (object ? '}' : ']')) {
                ps->p++;
                return j;
        }
        for (;;) {
                char *key = NULL;
                ws(ps);
                if (object) {
                        key = parse_string(ps);
                        if (!key)
                                goto fail;
                        ws(ps);
                        if (*ps->p++ != ':') {
                                free(key);
                                goto fail;
                        }
                }
                struct json *v = parse_value(ps);
                if (!v || !push(j, key, v)) {
                        free(key);
                        json_free(v);
                        goto fail;
                }
                ws(ps);
                if (*ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (*ps->p++ != (object ? '}' : ']'))
                        goto fail;
                return j;
        }
fail:
        json_free(j);
        return NULL;
}

static struct json *parse_value(struct parser *ps) {
        struct json *j;

        if (++ps->depth > 64)
                return NULL;
        ws(ps);
        if (*ps->p == '{' || *ps->p == '[') {
                j = parse_container(ps, *ps->p == '{');
                ps->depth--;
                return j;
        }
        j = calloc(1, sizeof(*j));
        if (!j)
                return NULL;
        if (*ps->p == '"') {
                j->type = JSON_STRING;
                j->string = parse_string(ps);
                if (!j->string)
                        goto fail;
        } else if (strncmp(ps->p, "true", 4) == 0 || strncmp(ps->p, "false", 5) == 0) {
                j->type = JSON_BOOL;
                j->boolean = *ps->p == 't';
                ps->p += j->boolean ? 4 : 5;
        } else if (strncmp(ps->p, "null", 4) == 0) {
                j->type = JSON_NULL;
                ps->p += 4;
        } else if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
                char *end;
                j->type = JSON_NUMBER;
                j->number = strtod(ps->p, &end);
                if (end == ps->p)
                        goto fail;
                ps->p = end;
        } else
                goto fail;
        ps->depth--;
        return j;
fail:
        json_free(j);
        return NULL;
}

struct json *json_parse(const char *text) {
        struct parser ps = { .p = text };
        if (!utf8_well_formed((const unsigned char *) text, strlen(text)))
                return NULL;
        struct json *j = parse_value(&ps);
        if (!j)
                return NULL;
        ws(&ps);
        if (*ps.p) {
                json_free(j);
                return NULL;
        }
        return j;
}

void json_free(struct json *j) {
        if (!j)
                return;
        for (size_t i = 0; i < j->n; i++) {
                json_free(j->items[i]);
                if (j->keys)
                        free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
        free(j->string);
        free(j);
}

const struct json *json_member(const struct json *j, const char *key) {
        if (!j || j->type != JSON_OBJECT)
                return NULL;
        for (size_t i = 0; i < j->n; i++)
                if (strcmp(j->keys[i], key) == 0)
                        return j->items[i];
        return NULL;
}

const struct json *json_get(const struct json *j, const char *path) {
        char name[256];
        const char *p = path;

        while (j && p && *p) {
                if (*p == '[') {
                        char *end;
                        unsigned long idx = strtoul(p + 1, &end, 10);
                        if (*end != ']' || j->type != JSON_ARRAY || idx >= j->n)
                                return NULL;
                        j = j->items[idx];
                        p = end + 1;
                } else {
                        size_t n = strcspn(p, ".[");
                        if (n >= sizeof(name))
                                return NULL;
                        memcpy(name, p, n);
                        name[n] = '\0';
                        j = json_member(j, name);
                        p += n;
                }
                if (*p == '.')
                        p++;
        }
        return j;
}

const char *json_get_string(const struct json *j, const char *path) {
        j = json_get(j, path);
        return j && j->type == JSON_STRING ? j->string : NULL;
}

bool json_get_number(const struct json *j, const char *path, double *ret) {
        j = json_get(j, path);
        if (!j || j->type != JSON_NUMBER)
                return false;
        *ret = j->number;
        return true;
}

bool json_is_null(const struct json *j, const char *path) {
        j = json_get(j, path);
        return j && j->type == JSON_NULL;
}

char *read_file_text(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        size_t cap = 4096, n = 0;
        char *buf;

        if (fd < 0)
                return NULL;
        buf = malloc(cap);
        for (;;) {
                if (!buf)
                        break;
                if (n + 1 >= cap) {
                        char *t = realloc(buf, cap *= 2);
                        if (!t) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = t;
                }
                ssize_t r = read(fd, buf + n, cap - n - 1);
                if (r < 0) {
                        free(buf);
                        buf = NULL;
                        break;
                }
                if (r == 0) {
                        buf[n] = '\0';
                        break;
                }
                n += (size_t) r;
        }
        close(fd);
        return buf;
}
