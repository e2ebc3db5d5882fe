/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One bit per machine frame, LSB first within each byte: exactly the byte
 * order of the kdump-compressed bitmaps, so the writer stores .bits as is.
 * max_pfn/8 bytes: 32 MiB for a 1 TiB host, the only host-sized memory use.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct xkd_bitmap {
        uint64_t nbits;
        uint8_t *bits;
};

static inline int xkd_bitmap_init(struct xkd_bitmap *b, uint64_t nbits) {
        b->nbits = nbits;
        b->bits = calloc(1, (size_t) ((nbits + 7) / 8) + 8);
        return b->bits ? 0 : -ENOMEM;
}

static inline void xkd_bitmap_done(struct xkd_bitmap *b) {
        free(b->bits);
        b->bits = NULL;
        b->nbits = 0;
}

static inline size_t xkd_bitmap_bytes(const struct xkd_bitmap *b) {
        return (size_t) ((b->nbits + 7) / 8);
}

static inline bool xkd_bitmap_test(const struct xkd_bitmap *b, uint64_t i) {
        return i < b->nbits && (b->bits[i >> 3] & (1u << (i & 7)));
}

static inline void xkd_bitmap_set(struct xkd_bitmap *b, uint64_t i) {
        if (i < b->nbits)
                b->bits[i >> 3] |= (uint8_t) (1u << (i & 7));
}

static inline void xkd_bitmap_clear(struct xkd_bitmap *b, uint64_t i) {
        if (i < b->nbits)
                b->bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

/* dst becomes a copy of src (allocated). */
static inline int xkd_bitmap_dup(struct xkd_bitmap *dst, const struct xkd_bitmap *src) {
        int r = xkd_bitmap_init(dst, src->nbits);
        if (r == 0)
                memcpy(dst->bits, src->bits, xkd_bitmap_bytes(src));
        return r;
}

/* dst (already the same shape as src) takes src's bits. */
static inline void xkd_bitmap_copy(struct xkd_bitmap *dst, const struct xkd_bitmap *src) {
        if (dst->nbits == src->nbits)
                memcpy(dst->bits, src->bits, xkd_bitmap_bytes(src));
}

static inline uint64_t xkd_bitmap_count(const struct xkd_bitmap *b) {
        uint64_t n = 0;
        size_t bytes = xkd_bitmap_bytes(b);

        for (size_t i = 0; i < bytes; i++)
                n += (uint64_t) __builtin_popcount(b->bits[i]);
        return n;
}
