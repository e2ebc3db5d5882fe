/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The digest check, compiled twice: freestanding into the stub, where each
 * region's machine address is a valid pointer thanks to Xen's identity map,
 * and into the library, so unit tests run this very code on host buffers.
 */

#include <errno.h>

#include "stub.h"

int xkd_purgatory_check(const struct xkd_purgatory_params *p, uint8_t computed[XKD_SHA256_DIGEST_SIZE]) {
        struct xkd_sha256_ctx ctx;
        uint8_t diff = 0;

        for (unsigned i = 0; i < XKD_SHA256_DIGEST_SIZE; i++)
                computed[i] = 0;
        if (p->nr_regions > XKD_PURGATORY_MAX_REGIONS)
                return -E2BIG;

        xkd_sha256_init(&ctx);
        for (uint32_t i = 0; i < p->nr_regions; i++)
                xkd_sha256_update(&ctx, (const void *) (uintptr_t) p->regions[i].start,
                                  (size_t) p->regions[i].size);
        xkd_sha256_final(&ctx, computed);

        for (unsigned i = 0; i < XKD_SHA256_DIGEST_SIZE; i++)
                diff |= computed[i] ^ p->sha256[i];
        return diff ? -EBADMSG : 0;
}

int xkd_purgatory_verify(const struct xkd_purgatory_params *p) {
        uint8_t computed[XKD_SHA256_DIGEST_SIZE];

        return xkd_purgatory_check(p, computed);
}
