/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "page-dedup.h"

struct entry {
        uint64_t digest;
        uint64_t mfn;
        int64_t offset;                 /* 0: empty (no data lives at offset 0) */
        uint32_t size;
        uint32_t flags;
};

struct xkd_page_dedup {
        uint64_t mask;
        struct entry *slots;
        uint8_t *kept;                  /* XKD_DEDUP_KEEP pages, allocated on the first hit */
        uint64_t kept_mfn[XKD_DEDUP_KEEP];      /* mfn + 1; 0: empty */
        uint64_t kept_used[XKD_DEDUP_KEEP], clock;
};

int xkd_page_dedup_new(unsigned slots_log2, struct xkd_page_dedup **ret) {
        struct xkd_page_dedup *d;

        if (slots_log2 > 24)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->mask = (UINT64_C(1) << slots_log2) - 1;
        /* calloc: untouched slots cost address space, not RAM. */
        d->slots = calloc(d->mask + 1, sizeof(*d->slots));
        if (!d->slots) {
                free(d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

struct xkd_page_dedup *xkd_page_dedup_free(struct xkd_page_dedup *d) {
        if (d) {
                free(d->kept);
                free(d->slots);
                free(d);
        }
        return NULL;
}

/* Four independent multiply-rotate lanes over the 512 words, folded at the
 * end: a few GB/s, and every word moves every output bit. */
uint64_t xkd_page_digest(const void *page) {
        const uint64_t k1 = UINT64_C(0x9e3779b97f4a7c15), k2 = UINT64_C(0xc2b2ae3d27d4eb4f);
        uint64_t h[4] = { k1, k2, k1 ^ k2, k1 + k2 };
        const uint8_t *p = page;

        for (unsigned i = 0; i < 4096; i += 32)
                for (unsigned l = 0; l < 4; l++) {
                        uint64_t w;
                        memcpy(&w, p + i + 8 * l, 8);
                        h[l] += w * k2;
                        h[l] = (h[l] << 31 | h[l] >> 33) * k1;
                }
        uint64_t r = h[0] ^ (h[1] << 7 | h[1] >> 57) ^ (h[2] << 13 | h[2] >> 51) ^ (h[3] << 29 | h[3] >> 35);
        r ^= r >> 33;
        r *= k2;
        r ^= r >> 29;
        return r;
}

bool xkd_page_dedup_find(const struct xkd_page_dedup *d, uint64_t digest, uint64_t *mfn,
                         struct kdump_page_desc *desc) {
        const struct entry *e = &d->slots[digest & d->mask];

        if (e->offset == 0 || e->digest != digest)
                return false;
        *mfn = e->mfn;
        *desc = (struct kdump_page_desc) { .offset = e->offset, .size = e->size, .flags = e->flags };
        return true;
}

void xkd_page_dedup_add(struct xkd_page_dedup *d, uint64_t digest, uint64_t mfn,
                        const struct kdump_page_desc *desc) {
        d->slots[digest & d->mask] = (struct entry) { .digest = digest, .mfn = mfn, .offset = desc->offset,
                                                      .size = desc->size, .flags = desc->flags };
}

const uint8_t *xkd_page_dedup_earlier(struct xkd_page_dedup *d, uint64_t mfn,
                                      int (*read)(void *ctx, uint64_t mfn, uint8_t *page), void *ctx) {
        unsigned victim = 0;

        if (!d->kept && !(d->kept = malloc((size_t) XKD_DEDUP_KEEP * 4096)))
                return NULL;
        for (unsigned i = 0; i < XKD_DEDUP_KEEP; i++) {
                if (d->kept_mfn[i] == mfn + 1) {
                        d->kept_used[i] = ++d->clock;
                        return d->kept + (size_t) i * 4096;
                }
                if (d->kept_used[i] < d->kept_used[victim])
                        victim = i;
        }
        uint8_t *page = d->kept + (size_t) victim * 4096;
        if (read(ctx, mfn, page) < 0) {
                d->kept_mfn[victim] = 0;
                d->kept_used[victim] = 0;
                return NULL;
        }
        d->kept_mfn[victim] = mfn + 1;
        d->kept_used[victim] = ++d->clock;
        return page;
}
