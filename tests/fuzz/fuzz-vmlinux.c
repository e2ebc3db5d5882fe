/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arbitrary bytes as the vmlinux behind a bzImage's decompressor, fed to the
 * streaming layout in chunks the first byte chooses: it must refuse, or give
 * an image that holds exactly the PT_LOADs' bytes inside its span, whatever
 * the chunking.
 */
#include <stdlib.h>
#include <string.h>

#include "vmlinux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_vmlinux a = {}, b = {};
        int ra, rb;

        if (size < 1)
                return 0;
        size_t chunk = (size_t) data[0] * 7 + 1;
        ra = xkd_vmlinux_from_elf(data + 1, size - 1, chunk, 16u << 20, &a);
        rb = xkd_vmlinux_from_elf(data + 1, size - 1, 0, 16u << 20, &b);
        if (ra != rb)
                abort();
        if (ra == 0) {
                if (!a.image || a.image_size > a.mem_size || a.entry_offset >= a.mem_size ||
                    a.base % XKD_VMLINUX_ALIGN || a.mem_size > (16u << 20) ||
                    a.image_size != b.image_size || memcmp(a.image, b.image, a.image_size) != 0 ||
                    (a.image_size && a.image[a.image_size - 1] == 0))
                        abort();
        } else if (a.image || b.image)
                abort();
        xkd_vmlinux_done(&a);
        xkd_vmlinux_done(&b);
        return 0;
}
