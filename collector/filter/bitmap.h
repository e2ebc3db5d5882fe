/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One bit per machine frame, LSB first within each byte: exactly the byte
 * order of the kdump-compressed bitmaps.  The bits are kept in chunks of one
 * kdump bitmap block (4096 bytes, 32768 frames, 128 MiB of address space),
 * and only the chunks that cover RAM exist: memory grows with the RAM
 * present, not with the highest address (one page at 8 TiB costs one chunk,
 * not 256 MiB).  Bits outside the chunks read as 0 and cannot be set.  The
 * writer stores each chunk as the bitmap block of the same number.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XKD_BITMAP_CHUNK_BYTES  4096u
#define XKD_BITMAP_CHUNK_BITS   (UINT64_C(8) * XKD_BITMAP_CHUNK_BYTES)

struct xkd_bitmap {
        uint64_t nbits;
        size_t nchunks;
        uint64_t *chunk_no;     /* increasing; NULL when dense (chunk i is number i) */
        uint8_t *bits;          /* nchunks * XKD_BITMAP_CHUNK_BYTES */
        size_t *hint;           /* the chunk found last */
};

static inline uint64_t xkd_bitmap_chunks_for(uint64_t nbits) {
        return (nbits + XKD_BITMAP_CHUNK_BITS - 1) / XKD_BITMAP_CHUNK_BITS;
}

static inline void xkd_bitmap_done(struct xkd_bitmap *b) {
        free(b->bits);
        free(b->chunk_no);
        free(b->hint);
        *b = (struct xkd_bitmap) { 0 };
}

/* chunk_no: the chunk numbers (increasing, taken over), or NULL for all of them. */
static inline int xkd_bitmap_init_chunks(struct xkd_bitmap *b, uint64_t nbits, uint64_t *chunk_no, size_t nchunks) {
        *b = (struct xkd_bitmap) { .nbits = nbits, .nchunks = nchunks, .chunk_no = chunk_no };
        if ((uint64_t) nchunks > SIZE_MAX / XKD_BITMAP_CHUNK_BYTES)
                goto oom;
        b->bits = calloc(nchunks ? nchunks : 1, XKD_BITMAP_CHUNK_BYTES);
        b->hint = calloc(1, sizeof(*b->hint));
        if (b->bits && b->hint)
                return 0;
oom:
        xkd_bitmap_done(b);
        return -ENOMEM;
}

/* Every chunk up to nbits: for small address spaces and tests. */
static inline int xkd_bitmap_init(struct xkd_bitmap *b, uint64_t nbits) {
        uint64_t n = xkd_bitmap_chunks_for(nbits);
        if (n > SIZE_MAX / XKD_BITMAP_CHUNK_BYTES) {
                *b = (struct xkd_bitmap) { 0 };
                return -ENOMEM;
        }
        return xkd_bitmap_init_chunks(b, nbits, NULL, (size_t) n);
}

/* The same chunks as like, all bits clear. */
static inline int xkd_bitmap_init_like(struct xkd_bitmap *b, const struct xkd_bitmap *like) {
        uint64_t *no = NULL;
        if (like->chunk_no) {
                no = malloc((like->nchunks ? like->nchunks : 1) * sizeof(*no));
                if (!no) {
                        *b = (struct xkd_bitmap) { 0 };
                        return -ENOMEM;
                }
                memcpy(no, like->chunk_no, like->nchunks * sizeof(*no));
        }
        return xkd_bitmap_init_chunks(b, like->nbits, no, like->nchunks);
}

/* The chunk holding bit i, or NULL when there is none. */
static inline uint8_t *xkd_bitmap_chunk(const struct xkd_bitmap *b, uint64_t i) {
        uint64_t c = i / XKD_BITMAP_CHUNK_BITS;
        size_t h, lo = 0, hi;

        if (i >= b->nbits)
                return NULL;
        if (!b->chunk_no)
                return c < b->nchunks ? b->bits + (size_t) c * XKD_BITMAP_CHUNK_BYTES : NULL;
        h = *b->hint;
        if (h < b->nchunks && b->chunk_no[h] == c)
                return b->bits + h * XKD_BITMAP_CHUNK_BYTES;
        if (h + 1 < b->nchunks && b->chunk_no[h + 1] == c) {
                *b->hint = h + 1;
                return b->bits + (h + 1) * XKD_BITMAP_CHUNK_BYTES;
        }
        hi = b->nchunks;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (b->chunk_no[mid] < c)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < b->nchunks && b->chunk_no[lo] == c) {
                *b->hint = lo;
                return b->bits + lo * XKD_BITMAP_CHUNK_BYTES;
        }
        return NULL;
}

static inline uint64_t xkd_bitmap_chunk_no(const struct xkd_bitmap *b, size_t k) {
        return b->chunk_no ? b->chunk_no[k] : k;
}

static inline bool xkd_bitmap_test(const struct xkd_bitmap *b, uint64_t i) {
        const uint8_t *c = xkd_bitmap_chunk(b, i);
        uint64_t o = i % XKD_BITMAP_CHUNK_BITS;
        return c && (c[o >> 3] & (1u << (o & 7)));
}

static inline void xkd_bitmap_set(struct xkd_bitmap *b, uint64_t i) {
        uint8_t *c = xkd_bitmap_chunk(b, i);
        uint64_t o = i % XKD_BITMAP_CHUNK_BITS;
        if (c)
                c[o >> 3] |= (uint8_t) (1u << (o & 7));
}

static inline void xkd_bitmap_clear(struct xkd_bitmap *b, uint64_t i) {
        uint8_t *c = xkd_bitmap_chunk(b, i);
        uint64_t o = i % XKD_BITMAP_CHUNK_BITS;
        if (c)
                c[o >> 3] &= (uint8_t) ~(1u << (o & 7));
}

/* The first set bit at or after i; nbits when there is none. */
static inline uint64_t xkd_bitmap_next_set(const struct xkd_bitmap *b, uint64_t i) {
        size_t k;

        if (i >= b->nbits)
                return b->nbits;
        /* The chunk holding i, or the first after it. */
        if (xkd_bitmap_chunk(b, i))
                k = b->chunk_no ? *b->hint : (size_t) (i / XKD_BITMAP_CHUNK_BITS);
        else {
                uint64_t c = i / XKD_BITMAP_CHUNK_BITS;
                size_t lo = 0, hi = b->nchunks;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (xkd_bitmap_chunk_no(b, mid) < c)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                k = lo;
                if (k < b->nchunks)
                        i = xkd_bitmap_chunk_no(b, k) * XKD_BITMAP_CHUNK_BITS;
        }
        for (; k < b->nchunks; k++) {
                uint64_t base = xkd_bitmap_chunk_no(b, k) * XKD_BITMAP_CHUNK_BITS;
                const uint8_t *c = b->bits + k * XKD_BITMAP_CHUNK_BYTES;
                uint64_t o = i > base ? i - base : 0;

                while (o < XKD_BITMAP_CHUNK_BITS) {
                        if ((o & 63) == 0) {
                                uint64_t word;
                                memcpy(&word, c + (o >> 3), 8);
                                if (!word) {
                                        o += 64;
                                        continue;
                                }
                        }
                        if (c[o >> 3] & (1u << (o & 7)))
                                return base + o < b->nbits ? base + o : b->nbits;
                        o++;
                }
        }
        return b->nbits;
}

/* dst (the same chunks as src) takes src's bits. */
static inline void xkd_bitmap_copy(struct xkd_bitmap *dst, const struct xkd_bitmap *src) {
        if (dst->nbits == src->nbits && dst->nchunks == src->nchunks)
                memcpy(dst->bits, src->bits, src->nchunks * XKD_BITMAP_CHUNK_BYTES);
}

/* dst becomes a copy of src (allocated). */
static inline int xkd_bitmap_dup(struct xkd_bitmap *dst, const struct xkd_bitmap *src) {
        int r = xkd_bitmap_init_like(dst, src);
        if (r == 0)
                xkd_bitmap_copy(dst, src);
        return r;
}

static inline uint64_t xkd_bitmap_count(const struct xkd_bitmap *b) {
        uint64_t n = 0;
        size_t bytes = b->nchunks * XKD_BITMAP_CHUNK_BYTES;

        for (size_t i = 0; i + 8 <= bytes; i += 8) {
                uint64_t w;
                memcpy(&w, b->bits + i, 8);
                n += (uint64_t) __builtin_popcountll(w);
        }
        return n;
}

/* Bytes allocated for the bits (the host-sized memory use). */
static inline size_t xkd_bitmap_bytes(const struct xkd_bitmap *b) {
        return b->nchunks * XKD_BITMAP_CHUNK_BYTES;
}
