/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "propagate.h"
#include "sha256.h"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t word_len(const char *s) {
        return strcspn(s, " \t\n");
}

static const char *skip_blanks(const char *s) {
        return s + strspn(s, " \t");
}

int xkd_ssh_fingerprint(const char *key, char *out, size_t size) {
        const char *b64 = skip_blanks(key + word_len(key));
        size_t len = word_len(b64), n = 0, o;
        uint8_t digest[XKD_SHA256_DIGEST_SIZE];
        uint32_t acc = 0;
        int bits = 0;

        if (len == 0 || len % 4 != 0)
                return -EINVAL;
        uint8_t *blob = malloc(len);
        if (!blob)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                const char *p;
                if (b64[i] == '=' && i + 2 >= len)
                        break;
                p = b64[i] ? strchr(b64_alphabet, b64[i]) : NULL;
                if (!p) {
                        free(blob);
                        return -EINVAL;
                }
                acc = (acc << 6) | (uint32_t) (p - b64_alphabet);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        blob[n++] = (uint8_t) (acc >> bits);
                }
        }
        xkd_sha256(blob, n, digest);
        free(blob);
        /* 32 bytes: 43 base64 characters, no padding, as ssh-keygen -l prints. */
        if (size < 7 + 44)
                return -ENOBUFS;
        o = (size_t) snprintf(out, size, "SHA256:");
        acc = 0;
        bits = 0;
        for (size_t i = 0; i < sizeof(digest); i++) {
                acc = (acc << 8) | digest[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        out[o++] = b64_alphabet[(acc >> bits) & 63];
                }
        }
        if (bits > 0)
                out[o++] = b64_alphabet[(acc << (6 - bits)) & 63];
        out[o] = '\0';
        return 0;
}

int xkd_known_hosts_name(const char *host, unsigned port, char *out, size_t size) {
        size_t len = strlen(host);
        int n;

        if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
                host++;
                len -= 2;
        }
        if (len == 0 || port == 0 || port > 65535)
                return -EINVAL;
        n = port == 22 ? snprintf(out, size, "%.*s", (int) len, host)
                       : snprintf(out, size, "[%.*s]:%u", (int) len, host, port);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

int xkd_keyscan_pick(const char *scan, char *out, size_t size) {
        static const char *const prefer[] = { "ssh-ed25519", "ecdsa-sha2-", "ssh-rsa", NULL };

        for (size_t k = 0; prefer[k]; k++)
                for (const char *line = scan; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                        const char *type, *b64;
                        size_t tlen, blen;

                        if (*line == '#' || *line == '\n')
                                continue;
                        type = skip_blanks(line + word_len(line));
                        tlen = word_len(type);
                        b64 = skip_blanks(type + tlen);
                        blen = word_len(b64);
                        if (tlen == 0 || blen == 0 || strncmp(type, prefer[k], strlen(prefer[k])) != 0)
                                continue;
                        if (tlen + 1 + blen + 1 > size)
                                return -ENOBUFS;
                        snprintf(out, size, "%.*s %.*s", (int) tlen, type, (int) blen, b64);
                        return 0;
                }
        return -ENOENT;
}

int xkd_known_hosts_update(const char *old_text, const char *name, const char *key, bool replace, char **ret) {
        size_t nlen = strlen(name);
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        for (const char *line = old_text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) : strlen(line);
                bool same_name = word_len(line) == nlen && strncmp(line, name, nlen) == 0;

                if (same_name) {
                        const char *k = skip_blanks(line + nlen);
                        size_t klen = len - (size_t) (k - line);
                        if (klen == strlen(key) && strncmp(k, key, klen) == 0) {
                                /* Pinned already, to the same key: keep the line where it is. */
                                fprintf(f, "%.*s\n", (int) len, line);
                                key = NULL;
                        } else if (!replace) {
                                fclose(f);
                                free(buf);
                                return -EEXIST;
                        }
                } else if (len > 0)
                        fprintf(f, "%.*s\n", (int) len, line);
                line = end ? end + 1 : NULL;
        }
        if (key)
                fprintf(f, "%s %s\n", name, key);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

int xkd_ssh_argv(const struct xkd_ssh_dest *d, const char *command, char *buf, size_t buf_size,
                 const char **argv, size_t max, size_t *n) {
        char *p = buf, *end = buf + buf_size;
        size_t i = 0;

/* Each option's text lives in buf: argv points into it. */
#define ADD(s) do { if (i >= max) return -E2BIG; argv[i++] = (s); } while (0)
#define ADDF(...) do {                                                          \
                int w_ = snprintf(p, (size_t) (end - p), __VA_ARGS__);          \
                if (w_ < 0 || w_ >= end - p)                                    \
                        return -ENOBUFS;                                        \
                ADD(p);                                                         \
                p += w_ + 1;                                                    \
        } while (0)

        if (!d->user || !d->host || !d->known_hosts)
                return -EINVAL;
        ADD("ssh");
        ADD("-F");
        ADD("/dev/null");
        ADD("-p");
        ADDF("%u", d->port);
        if (d->identity) {
                ADD("-i");
                ADD(d->identity);
                ADD("-o");
                ADD("IdentitiesOnly=yes");
        }
        ADD("-o");
        ADD(d->batch ? "BatchMode=yes" : "BatchMode=no");
        ADD("-o");
        ADD("StrictHostKeyChecking=yes");
        ADD("-o");
        ADDF("UserKnownHostsFile=%s", d->known_hosts);
        ADD("-o");
        ADD("GlobalKnownHostsFile=/dev/null");
        ADD("-o");
        ADDF("ConnectTimeout=%u", d->timeout ? d->timeout : 30);
        ADDF("%s@%s", d->user, d->host[0] == '[' ? d->host + 1 : d->host);
        /* "[fd00::1]" becomes "fd00::1": ssh wants the bare address after '@'. */
        if (d->host[0] == '[') {
                char *close = strrchr(argv[i - 1], ']');
                if (close)
                        *close = '\0';
        }
        ADD("--");
        ADD(command);
        if (i >= max)
                return -E2BIG;
        argv[i] = NULL;
        *n = i;
        return 0;
#undef ADD
#undef ADDF
}

int xkd_authorized_keys_command(const char *pubkey, char **ret) {
        size_t len = strcspn(pubkey, "\n");
        char *cmd = NULL;

        /* One printable line; a trailing newline is fine. */
        if (len == 0 || (pubkey[len] && (pubkey[len] != '\n' || pubkey[len + 1])))
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) pubkey[i] < 0x20 || (unsigned char) pubkey[i] > 0x7e || pubkey[i] == '\'')
                        return -EINVAL;
        if (asprintf(&cmd, "umask 077 && mkdir -p .ssh && touch .ssh/authorized_keys && "
                           "{ grep -qxF '%.*s' .ssh/authorized_keys || printf '%%s\\n' '%.*s' >> .ssh/authorized_keys; }",
                     (int) len, pubkey, (int) len, pubkey) < 0)
                return -ENOMEM;
        *ret = cmd;
        return 0;
}
