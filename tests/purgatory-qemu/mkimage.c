/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mkimage DIR CASE: what the loader does, for the QEMU purgatory test.
 * Reads DIR/fakekernel.bin; writes DIR/CASE-{kernel,bootp,stub}.bin, the
 * three modules the harness copies to 128 MiB, 176 MiB and 192 MiB.
 * Regions: the kernel and a 4 KiB boot_params page, digest over both, stub
 * built for 192 MiB with serial output on COM1.  Cases:
 *   good      as the loader would;
 *   corrupt   the boot_params written differ in one bit from the ones hashed
 *             (memory overwritten after the load);
 *   unmapped  an extra region at 2 GiB, which the harness does not map (#PF);
 *   big       the kernel padded to 40 MiB, so hashing takes a while (NMI test).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "purgatory.h"

#define STUB_DEST   0xC000000
#define KERNEL_DEST 0x8000000
#define BOOTP_DEST  0xB000000
#define UNMAPPED    0x80000000ull
#define BIG_SIZE    (40u << 20)

static int write_file(const char *dir, const char *mode, const char *what, const void *data, size_t len) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s-%s.bin", dir, mode, what);
        f = fopen(path, "wb");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "mkimage: cannot write %s\n", path);
                return -1;
        }
        return 0;
}

int main(int argc, char **argv) {
        static uint8_t bootp[4096];
        struct xkd_purgatory_params p = { 0 };
        struct xkd_sha256_ctx ctx;
        const char *dir, *mode;
        char path[4096];
        uint8_t *kernel;
        void *img;
        size_t img_size, mem_size, klen;
        FILE *f;

        if (argc != 3) {
                fprintf(stderr, "usage: mkimage DIR good|corrupt|unmapped|big\n");
                return 2;
        }
        dir = argv[1];
        mode = argv[2];
        kernel = calloc(1, BIG_SIZE);
        snprintf(path, sizeof(path), "%s/fakekernel.bin", dir);
        f = fopen(path, "rb");
        if (!kernel || !f) {
                fprintf(stderr, "mkimage: cannot open %s\n", path);
                return 1;
        }
        klen = fread(kernel, 1, BIG_SIZE, f);
        fclose(f);
        if (strcmp(mode, "big") == 0) {
                uint32_t x = 12345;
                for (size_t i = klen; i < BIG_SIZE; i++) {
                        x = x * 1103515245 + 12345;
                        kernel[i] = (uint8_t) (x >> 16);
                }
                klen = BIG_SIZE;
        }
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
        if (strcmp(mode, "unmapped") == 0)
                p.regions[p.nr_regions++] = (struct xkd_purgatory_region) { UNMAPPED, 4096 };
        xkd_sha256_final(&ctx, p.sha256);

        if (xkd_purgatory_build(&p, STUB_DEST, &img, &img_size, &mem_size) < 0)
                return 1;
        if (mem_size > 0x10000) {
                fprintf(stderr, "mkimage: stub needs %zu bytes, the harness zeroes 64 KiB\n", mem_size);
                return 1;
        }
        if (strcmp(mode, "corrupt") == 0)
                bootp[1234] ^= 0x04;
        if (write_file(dir, mode, "kernel", kernel, klen) < 0 ||
            write_file(dir, mode, "bootp", bootp, sizeof(bootp)) < 0 ||
            write_file(dir, mode, "stub", img, img_size) < 0)
                return 1;
        free(img);
        free(kernel);
        return 0;
}
