/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Identical pages stored once: a bounded table from a page's digest to the
 * frame that was stored with that content and its descriptor.  The writer
 * looks a page up before compressing it; on a hit it re-reads the earlier
 * frame and compares the bytes (a digest is never trusted: the pages come
 * from the crashed machine, and a crafted collision must not put one page's
 * content under another's descriptor), and when they are equal the new
 * descriptor points at the earlier page's data.  The kdump format allows it:
 * a descriptor is an offset and a size, and zero pages already share one.
 *
 * The table is direct-mapped (a new page replaces the entry of its slot), so
 * its memory is fixed whatever the host's RAM: 2^slots_log2 entries of 32
 * bytes.  Duplicates further apart than the table remembers are stored
 * again, which costs bytes, never correctness.
 */

#include <stdbool.h>
#include <stdint.h>

#include "kdump-format.h"

#define XKD_DEDUP_SLOTS_LOG2_DEFAULT 15         /* 1 MiB, touched as used */

struct xkd_page_dedup;

int xkd_page_dedup_new(unsigned slots_log2, struct xkd_page_dedup **ret);
struct xkd_page_dedup *xkd_page_dedup_free(struct xkd_page_dedup *d);

/* A 64-bit digest of one 4096-byte page (fast, not cryptographic). */
uint64_t xkd_page_digest(const void *page);

/* The frame last stored with this digest in its slot, and its descriptor. */
bool xkd_page_dedup_find(const struct xkd_page_dedup *d, uint64_t digest, uint64_t *mfn,
                         struct kdump_page_desc *desc);
void xkd_page_dedup_add(struct xkd_page_dedup *d, uint64_t digest, uint64_t mfn,
                        const struct kdump_page_desc *desc);

/* The bytes of an earlier frame, for the comparison a hit needs: read with
 * read(ctx, mfn, page) unless it is one of the last XKD_DEDUP_KEEP frames
 * read for a comparison.  Most duplicates are copies of a few pages (a
 * repeated pattern, thousands of times), each re-read a syscall in the
 * capture kernel; the vmcore does not change, so a kept copy is what a read
 * would return.  NULL when the frame cannot be read. */
#define XKD_DEDUP_KEEP 4u
const uint8_t *xkd_page_dedup_earlier(struct xkd_page_dedup *d, uint64_t mfn,
                                      int (*read)(void *ctx, uint64_t mfn, uint8_t *page), void *ctx);
