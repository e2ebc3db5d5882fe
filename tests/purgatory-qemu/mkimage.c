/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mkimage FAKEKERNEL BOOTPARAMS-OUT STUB-OUT [corrupt]: what the loader does,
 * for the QEMU purgatory test — regions = the fake kernel at 16 MiB and a
 * 4 KiB boot_params page at 17 MiB, digest over both, stub built for 32 MiB.
 * With "corrupt", the boot_params file written differs in one bit from the
 * one hashed, as if memory had been overwritten after the load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "purgatory.h"

#define STUB_DEST   0x2000000
#define KERNEL_DEST 0x1000000
#define BOOTP_DEST  0x1100000

static int write_file(const char *path, const void *data, size_t len) {
        FILE *f = fopen(path, "wb");

        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "mkimage: cannot write %s\n", path);
                return -1;
        }
        return 0;
}

int main(int argc, char **argv) {
        static uint8_t kernel[1 << 20], bootp[4096];
        struct xkd_purgatory_params p = { 0 };
        struct xkd_sha256_ctx ctx;
        void *img;
        size_t img_size, mem_size, klen;
        FILE *f;

        if (argc < 4) {
                fprintf(stderr, "usage: mkimage FAKEKERNEL BOOTPARAMS-OUT STUB-OUT [corrupt]\n");
                return 2;
        }
        f = fopen(argv[1], "rb");
        if (!f) {
                fprintf(stderr, "mkimage: cannot open %s\n", argv[1]);
                return 1;
        }
        klen = fread(kernel, 1, sizeof(kernel), f);
        fclose(f);
        for (size_t i = 0; i < sizeof(bootp); i++)
                bootp[i] = (uint8_t) (i * 31 + 7);

        p.kernel_entry = KERNEL_DEST + 0x200;
        p.boot_params = BOOTP_DEST;
        p.serial_port = 0x3f8;
        p.nr_regions = 2;
        p.regions[0] = (struct xkd_purgatory_region) { KERNEL_DEST, klen };
        p.regions[1] = (struct xkd_purgatory_region) { BOOTP_DEST, sizeof(bootp) };
        xkd_sha256_init(&ctx);
        xkd_sha256_update(&ctx, kernel, klen);
        xkd_sha256_update(&ctx, bootp, sizeof(bootp));
        xkd_sha256_final(&ctx, p.sha256);

        if (xkd_purgatory_build(&p, STUB_DEST, &img, &img_size, &mem_size) < 0)
                return 1;
        if (mem_size > 0x10000) {
                fprintf(stderr, "mkimage: stub needs %zu bytes, the harness zeroes 64 KiB\n", mem_size);
                return 1;
        }
        if (argc > 4 && strcmp(argv[4], "corrupt") == 0)
                bootp[1234] ^= 0x04;
        if (write_file(argv[2], bootp, sizeof(bootp)) < 0 || write_file(argv[3], img, img_size) < 0)
                return 1;
        free(img);
        return 0;
}
