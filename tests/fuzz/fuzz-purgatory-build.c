/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arbitrary params and destination into xkd_purgatory_build(): it must refuse
 * or return an image that carries exactly those params, without UB (overflow
 * in the range checks is the risk).
 */
#include <stdlib.h>
#include <string.h>

#include "purgatory.h"
#include "purgatory/stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_purgatory_params p;
        uint64_t dest;
        void *img = NULL;
        size_t img_size = 0, mem = 0;

        if (size < sizeof(p) + sizeof(dest))
                return 0;
        memcpy(&p, data, sizeof(p));
        memcpy(&dest, data + sizeof(p), sizeof(dest));

        if (xkd_purgatory_build(&p, dest, &img, &img_size, &mem) < 0)
                return 0;
        if (dest % 4096 != 0 || p.nr_regions > XKD_PURGATORY_MAX_REGIONS || mem < img_size ||
            memcmp((uint8_t *) img + xkd_purgatory_blob_params_offset, &p, sizeof(p)) != 0)
                abort();
        free(img);
        return 0;
}
