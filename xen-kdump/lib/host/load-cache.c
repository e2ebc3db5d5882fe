/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load cache file: one entry per line, newest first.
 *   K DEV INO SIZE MTIME_NS CTIME_NS SAMPLE SHA256 STATIC RESIDENT
 *   I SHA256 PACKED ENTRIES ARCHIVES DATA_BYTES FOOTPRINT COMPRESSION
 * (digests in lower-case hex, numbers in decimal).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load-cache.h"
#include "log.h"
#include "state.h"

#define LINE_MAX_LEN 512
#define KEY_MAX_LEN 256        /* a key is at most ~190 characters */

int64_t xkd_file_id_settle_ns = XKD_FILE_ID_SETTLE_NS;

static int64_t ns_of(const struct timespec *t) {
        return (int64_t) t->tv_sec * 1000000000LL + t->tv_nsec;
}

static bool same_stat(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               ns_of(&a->st_mtim) == ns_of(&b->st_mtim) && ns_of(&a->st_ctim) == ns_of(&b->st_ctim);
}

bool xkd_file_id_make(const struct stat *before, const struct stat *after,
                      const struct timespec *read_start, const void *data, size_t size,
                      struct xkd_file_id *ret) {
        struct xkd_sha256_ctx ctx;
        const uint8_t *p = data;
        int64_t start = ns_of(read_start);

        memset(ret, 0, sizeof(*ret));
        ret->dev = (uint64_t) before->st_dev;
        ret->ino = (uint64_t) before->st_ino;
        ret->size = (uint64_t) before->st_size;
        ret->mtime_ns = ns_of(&before->st_mtim);
        ret->ctime_ns = ns_of(&before->st_ctim);
        xkd_sha256_init(&ctx);
        if (size <= 2 * XKD_FILE_ID_SAMPLE)
                xkd_sha256_update(&ctx, p, size);
        else {
                xkd_sha256_update(&ctx, p, XKD_FILE_ID_SAMPLE);
                xkd_sha256_update(&ctx, p + size - XKD_FILE_ID_SAMPLE, XKD_FILE_ID_SAMPLE);
        }
        xkd_sha256_final(&ctx, ret->sample);

        return same_stat(before, after) && ret->size == (uint64_t) size &&
               ret->mtime_ns <= start - xkd_file_id_settle_ns &&
               ret->ctime_ns <= start - xkd_file_id_settle_ns;
}

bool xkd_file_id_matches(const struct xkd_file_id *id, const struct stat *st) {
        return id->dev == (uint64_t) st->st_dev && id->ino == (uint64_t) st->st_ino &&
               id->size == (uint64_t) st->st_size && id->mtime_ns == ns_of(&st->st_mtim) &&
               id->ctime_ns == ns_of(&st->st_ctim);
}

static int parse_hex(const char *s, uint8_t out[XKD_SHA256_DIGEST_SIZE]) {
        if (strlen(s) != 2 * XKD_SHA256_DIGEST_SIZE)
                return -EINVAL;
        for (unsigned i = 0; i < XKD_SHA256_DIGEST_SIZE; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
                    !strchr("0123456789abcdef", s[2 * i + 1]))
                        return -EINVAL;
                out[i] = (uint8_t) v;
        }
        return 0;
}

static void cache_path(char *buf, size_t size) {
        snprintf(buf, size, "%s/" XKD_LOAD_CACHE_FILE, xkd_state_dir());
}

/* The cache's lines (each NUL-terminated, without '\n'), or none. */
static int read_lines(char lines[][LINE_MAX_LEN], unsigned max, unsigned *n) {
        char path[4096], line[LINE_MAX_LEN + 2];
        FILE *f;

        *n = 0;
        cache_path(path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (*n < max && fgets(line, sizeof(line), f)) {
                size_t len = strcspn(line, "\n");
                if (line[len] != '\n')
                        break;          /* over-long or torn last line: ignore the rest */
                if (len >= LINE_MAX_LEN)
                        continue;
                memcpy(lines[*n], line, len);
                lines[(*n)++][len] = '\0';
        }
        fclose(f);
        return 0;
}

static void format_kernel_key(const struct xkd_file_id *id, char *buf, size_t size) {
        char sample[XKD_SHA256_HEX_SIZE];

        xkd_sha256_to_hex(id->sample, sample);
        snprintf(buf, size, "K %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %s ",
                 id->dev, id->ino, id->size, id->mtime_ns, id->ctime_ns, sample);
}

static void format_initrd_key(const uint8_t sha256[XKD_SHA256_DIGEST_SIZE], char *buf, size_t size) {
        char hex[XKD_SHA256_HEX_SIZE];

        xkd_sha256_to_hex(sha256, hex);
        snprintf(buf, size, "I %s ", hex);
}

/* The value part of the line starting with key, or NULL. */
static const char *find(char lines[][LINE_MAX_LEN], unsigned n, const char *key) {
        size_t len = strlen(key);

        for (unsigned i = 0; i < n; i++)
                if (strncmp(lines[i], key, len) == 0)
                        return lines[i] + len;
        return NULL;
}

int xkd_load_cache_get_kernel(const struct xkd_file_id *id, struct xkd_kernel_cached *ret) {
        static char lines[XKD_LOAD_CACHE_MAX_ENTRIES][LINE_MAX_LEN];
        char key[KEY_MAX_LEN], sha[XKD_SHA256_HEX_SIZE + 1];
        const char *v;
        unsigned n;
        int end = -1;

        if (read_lines(lines, XKD_LOAD_CACHE_MAX_ENTRIES, &n) < 0)
                return -ENOENT;
        format_kernel_key(id, key, sizeof(key));
        v = find(lines, n, key);
        if (!v || sscanf(v, "%65s %" SCNu64 " %" SCNu64 "%n", sha, &ret->static_size,
                         &ret->resident_size, &end) != 3 || v[end] != '\0' ||
            parse_hex(sha, ret->sha256) < 0)
                return -ENOENT;
        return 0;
}

int xkd_load_cache_get_initrd(const uint8_t sha256[XKD_SHA256_DIGEST_SIZE], struct xkd_initrd_size *ret) {
        static char lines[XKD_LOAD_CACHE_MAX_ENTRIES][LINE_MAX_LEN];
        char key[KEY_MAX_LEN];
        struct xkd_initrd_size s = {};
        unsigned n, compression;
        const char *v;
        int end = -1;

        if (read_lines(lines, XKD_LOAD_CACHE_MAX_ENTRIES, &n) < 0)
                return -ENOENT;
        format_initrd_key(sha256, key, sizeof(key));
        v = find(lines, n, key);
        if (!v || sscanf(v, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %u%n",
                         &s.packed, &s.unpacked.entries, &s.unpacked.archives, &s.unpacked.data_bytes,
                         &s.unpacked.footprint, &compression, &end) != 6 || v[end] != '\0' ||
            compression >= XKD_COMP_UNKNOWN)
                return -ENOENT;
        s.compression = (enum xkd_compression_kind) compression;
        *ret = s;
        return 0;
}

/* Write line first, then the old lines but the one with the same key; atomically. */
static int put(const char *key, const char *line) {
        static char lines[XKD_LOAD_CACHE_MAX_ENTRIES][LINE_MAX_LEN];
        char path[4096], tmp[4096 + 8];
        unsigned n = 0, kept = 1;
        FILE *f;
        int fd, r;

        r = xkd_state_dir_make();
        if (r < 0)
                return r;
        (void) read_lines(lines, XKD_LOAD_CACHE_MAX_ENTRIES, &n);
        cache_path(path, sizeof(path));
        snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
        fd = mkostemp(tmp, O_CLOEXEC);  /* 0600 */
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        fprintf(f, "%s\n", line);
        for (unsigned i = 0; i < n && kept < XKD_LOAD_CACHE_MAX_ENTRIES; i++)
                if (strncmp(lines[i], key, strlen(key)) != 0) {
                        fprintf(f, "%s\n", lines[i]);
                        kept++;
                }
        /* No fsync: a cache lost in a power cut is only a slower next load. */
        r = fclose(f) != 0 ? -EIO : 0;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int xkd_load_cache_put_kernel(const struct xkd_file_id *id, const struct xkd_kernel_cached *v) {
        char key[KEY_MAX_LEN], line[LINE_MAX_LEN], sha[XKD_SHA256_HEX_SIZE];

        format_kernel_key(id, key, sizeof(key));
        xkd_sha256_to_hex(v->sha256, sha);
        snprintf(line, sizeof(line), "%s%s %" PRIu64 " %" PRIu64, key, sha, v->static_size, v->resident_size);
        return put(key, line);
}

int xkd_load_cache_put_initrd(const uint8_t sha256[XKD_SHA256_DIGEST_SIZE], const struct xkd_initrd_size *v) {
        char key[KEY_MAX_LEN], line[LINE_MAX_LEN];

        format_initrd_key(sha256, key, sizeof(key));
        snprintf(line, sizeof(line), "%s%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u", key,
                 v->packed, v->unpacked.entries, v->unpacked.archives, v->unpacked.data_bytes,
                 v->unpacked.footprint, (unsigned) v->compression);
        return put(key, line);
}
