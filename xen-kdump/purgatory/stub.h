/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the stub (freestanding) and the library (host): the digest check
 * itself, and the names the build generates for the embedded blob.
 */

#include "purgatory.h"

/* 8 bytes right before the params block in the image: the library refuses to
 * patch a blob whose params are not where the build said. */
#define XKD_PURGATORY_MAGIC "XKDPURG1"

/*
 * Hash the regions (start taken as a pointer) into computed[] and compare with
 * p->sha256.  0 on match, -EBADMSG on mismatch, -E2BIG if nr_regions is out
 * of range (computed[] is then zero).
 */
int xkd_purgatory_check(const struct xkd_purgatory_params *p, uint8_t computed[XKD_SHA256_DIGEST_SIZE]);

/* The stub's C entry, called by entry.S on its own stack: 0 = enter the kernel. */
int purgatory_main(const struct xkd_purgatory_params *p);
/* Called by entry.S for any exception while the stub runs; entry.S then resets. */
void purgatory_exception(uint64_t vector, uint64_t error, uint64_t rip, uint64_t cr2,
                         const struct xkd_purgatory_params *p, uint64_t stub_base);

/* Generated under $(BUILD)/purgatory/blob.c by mkblob. */
extern const unsigned char xkd_purgatory_blob[];
extern const size_t xkd_purgatory_blob_size;         /* bytes of the flat image */
extern const size_t xkd_purgatory_blob_mem_size;     /* with stack, page rounded */
extern const size_t xkd_purgatory_blob_params_offset;
extern const size_t xkd_purgatory_blob_params_size;   /* must equal sizeof(struct xkd_purgatory_params) */
extern const size_t xkd_purgatory_blob_main_offset;  /* purgatory_main, for host tests */
