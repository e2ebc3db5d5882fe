/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arbitrary bytes as a kernel file: the bzImage parser must refuse or return
 * a description that stays inside the buffer, and building boot_params from
 * an accepted header must not read past it either, nor unpacking its
 * payload (gzip, xz, lzma, zstd or raw ELF) into a vmlinux image.
 */
#include <stdlib.h>
#include <string.h>

#include "bootparams.h"
#include "bzimage.h"
#include "vmlinux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_bzimage b;
        uint8_t bp[XKD_BOOT_PARAMS_SIZE];
        struct xkd_e820 e820[2] = { { 0, 0x9fc00, 1 }, { 0x70000000, 0x10000000, 1 } };

        /* Own copy: the parser must not rely on anything past size. */
        uint8_t *copy = malloc(size ? size : 1);
        memcpy(copy, data, size);
        if (xkd_bzimage_parse(copy, size, &b) == 0) {
                if (b.kernel < copy || b.kernel + b.kernel_size != copy + size || b.setup_size >= size ||
                    b.setup_header_end > XKD_SETUP_HDR_MAX_END || b.version < XKD_BOOT_PROTO_MIN ||
                    (b.kernel_alignment & (b.kernel_alignment - 1)) || b.init_size < b.kernel_size)
                        abort();
                struct xkd_boot_params_input in = {
                        .kernel = &b, .cmdline_maddr = 0x70001000, .initrd_maddr = 0x71000000,
                        .initrd_size = 4096, .e820 = e820, .nr_e820 = 2,
                };
                if (xkd_boot_params_build(&in, bp) == 0 && memcmp(bp + 0x202, "HdrS", 4) != 0)
                        abort();
                struct xkd_vmlinux v = {};
                if (xkd_vmlinux_unpack(&b, "fuzz", &v) == 0 && (!v.image || v.image_size > v.mem_size || v.mem_size > b.init_size))
                        abort();
                xkd_vmlinux_done(&v);
        }
        free(copy);
        return 0;
}
