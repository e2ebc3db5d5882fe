/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bad-input catalogue's loader inputs: damaged bzImages and initramfs
 * files, the good ones, and the simulated host (tests/bad-input/gen.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "loader-fixtures.h"

/* ---- kernels and initramfs files ------------------------------------------ */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void kernel_emit(const char *name, uint8_t *k, size_t n) {
        emit("kernel", name, k, n);
        free(k);
}

void gen_kernels(void) {
        size_t n;
        uint8_t *k;
        const struct fake_kernel good = { .payload = 200000, .init_size = 0x600000 };

        {
                uint8_t *kk = fake_bzimage(&good, &n);
                kernel_emit("good", kk, n);
        }
        emit("kernel", "empty", "", 0);
        emit("kernel", "text", "#!/bin/sh\necho not a kernel\n", 28);
        k = fake_bzimage(&good, &n);
        kernel_emit("truncated-header", k, 0x250);
        k = fake_bzimage(&good, &n);
        kernel_emit("truncated-payload", k, n / 2);
        k = fake_bzimage(&good, &n);
        memcpy(k + 0x202, "HdrX", 4);
        kernel_emit("no-hdrs", k, n);
        k = fake_bzimage(&good, &n);
        put16(k + 0x1fe, 0);
        kernel_emit("no-boot-flag", k, n);
        {
                uint8_t *kk = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .version = 0x0205 }, &n);
                kernel_emit("protocol-2.05", kk, n);
        }
        {
                uint8_t *kk = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .relocatable = 0xff }, &n);
                kernel_emit("not-relocatable", kk, n);
        }
        {
                uint8_t *kk = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .xloadflags = 0xffff }, &n);
                kernel_emit("not-64bit", kk, n);
        }
        {
                uint8_t *kk = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .kernel_alignment = 3 }, &n);
                kernel_emit("align-3", kk, n);
        }
        {
                uint8_t *kk = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .init_size = 0xffffffffu }, &n);
                kernel_emit("init-size-4g", kk, n);
        }
        {
                uint8_t *kk = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .init_size = 0x40000000u }, &n);
                kernel_emit("init-size-1g", kk, n);
        }
        k = fake_bzimage(&good, &n);
        k[0x1f1] = 0xff;                /* setup_sects past the file */
        kernel_emit("setup-sects-255", k, n);
        k = fake_bzimage(&good, &n);
        k[0x201] = 0x7f;                /* header claims to end past the 2-sector setup area */
        kernel_emit("header-end-huge", k, n);
        k = fake_bzimage(&good, &n);
        put32(k + 0x248, 0xfffffff0u);   /* payload_offset */
        put32(k + 0x24c, 0x7fffffffu);   /* payload_length */
        kernel_emit("payload-offset-wild", k, n);
        /* Payloads load unpacks (vmlinux.h): damaged, cut short, not a kernel, or one only a tool decodes. */
        {
                size_t elf_size, gz_size;
                uint8_t *elf = fake_vmlinux_elf(&elf_size), *gz = gzip_bytes(elf, elf_size, &gz_size);
                uint8_t *kk;

                gz[gz_size - 8] ^= 1;           /* gzip's CRC */
                kk = fake_bzimage(&(struct fake_kernel) { .vmlinux = gz, .vmlinux_size = gz_size, .init_size = 0x600000 }, &n);
                kernel_emit("payload-gzip-crc", kk, n);
                kk = fake_bzimage(&(struct fake_kernel) { .vmlinux = gz, .vmlinux_size = gz_size / 2, .init_size = 0x600000 }, &n);
                kernel_emit("payload-gzip-cut", kk, n);
                elf[0] = 'X';
                kk = fake_bzimage(&(struct fake_kernel) { .vmlinux = elf, .vmlinux_size = elf_size, .init_size = 0x600000 }, &n);
                kernel_emit("payload-not-elf", kk, n);
                memcpy(elf, "\x02\x21\x4c\x18", 4);        /* lz4's magic: the decompressor runs at the crash */
                kk = fake_bzimage(&(struct fake_kernel) { .vmlinux = elf, .vmlinux_size = elf_size, .init_size = 0x600000 }, &n);
                kernel_emit("payload-lz4", kk, n);
                free(gz);
                free(elf);
        }
        k = fake_bzimage(&good, &n);
        put32(k + 0x1f4, 0xffffffffu);   /* syssize */
        kernel_emit("syssize-huge", k, n);
        /* An ELF vmlinux, not a bzImage. */
        {
                uint8_t elf[4096] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
                emit("kernel", "elf-vmlinux", elf, sizeof(elf));
        }
}

void gen_initrds(void) {
        uint8_t *b = calloc(1, 1 << 20);
        size_t o;

        o = fake_cpio_entry(b, 0, "init", 0100755, "#!/bin/sh\n", 10);
        o = fake_cpio_entry(b, o, "TRAILER!!!", 0, NULL, 0);
        emit("initrd", "good", b, o);
        emit("initrd", "empty", "", 0);
        /* cpio header with a file size past the end */
        o = fake_cpio_entry(b, 0, "init", 0100755, NULL, 16);
        memcpy(b + 6 + 6 * 8, "7FFFFFFF", 8);
        emit("initrd", "cpio-size-past-end", b, o);
        /* name size 0 and name size huge */
        o = fake_cpio_entry(b, 0, "init", 0100755, "x", 1);
        memcpy(b + 6 + 11 * 8, "00000000", 8);
        emit("initrd", "cpio-namesize-0", b, o);
        o = fake_cpio_entry(b, 0, "init", 0100755, "x", 1);
        memcpy(b + 6 + 11 * 8, "FFFFFFFF", 8);
        emit("initrd", "cpio-namesize-huge", b, o);
        o = fake_cpio_entry(b, 0, "init", 0100755, "x", 1);
        memcpy(b + 6 + 3 * 8, "ZZZZZZZZ", 8);
        emit("initrd", "cpio-not-hex", b, o);
        /* an xz stream whose header asks for a 3 GiB dictionary (the fuzz-decompress find) */
        {
                static const uint8_t lzma_hdr[] = { 0x5d, 0x00, 0x00, 0x00, 0xb5, 0xff, 0xff, 0xff, 0xff,
                                                    0xff, 0xff, 0xff, 0xff, 0x00, 0x28, 0xb5, 0x2f };
                emit("initrd", "lzma-dict-3g", lzma_hdr, sizeof(lzma_hdr));
        }
        {
                /* gzip magic, then garbage */
                uint8_t gz[64] = { 0x1f, 0x8b, 0x08, 0x00 };
                memset(gz + 10, 0xee, sizeof(gz) - 10);
                emit("initrd", "gzip-garbage", gz, sizeof(gz));
        }
        {
                /* zstd magic, frame header claiming a huge window, then garbage */
                uint8_t zs[32] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8 };
                memset(zs + 6, 0x41, sizeof(zs) - 6);
                emit("initrd", "zstd-window-huge", zs, sizeof(zs));
        }
        /* cpio entries with no TRAILER and a tail of garbage */
        o = fake_cpio_entry(b, 0, "init", 0100755, "#!/bin/sh\n", 10);
        memset(b + o, 0xaa, 100);
        emit("initrd", "cpio-no-trailer", b, o + 100);
        free(b);
}

/* ---- the simulated host the loader cases run on -------------------------- */

void gen_host(void) {
        char path[4096], text[4096];

        snprintf(text, sizeof(text), "%sstate %s/sim/sim-state\n", fake_host_config, out);
        snprintf(path, sizeof(path), "%s/sim/sim.conf", out);
        write_text(path, text);
        snprintf(path, sizeof(path), "%s/sysroot", out);
        fake_sysroot_write(path);
}

