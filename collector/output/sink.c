/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "kdump-format.h"
#include "sink.h"

#define RESERVE_CHECK_EVERY (16u << 20)

struct file_sink {
        struct xkd_sink base;
        int fd;
        uint64_t reserve;
        uint64_t since_check;
};

static int full_pwrite(int fd, const void *buf, size_t len, uint64_t off) {
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, (off_t) off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ENOSPC;
                p += n;
                len -= (size_t) n;
                off += (uint64_t) n;
        }
        return 0;
}

static int full_write(int fd, const void *buf, size_t len) {
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int reserve_ok(struct file_sink *f, size_t upcoming) {
        struct statvfs st;

        if (f->reserve == 0)
                return 0;
        f->since_check += upcoming;
        if (f->since_check < RESERVE_CHECK_EVERY && f->base.bytes_written > 0)
                return 0;
        f->since_check = 0;
        if (fstatvfs(f->fd, &st) < 0)
                return 0; /* cannot tell: the write itself will report ENOSPC */
        if ((uint64_t) st.f_bavail * st.f_frsize < f->reserve + RESERVE_CHECK_EVERY)
                return -ENOSPC;
        return 0;
}

static int file_write_at(struct xkd_sink *s, uint64_t off, const void *buf, size_t len) {
        struct file_sink *f = (struct file_sink *) s;
        int r = reserve_ok(f, len);

        if (r < 0)
                return r;
        r = full_pwrite(f->fd, buf, len, off);
        if (r < 0)
                return r;
        s->bytes_written += len;
        return 0;
}

static int file_sync(struct xkd_sink *s) {
        struct file_sink *f = (struct file_sink *) s;
        return fsync(f->fd) < 0 ? -errno : 0;
}

static int no_finish(struct xkd_sink *s) {
        (void) s;
        return 0;
}

static void plain_free(struct xkd_sink *s) {
        free(s);
}

int xkd_sink_file_new(int fd, uint64_t reserve_bytes, struct xkd_sink **ret) {
        struct file_sink *f = calloc(1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        f->base.write_at = file_write_at;
        f->base.sync = file_sync;
        f->base.finish = no_finish;
        f->base.free = plain_free;
        f->fd = fd;
        f->reserve = reserve_bytes;
        *ret = &f->base;
        return 0;
}

struct flat_sink {
        struct xkd_sink base;
        int fd;
        int started;
};

static int flat_start(struct flat_sink *f) {
        uint8_t hdr[KDUMP_FLAT_HEADER_SIZE] = { 0 };
        uint64_t v;

        memcpy(hdr, KDUMP_FLAT_SIGNATURE, strlen(KDUMP_FLAT_SIGNATURE));
        v = htobe64(KDUMP_FLAT_TYPE);
        memcpy(hdr + 16, &v, 8);
        v = htobe64(KDUMP_FLAT_VERSION);
        memcpy(hdr + 24, &v, 8);
        f->started = 1;
        return full_write(f->fd, hdr, sizeof(hdr));
}

static int flat_write_at(struct xkd_sink *s, uint64_t off, const void *buf, size_t len) {
        struct flat_sink *f = (struct flat_sink *) s;
        struct kdump_flat_record rec = {
                .offset = (int64_t) htobe64(off),
                .size = (int64_t) htobe64((uint64_t) len),
        };
        int r;

        if (!f->started && (r = flat_start(f)) < 0)
                return r;
        r = full_write(f->fd, &rec, sizeof(rec));
        if (r < 0)
                return r;
        r = full_write(f->fd, buf, len);
        if (r < 0)
                return r;
        s->bytes_written += len;
        return 0;
}

static int flat_sync(struct xkd_sink *s) {
        struct flat_sink *f = (struct flat_sink *) s;
        /* Pipes and sockets cannot be synced; that is not an error. */
        return fsync(f->fd) < 0 && errno != EINVAL && errno != EROFS ? -errno : 0;
}

static int flat_finish(struct xkd_sink *s) {
        struct flat_sink *f = (struct flat_sink *) s;
        struct kdump_flat_record end = { .offset = -1, .size = -1 };
        int r;

        if (!f->started && (r = flat_start(f)) < 0)
                return r;
        return full_write(f->fd, &end, sizeof(end));
}

int xkd_sink_flat_new(int fd, struct xkd_sink **ret) {
        struct flat_sink *f = calloc(1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        f->base.write_at = flat_write_at;
        f->base.sync = flat_sync;
        f->base.finish = flat_finish;
        f->base.free = plain_free;
        f->base.write_once = true;
        f->fd = fd;
        *ret = &f->base;
        return 0;
}
