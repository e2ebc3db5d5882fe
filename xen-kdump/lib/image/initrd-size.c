/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initrd-size.h"
#include "log.h"

enum { S_BETWEEN, S_HEADER, S_NAME, S_NAME_PAD, S_DATA, S_DATA_PAD };

#define CPIO_HEADER_SIZE 110
#define CPIO_NAME_MAX    4096
#define TMPFS_PAGE       4096ULL

void xkd_cpio_counter_init(struct xkd_cpio_counter *c) {
        memset(c, 0, sizeof(*c));
        c->state = S_BETWEEN;
}

static int hex_field(const char *header, unsigned index, uint32_t *ret) {
        uint32_t v = 0;

        for (unsigned i = 0; i < 8; i++) {
                char ch = header[6 + index * 8 + i];
                int d;
                if (ch >= '0' && ch <= '9')
                        d = ch - '0';
                else if (ch >= 'a' && ch <= 'f')
                        d = ch - 'a' + 10;
                else if (ch >= 'A' && ch <= 'F')
                        d = ch - 'A' + 10;
                else
                        return -EBADMSG;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return 0;
}

static int header_done(struct xkd_cpio_counter *c) {
        uint32_t namesize, filesize;

        if (memcmp(c->header, "070701", 6) != 0 && memcmp(c->header, "070702", 6) != 0)
                return -EBADMSG;
        if (hex_field(c->header, 1, &c->mode) < 0 || hex_field(c->header, 6, &filesize) < 0 ||
            hex_field(c->header, 11, &namesize) < 0)
                return -EBADMSG;
        if (namesize == 0 || namesize > CPIO_NAME_MAX)
                return -EBADMSG;
        c->name_left = namesize;
        c->name_have = 0;
        c->data_left = filesize;
        c->state = S_NAME;
        return 0;
}

static void entry_done(struct xkd_cpio_counter *c, uint64_t filesize) {
        if (c->name_have == sizeof(c->name) && memcmp(c->name, "TRAILER!!!", 11) == 0) {
                c->stats.archives++;
                return;
        }
        c->stats.entries++;
        c->stats.data_bytes += filesize;
        /* Symlinks keep their target in a page too; directories and nodes only an inode. */
        if (filesize > 0)
                c->stats.footprint += (filesize + TMPFS_PAGE - 1) / TMPFS_PAGE * TMPFS_PAGE;
        c->stats.footprint += XKD_TMPFS_INODE_COST;
}

int64_t xkd_cpio_counter_feed(struct xkd_cpio_counter *c, const void *buf, size_t len) {
        const uint8_t *p = buf;
        size_t i = 0;
        int r;

        while (i < len) {
                switch (c->state) {
                case S_BETWEEN:
                        if (p[i] == 0) {
                                i++;
                                c->offset++;
                                break;
                        }
                        if (p[i] != '0')
                                return (int64_t) i;     /* something else starts here */
                        c->have = 0;
                        c->state = S_HEADER;
                        break;
                case S_HEADER: {
                        size_t n = CPIO_HEADER_SIZE - c->have;
                        if (n > len - i)
                                n = len - i;
                        memcpy(c->header + c->have, p + i, n);
                        c->have += n;
                        i += n;
                        c->offset += n;
                        if (c->have == CPIO_HEADER_SIZE) {
                                r = header_done(c);
                                if (r < 0)
                                        return r;
                        }
                        break;
                }
                case S_NAME: {
                        uint64_t n = c->name_left < len - i ? c->name_left : len - i;
                        for (uint64_t k = 0; k < n && c->name_have < sizeof(c->name); k++)
                                c->name[c->name_have++] = (char) p[i + k];
                        c->name_left -= n;
                        i += n;
                        c->offset += n;
                        if (c->name_left == 0)
                                c->state = S_NAME_PAD;
                        break;
                }
                case S_NAME_PAD:
                case S_DATA_PAD:
                        if (c->offset % 4 != 0) {
                                i++;
                                c->offset++;
                                break;
                        }
                        if (c->state == S_NAME_PAD) {
                                c->skip = c->data_left;
                                c->state = S_DATA;
                        } else
                                c->state = S_BETWEEN;
                        break;
                case S_DATA: {
                        uint64_t n = c->skip < len - i ? c->skip : len - i;
                        c->skip -= n;
                        i += n;
                        c->offset += n;
                        if (c->skip == 0) {
                                entry_done(c, c->data_left);
                                c->state = S_DATA_PAD;
                        }
                        break;
                }
                }
        }
        /* Padding and an empty file end without needing another byte. */
        if (c->state == S_DATA && c->skip == 0) {
                entry_done(c, c->data_left);
                c->state = S_DATA_PAD;
        }
        if ((c->state == S_NAME_PAD || c->state == S_DATA_PAD) && c->offset % 4 == 0) {
                if (c->state == S_NAME_PAD && c->data_left == 0) {
                        entry_done(c, 0);
                        c->state = S_BETWEEN;
                } else if (c->state == S_DATA_PAD)
                        c->state = S_BETWEEN;
        }
        return (int64_t) len;
}

bool xkd_cpio_counter_complete(const struct xkd_cpio_counter *c) {
        return c->state == S_BETWEEN && c->stats.archives > 0;
}

/* A refusal, logged unless quiet (the loader's own check must not add lines). */
#define FAIL(r, ...) (quiet ? (r) : log_error_errno((r), __VA_ARGS__))

struct count_ctx {
        struct xkd_cpio_counter *counter;
        const char *path;
        enum xkd_compression_kind kind;
        bool quiet;
};

static int count_sink(const void *buf, size_t len, void *userdata) {
        struct count_ctx *ctx = userdata;
        int64_t used = xkd_cpio_counter_feed(ctx->counter, buf, len);

        bool quiet = ctx->quiet;

        if (used < 0 || (size_t) used < len)
                return FAIL(-EBADMSG, "%s: the %s-compressed part is not a cpio "
                                       "archive; rebuild the initramfs",
                                       ctx->path, xkd_compression_name(ctx->kind));
        return 0;
}

/* The size bytes at map; the compressed part from fd (at the same offsets),
 * or from map when fd < 0 (-EOPNOTSUPP then for what needs a tool). */
static int measure_data(const uint8_t *map, size_t size, int fd, const char *path,
                        struct xkd_initrd_size *ret, bool quiet) {
        struct xkd_cpio_counter raw, unpacked;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (size == 0)
                return FAIL(-EBADMSG, "Initramfs %s is empty; rebuild it", path);
        ret->packed = (uint64_t) size;
        xkd_cpio_counter_init(&raw);
        int64_t used = xkd_cpio_counter_feed(&raw, map, size);
        if (used < 0)
                return FAIL(-EBADMSG, "%s: corrupt cpio header; rebuild the initramfs", path);
        ret->unpacked = raw.stats;
        if ((uint64_t) used == (uint64_t) size) {
                if (!xkd_cpio_counter_complete(&raw))
                        return FAIL(-EBADMSG, "%s: not a complete cpio archive; rebuild "
                                              "the initramfs", path);
                return 0;
        }

        ret->compression = xkd_compression_detect(map + used, size - (size_t) used);
        if (ret->compression == XKD_COMP_UNKNOWN)
                return FAIL(-EBADMSG, "%s: unknown data at offset %lld (neither cpio nor "
                                      "a known compression); rebuild the initramfs",
                                      path, (long long) used);
        xkd_cpio_counter_init(&unpacked);
        struct count_ctx ctx = { &unpacked, path, ret->compression, quiet };
        if (fd < 0) {
                if (!xkd_decompress_in_process(ret->compression))
                        return -EOPNOTSUPP;
                r = xkd_decompress_buf(map + used, size - (size_t) used, ret->compression, path, count_sink, &ctx);
        } else {
                if (lseek(fd, used, SEEK_SET) < 0)
                        return FAIL(-errno, "Failed to seek in %s: %m", path);
                r = xkd_decompress_fd(fd, ret->compression, path, count_sink, &ctx);
        }
        if (r < 0)
                return r;
        /* Trailing padding after the stream makes some tools complain although
         * everything was unpacked; what counts is a complete archive. */
        if (!xkd_cpio_counter_complete(&unpacked))
                return FAIL(-EBADMSG, "%s: the %s-compressed part ends mid-archive; "
                                      "rebuild the initramfs", path,
                                      xkd_compression_name(ret->compression));
        ret->unpacked.entries += unpacked.stats.entries;
        ret->unpacked.archives += unpacked.stats.archives;
        ret->unpacked.data_bytes += unpacked.stats.data_bytes;
        ret->unpacked.footprint += unpacked.stats.footprint;
        return 0;
}

static int measure(const char *path, struct xkd_initrd_size *ret, bool quiet, struct stat *ret_stat) {
        struct stat st;
        uint8_t *map = NULL;
        int fd, r = 0;

        /* O_NONBLOCK and S_ISREG: a FIFO must not hang us (files.h); mmap ignores the flag. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return FAIL(-errno, "Failed to open initramfs %s: %m", path);
        if (fstat(fd, &st) < 0) {
                r = FAIL(-errno, "Failed to stat %s: %m", path);
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                r = FAIL(-EINVAL, "The initramfs %s is not a regular file; pass the initramfs file itself", path);
                goto out;
        }
        if (ret_stat)
                *ret_stat = st;
        if (st.st_size == 0) {
                r = FAIL(-EBADMSG, "Initramfs %s is empty; rebuild it", path);
                goto out;
        }
        map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
                map = NULL;
                r = FAIL(-errno, "Failed to map %s: %m", path);
                goto out;
        }
        r = measure_data(map, (size_t) st.st_size, fd, path, ret, quiet);
out:
        if (map)
                munmap(map, (size_t) st.st_size);
        close(fd);
        return r;
}

int xkd_initrd_measure_data(const void *data, size_t size, const char *path, struct xkd_initrd_size *ret) {
        return measure_data(data, size, -1, path, ret, false);
}

int xkd_initrd_measure(const char *path, struct xkd_initrd_size *ret) {
        return measure(path, ret, false, NULL);
}

int xkd_initrd_measure_quiet(const char *path, struct xkd_initrd_size *ret) {
        return measure(path, ret, true, NULL);
}

int xkd_initrd_measure_quiet_stat(const char *path, struct xkd_initrd_size *ret, struct stat *st) {
        return measure(path, ret, true, st);
}
