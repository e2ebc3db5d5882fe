/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "kcheck.h"

#define SECTION 4096u

static int read_exact(int fd, void *buf, size_t len, uint64_t off) {
        ssize_t n = pread(fd, buf, len, (off_t) off);
        return n == (ssize_t) len ? 0 : -EIO;
}

int kcheck_open(const char *path, struct kcheck *k) {
        uint64_t bs, sections;
        int r;

        memset(k, 0, sizeof(*k));
        k->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (k->fd < 0)
                return -errno;
        r = read_exact(k->fd, &k->header, sizeof(k->header), 0);
        if (r < 0)
                return r;
        if (memcmp(k->header.signature, KDUMP_SIGNATURE, 8) != 0 || k->header.block_size != 4096)
                return -EBADMSG;
        bs = (uint64_t) k->header.block_size;
        r = read_exact(k->fd, &k->sub, sizeof(k->sub), bs);
        if (r < 0)
                return r;
        k->max_mapnr = k->header.header_version >= 6 ? k->sub.max_mapnr_64 : k->header.max_mapnr;
        k->bitmap_half_bytes = (uint64_t) k->header.bitmap_blocks * bs / 2;
        if (k->bitmap_half_bytes * 8 < k->max_mapnr)
                return -EBADMSG;
        k->ram = malloc(k->bitmap_half_bytes);
        k->dumped = malloc(k->bitmap_half_bytes);
        if (!k->ram || !k->dumped)
                return -ENOMEM;
        r = read_exact(k->fd, k->ram, k->bitmap_half_bytes, (1 + (uint64_t) k->header.sub_hdr_size) * bs);
        if (r == 0)
                r = read_exact(k->fd, k->dumped, k->bitmap_half_bytes,
                               (1 + (uint64_t) k->header.sub_hdr_size) * bs + k->bitmap_half_bytes);
        if (r < 0)
                return r;
        k->desc_offset = (1 + (uint64_t) k->header.sub_hdr_size + k->header.bitmap_blocks) * bs;

        sections = (k->max_mapnr + SECTION - 1) / SECTION + 1;
        k->rank = calloc(sections, sizeof(uint64_t));
        if (!k->rank)
                return -ENOMEM;
        for (uint64_t s = 1; s < sections; s++) {
                k->rank[s] = k->rank[s - 1];
                for (uint64_t p = (s - 1) * SECTION; p < s * SECTION && p < k->max_mapnr; p++)
                        k->rank[s] += kcheck_is_dumped(k, p);
        }
        return 0;
}

void kcheck_close(struct kcheck *k) {
        if (k->fd > 0)
                close(k->fd);
        free(k->ram);
        free(k->dumped);
        free(k->rank);
        memset(k, 0, sizeof(*k));
}

bool kcheck_is_ram(const struct kcheck *k, uint64_t pfn) {
        return pfn < k->max_mapnr && (k->ram[pfn >> 3] & (1u << (pfn & 7)));
}

bool kcheck_is_dumped(const struct kcheck *k, uint64_t pfn) {
        return pfn < k->max_mapnr && (k->dumped[pfn >> 3] & (1u << (pfn & 7)));
}

int kcheck_read_desc(struct kcheck *k, uint64_t pfn, struct kdump_page_desc *d) {
        uint64_t pos;

        if (!kcheck_is_dumped(k, pfn))
                return -ENOENT;
        pos = k->rank[pfn / SECTION];
        for (uint64_t p = pfn / SECTION * SECTION; p < pfn; p++)
                pos += kcheck_is_dumped(k, p);
        return read_exact(k->fd, d, sizeof(*d), k->desc_offset + pos * sizeof(*d));
}

int kcheck_read_page(struct kcheck *k, uint64_t pfn, uint8_t *page) {
        struct kdump_page_desc d;
        uint8_t buf[4096];
        int r = kcheck_read_desc(k, pfn, &d);

        if (r < 0)
                return r;
        if (d.offset == 0)
                return -ENODATA;
        if (d.size == 0 || d.size > 4096 || d.offset < 0)
                return -EBADMSG;
        r = read_exact(k->fd, buf, d.size, (uint64_t) d.offset);
        if (r < 0)
                return r;
        if (d.flags & KDUMP_COMPRESSED_ZSTD) {
                size_t n = ZSTD_decompress(page, 4096, buf, d.size);
                if (ZSTD_isError(n) || n != 4096)
                        return -EBADMSG;
        } else if (d.flags == 0 && d.size == 4096)
                memcpy(page, buf, 4096);
        else
                return -EBADMSG;
        return 0;
}
