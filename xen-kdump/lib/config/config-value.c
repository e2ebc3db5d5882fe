/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The syntax of one configuration value.  Everything here is strict on
 * purpose: the values end up on a kernel command line, in a shell script and
 * in ssh's known_hosts inside the capture initramfs, where a surprise is only
 * discovered after the next crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"

#define XKD_TEXT_MAX 1024

static int why_set(char *why, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static bool is_blank(char ch) {
        return ch == ' ' || ch == '\t';
}

/* Quote a fragment for a message, cut short so one bad line stays one line. */
static const char *excerpt(const char *s, size_t len, char *buf, size_t size) {
        size_t n = 0;

        for (size_t i = 0; i < len && n + 4 < size; i++) {
                unsigned char ch = (unsigned char) s[i];
                buf[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char) ch;
        }
        if (n + 4 >= size && len > n) {
                buf[n++] = '.'; buf[n++] = '.'; buf[n++] = '.';
        }
        buf[n] = '\0';
        return buf;
}

/* Split off the first blank-separated word; *rest points past it and its blanks. */
static size_t first_word(const char *s, const char **rest) {
        size_t n = strcspn(s, " \t");
        const char *r = s + n;

        while (is_blank(*r))
                r++;
        *rest = r;
        return n;
}

static int check_printable(const char *s, char *why, size_t why_size) {
        for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char) *p;
                if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                        return why_set(why, why_size, "control character 0x%02x", ch);
        }
        return 0;
}

static int check_single_word(const char *value, char *why, size_t why_size) {
        const char *rest;
        char ex[48];

        first_word(value, &rest);
        if (*rest)
                return why_set(why, why_size, "unexpected '%s' after the value",
                               excerpt(rest, strlen(rest), ex, sizeof(ex)));
        return 0;
}

static int check_abs_path(const char *p, size_t len, char *why, size_t why_size) {
        char ex[48];

        if (len == 0 || p[0] != '/')
                return why_set(why, why_size, "'%s' is not an absolute path",
                               excerpt(p, len, ex, sizeof(ex)));
        if (len >= 4096)
                return why_set(why, why_size, "path longer than 4095 bytes");
        for (size_t i = 0; i < len; i++) {
                if ((unsigned char) p[i] <= 0x20 || p[i] == 0x7f)
                        return why_set(why, why_size, "'%s' contains a blank or control character",
                                       excerpt(p, len, ex, sizeof(ex)));
                /* Paths are quoted into remote shell commands and sh files. */
                if (strchr("'\"\\`$", p[i]))
                        return why_set(why, why_size, "'%s' contains a quote, backslash or '$'",
                                       excerpt(p, len, ex, sizeof(ex)));
        }
        return 0;
}

/* %r → release, %% → %; anything else after % is refused rather than guessed. */
static int expand_release(const char *in, const char *release, char **ret, char *why,
                          size_t why_size) {
        size_t rlen = strlen(release), n = 0, cap = strlen(in) + 1;
        for (const char *p = in; *p; p++)
                if (p[0] == '%' && p[1] == 'r')
                        cap += rlen;
        char *out = malloc(cap);
        if (!out)
                return -ENOMEM;
        for (const char *p = in; *p; p++) {
                if (*p != '%') {
                        out[n++] = *p;
                        continue;
                }
                if (p[1] == 'r') {
                        memcpy(out + n, release, rlen);
                        n += rlen;
                } else if (p[1] == '%') {
                        out[n++] = '%';
                } else {
                        free(out);
                        return why_set(why, why_size, "unknown escape '%%%c' (only %%r and %%%%)",
                                       p[1] ? p[1] : ' ');
                }
                p++;
        }
        out[n] = '\0';
        *ret = out;
        return 0;
}

static int parse_number(const struct xkd_key_info *k, const char *value, uint64_t *ret,
                        char *why, size_t why_size) {
        uint64_t n = 0;
        size_t len = strcspn(value, " \t");
        char ex[48];

        if (k->number_word && len == strlen(k->number_word) && memcmp(value, k->number_word, len) == 0) {
                *ret = 0;
                return 0;
        }
        if (len == 0 || len > 19)
                return why_set(why, why_size, "'%s' is not a number",
                               excerpt(value, len, ex, sizeof(ex)));
        for (size_t i = 0; i < len; i++) {
                if (value[i] < '0' || value[i] > '9')
                        return why_set(why, why_size, "'%s' is not a decimal number",
                                       excerpt(value, len, ex, sizeof(ex)));
                n = n * 10 + (uint64_t) (value[i] - '0');
        }
        if (len > 1 && value[0] == '0')
                return why_set(why, why_size, "'%s' has a leading zero (octal is not supported)",
                               excerpt(value, len, ex, sizeof(ex)));
        if (n < k->min || n > k->max)
                return why_set(why, why_size, "%" PRIu64 " is out of range", n);
        *ret = n;
        return 0;
}

static int parse_choice(const struct xkd_key_info *k, const char *value, int *ret,
                        char *why, size_t why_size) {
        size_t len = strcspn(value, " \t");
        char ex[48];

        for (int i = 0; k->choices[i]; i++)
                if (strlen(k->choices[i]) == len && strncmp(k->choices[i], value, len) == 0) {
                        *ret = i;
                        return 0;
                }
        return why_set(why, why_size, "'%s' is not a known value",
                       excerpt(value, len, ex, sizeof(ex)));
}

static bool valid_user(const char *s, size_t len) {
        if (len == 0 || len > 32 || s[0] == '-')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
                        return false;
        return true;
}

/* A DNS name, an IPv4 address, or an IPv6 address in brackets. */
static bool valid_host(const char *s, size_t len) {
        if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
                return false;
        if (s[0] == '[') {
                if (len < 4 || s[len - 1] != ']')
                        return false;
                for (size_t i = 1; i + 1 < len; i++)
                        if (!strchr("0123456789abcdefABCDEF:.", s[i]))
                                return false;
                return true;
        }
        for (size_t i = 0; i < len; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", s[i]))
                        return false;
        return true;
}

/* "HOST:DIR"; the host ends at the first ':' outside brackets. */
static int split_host_dir(const char *loc, size_t len, size_t *host_len, char *why,
                          size_t why_size) {
        size_t i = 0;
        char ex[64];

        if (len > 0 && loc[0] == '[')
                while (i < len && loc[i] != ']')
                        i++;
        while (i < len && loc[i] != ':')
                i++;
        if (i >= len)
                return why_set(why, why_size, "'%s' has no ':' between host and directory",
                               excerpt(loc, len, ex, sizeof(ex)));
        if (!valid_host(loc, i))
                return why_set(why, why_size, "'%s' is not a host name or address",
                               excerpt(loc, i, ex, sizeof(ex)));
        *host_len = i;
        return 0;
}

static int parse_target(const char *value, struct xkd_value *out, char *why, size_t why_size) {
        static const char *const kinds[] = { "path", "ssh", "nfs", NULL };
        const char *loc, *rest;
        size_t klen = first_word(value, &loc), llen, user_len = 0, host_len = 0;
        const char *host, *dir;
        char ex[48];
        int kind = -1, r;

        for (int i = 0; kinds[i]; i++)
                if (strlen(kinds[i]) == klen && strncmp(kinds[i], value, klen) == 0)
                        kind = i;
        if (kind < 0)
                return why_set(why, why_size, "'%s' is not a target kind",
                               excerpt(value, klen, ex, sizeof(ex)));
        llen = first_word(loc, &rest);
        if (llen == 0)
                return why_set(why, why_size, "'%s' needs a location", kinds[kind]);
        if (*rest)
                return why_set(why, why_size, "unexpected '%s' after the location",
                               excerpt(rest, strlen(rest), ex, sizeof(ex)));

        host = loc;
        if (kind == XKD_TARGET_SSH) {
                const char *at = memchr(loc, '@', llen);
                if (!at)
                        return why_set(why, why_size, "'%s' has no 'user@' before the host",
                                       excerpt(loc, llen, ex, sizeof(ex)));
                user_len = (size_t) (at - loc);
                if (!valid_user(loc, user_len))
                        return why_set(why, why_size, "'%s' is not a user name",
                                       excerpt(loc, user_len, ex, sizeof(ex)));
                host = at + 1;
        }
        if (kind != XKD_TARGET_PATH) {
                r = split_host_dir(host, llen - (size_t) (host - loc), &host_len, why, why_size);
                if (r < 0)
                        return r;
                dir = host + host_len + 1;
        } else
                dir = loc;
        r = check_abs_path(dir, llen - (size_t) (dir - loc), why, why_size);
        if (r < 0)
                return r;

        /* One buffer "user\0host\0dir\0" so the target owns its strings. */
        size_t dir_len = llen - (size_t) (dir - loc);
        char *buf = malloc(user_len + host_len + dir_len + 3);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, loc, user_len);
        buf[user_len] = '\0';
        memcpy(buf + user_len + 1, host, host_len);
        buf[user_len + 1 + host_len] = '\0';
        memcpy(buf + user_len + host_len + 2, dir, dir_len);
        buf[user_len + host_len + 2 + dir_len] = '\0';
        out->target_buf = buf;
        out->target = (struct xkd_target) {
                .kind = (enum xkd_target_kind) kind,
                .user = kind == XKD_TARGET_SSH ? buf : NULL,
                .host = kind != XKD_TARGET_PATH ? buf + user_len + 1 : NULL,
                .dir = buf + user_len + host_len + 2,
        };
        return 0;
}

static int base64_value(char ch) {
        static const char alphabet[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = ch ? strchr(alphabet, ch) : NULL;
        return p ? (int) (p - alphabet) : -1;
}

/*
 * "TYPE BASE64".  The key blob starts with its own type name (RFC 4253
 * string), so a key pasted under the wrong type is caught here.
 */
static int parse_host_key(const char *value, char *why, size_t why_size) {
        static const char *const types[] = {
                "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
                "sk-ecdsa-sha2-nistp256@openssh.com", NULL };
        const char *b64, *rest;
        size_t tlen = first_word(value, &b64), blen = first_word(b64, &rest);
        unsigned char head[64];
        size_t head_len = 0;
        uint32_t acc = 0;
        int bits = 0, type = -1;
        char ex[48];

        for (int i = 0; types[i]; i++)
                if (strlen(types[i]) == tlen && strncmp(types[i], value, tlen) == 0)
                        type = i;
        if (type < 0)
                return why_set(why, why_size, "'%s' is not an ssh host key type",
                               excerpt(value, tlen, ex, sizeof(ex)));
        if (blen == 0)
                return why_set(why, why_size, "the key after '%s' is missing", types[type]);
        if (*rest)
                return why_set(why, why_size, "unexpected '%s' after the key (no comment allowed)",
                               excerpt(rest, strlen(rest), ex, sizeof(ex)));
        if (blen % 4 != 0 || blen < 24)
                return why_set(why, why_size, "the key is not base64 (length %zu)", blen);
        size_t data_len = blen;
        while (data_len + 2 > blen && b64[data_len - 1] == '=')
                data_len--;
        for (size_t i = 0; i < data_len; i++) {
                int v = base64_value(b64[i]);
                if (v < 0)
                        return why_set(why, why_size, "the key is not base64 (character '%c')",
                                       (unsigned char) b64[i] >= 0x20 ? b64[i] : '?');
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (head_len < sizeof(head))
                                head[head_len++] = (unsigned char) (acc >> bits);
                }
        }
        if (head_len < 4 + tlen ||
            ((uint32_t) head[0] << 24 | (uint32_t) head[1] << 16 | (uint32_t) head[2] << 8 |
             head[3]) != tlen || memcmp(head + 4, value, tlen) != 0)
                return why_set(why, why_size, "the key is not a '%s' key", types[type]);
        return 0;
}

/* UUID=... as blkid prints it: hex digits and dashes (ext4, xfs, btrfs: 36;
 * vfat: XXXX-XXXX).  It goes on the capture's command line and into a shell
 * file: nothing else is allowed. */
static int parse_fs_spec(const char *value, char *why, size_t why_size) {
        char ex[48];

        if (!value[0])
                return 0;
        if (strncmp(value, "UUID=", 5) != 0)
                return why_set(why, why_size, "'%s' is not UUID=...: name the filesystem by its UUID "
                               "(blkid -s UUID -o value DEVICE)", excerpt(value, strlen(value), ex, sizeof(ex)));
        const char *u = value + 5;
        size_t n = strlen(u);
        if (n < 8 || n > 64 || strspn(u, "0123456789abcdefABCDEF-") != n)
                return why_set(why, why_size, "'%s' is not a filesystem UUID (hex digits and dashes, "
                               "8-64 of them)", excerpt(u, n, ex, sizeof(ex)));
        return 0;
}

void xkd_value_clear(struct xkd_value *v) {
        free(v->raw);
        free(v->text);
        free(v->target_buf);
        *v = (struct xkd_value) { 0 };
}

int xkd_value_parse(const struct xkd_key_info *k, const char *release, const char *value,
                    struct xkd_value *out, char *why, size_t why_size) {
        struct xkd_value v = { 0 };
        int r;

        r = check_printable(value, why, why_size);
        if (r < 0)
                return r;

        switch (k->type) {
        case XKD_VALUE_PATH:
                r = check_single_word(value, why, why_size);
                if (r >= 0)
                        r = check_abs_path(value, strlen(value), why, why_size);
                break;
        case XKD_VALUE_TEXT:
                r = strlen(value) > XKD_TEXT_MAX ?
                        why_set(why, why_size, "longer than %d bytes", XKD_TEXT_MAX) : 0;
                break;
        case XKD_VALUE_NUMBER:
                r = parse_number(k, value, &v.number, why, why_size);
                if (r >= 0)
                        r = check_single_word(value, why, why_size);
                break;
        case XKD_VALUE_CHOICE:
                r = parse_choice(k, value, &v.choice, why, why_size);
                if (r >= 0)
                        r = check_single_word(value, why, why_size);
                break;
        case XKD_VALUE_TARGET:
                r = parse_target(value, &v, why, why_size);
                break;
        case XKD_VALUE_HOST_KEY:
                r = parse_host_key(value, why, why_size);
                break;
        case XKD_VALUE_FS_SPEC:
                r = parse_fs_spec(value, why, why_size);
                break;
        }
        if (r < 0)
                goto fail;

        v.raw = strdup(value);
        if (!v.raw) {
                r = -ENOMEM;
                goto fail;
        }
        if (k->expand_release)
                r = expand_release(value, release, &v.text, why, why_size);
        else if (k->type == XKD_VALUE_TARGET || k->type == XKD_VALUE_HOST_KEY) {
                /* Normalize the blanks between the two words to one space. */
                const char *second;
                size_t n = first_word(value, &second);
                r = asprintf(&v.text, "%.*s %s", (int) n, value, second) < 0 ? -ENOMEM : 0;
                if (r < 0)
                        v.text = NULL;
        } else
                r = (v.text = strdup(value)) ? 0 : -ENOMEM;
        if (r < 0)
                goto fail;

        xkd_value_clear(out);
        *out = v;
        return 0;
fail:
        xkd_value_clear(&v);
        return r;
}
