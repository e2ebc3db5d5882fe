/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * SHA-256 (FIPS 180-4) in plain C.  The same source is compiled into the
 * library and, freestanding, into the purgatory entry stub, so the digest the
 * loader stores is computed by the very code that checks it at crash time.
 * Needs only <stdint.h>/<stddef.h>: no libc, no SSE, no tables outside .rodata.
 */

#include <stddef.h>
#include <stdint.h>

#define XKD_SHA256_DIGEST_SIZE 32
#define XKD_SHA256_HEX_SIZE    65      /* 64 hex digits + NUL */

struct xkd_sha256_ctx {
        uint32_t state[8];
        uint64_t total_len;             /* bytes fed so far */
        uint8_t block[64];
        uint32_t block_len;             /* bytes waiting in block[] */
};

void xkd_sha256_init(struct xkd_sha256_ctx *ctx);
void xkd_sha256_update(struct xkd_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest; ctx must be re-initialised before reuse. */
void xkd_sha256_final(struct xkd_sha256_ctx *ctx, uint8_t out[XKD_SHA256_DIGEST_SIZE]);

/* One-shot digest of a buffer. */
void xkd_sha256(const void *data, size_t len, uint8_t out[XKD_SHA256_DIGEST_SIZE]);

/* Lower-case hex form, NUL terminated (for status output and state files). */
void xkd_sha256_to_hex(const uint8_t digest[XKD_SHA256_DIGEST_SIZE], char hex[XKD_SHA256_HEX_SIZE]);
