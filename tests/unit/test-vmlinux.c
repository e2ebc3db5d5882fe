/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The vmlinux behind a bzImage's decompressor, unpacked for a direct entry. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bzimage.h"
#include "loader-fixtures.h"
#include "test.h"
#include "vmlinux.h"

#define MAX_MEM (64u << 20)

/* The layout a kernel expects: each PT_LOAD's file bytes at p_paddr - base,
 * zeros everywhere else. */
static void assert_layout(const struct xkd_vmlinux *v, const uint8_t *elf) {
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *) elf;
        uint8_t *want = calloc(1, FAKE_VMLINUX_MEM);

        for (unsigned i = 0; i < eh->e_phnum; i++) {
                Elf64_Phdr ph;
                memcpy(&ph, elf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
                if (ph.p_type == PT_LOAD)
                        memcpy(want + (ph.p_paddr - FAKE_VMLINUX_BASE), elf + ph.p_offset, ph.p_filesz);
        }
        ASSERT_U64_EQ(v->base, FAKE_VMLINUX_BASE);
        ASSERT_U64_EQ(v->mem_size, FAKE_VMLINUX_MEM);
        ASSERT_U64_EQ(v->entry_offset, FAKE_VMLINUX_ENTRY - FAKE_VMLINUX_BASE);
        ASSERT_U64_EQ(v->image_size, FAKE_VMLINUX_DATA);       /* stored .bss zeros dropped */
        ASSERT_MEMEQ(v->image, want, v->image_size);
        free(want);
}

TEST(elf_laid_out_by_physical_address_in_any_chunking) {
        size_t size;
        uint8_t *elf = fake_vmlinux_elf(&size);
        const size_t chunks[] = { 0, 1, 7, 100, 4096, 65536 };

        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
                struct xkd_vmlinux v = {};
                ASSERT_EQ(xkd_vmlinux_from_elf(elf, size, chunks[i], MAX_MEM, &v), 0);
                assert_layout(&v, elf);
                xkd_vmlinux_done(&v);
        }
        free(elf);
}

static int parse_changed(size_t at, const void *bytes, size_t n, size_t keep) {
        size_t size;
        uint8_t *elf = fake_vmlinux_elf(&size);
        struct xkd_vmlinux v = {};
        int r;

        if (bytes)
                memcpy(elf + at, bytes, n);
        r = xkd_vmlinux_from_elf(elf, keep ? keep : size, 64, MAX_MEM, &v);
        if ((r == 0) != (v.image != NULL))
                r = -EFAULT;    /* an image only on success */
        xkd_vmlinux_done(&v);
        free(elf);
        return r;
}

static size_t phdr(unsigned i, size_t field) {
        return sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr) + field;
}

TEST(broken_elf_refused) {
        uint8_t b1 = ELFCLASS32, m[2] = { EM_386, 0 };
        uint64_t small = 0x100;
        uint64_t big = UINT64_C(1) << 40, entry_bss = FAKE_VMLINUX_BASE + 0x201c00, over = 0x1001000;
        uint64_t huge_off = UINT64_C(1) << 34;
        uint16_t phnum = 2000;

        ASSERT_EQ(parse_changed(0, NULL, 0, 0), 0);
        ASSERT_EQ(parse_changed(0, "\x7f" "ELG", 4, 0), -EINVAL);
        ASSERT_EQ(parse_changed(EI_CLASS, &b1, 1, 0), -EINVAL);
        ASSERT_EQ(parse_changed(offsetof(Elf64_Ehdr, e_machine), m, 2, 0), -EINVAL);
        ASSERT_EQ(parse_changed(offsetof(Elf64_Ehdr, e_phnum), &phnum, 2, 0), -EINVAL);      /* past 64 KiB */
        ASSERT_EQ(parse_changed(phdr(1, offsetof(Elf64_Phdr, p_memsz)), &small, 8, 0), -EINVAL);       /* memsz < filesz */
        ASSERT_EQ(parse_changed(phdr(1, offsetof(Elf64_Phdr, p_filesz)), &big, 8, 0), -EINVAL);       /* filesz > memsz */
        ASSERT_EQ(parse_changed(phdr(2, offsetof(Elf64_Phdr, p_paddr)), &over, 8, 0), -EINVAL);       /* overlaps text */
        ASSERT_EQ(parse_changed(phdr(3, offsetof(Elf64_Phdr, p_memsz)), &big, 8, 0), -EINVAL);        /* span > init_size */
        ASSERT_EQ(parse_changed(phdr(3, offsetof(Elf64_Phdr, p_offset)), &huge_off, 8, 0), -EINVAL);  /* far past its size */
        ASSERT_EQ(parse_changed(offsetof(Elf64_Ehdr, e_entry), &entry_bss, 8, 0), -EINVAL);           /* entry in a hole */
        ASSERT_EQ(parse_changed(0, NULL, 0, 0x9000), -EINVAL);          /* truncated in the last segment */
        ASSERT_EQ(parse_changed(0, NULL, 0, 100), -EINVAL);             /* truncated headers */
}

TEST(base_off_the_2mib_grid_falls_back) {
        size_t size;
        uint8_t *elf = fake_vmlinux_elf(&size);
        struct xkd_vmlinux v = {};

        for (unsigned i = 0; i < 4; i++) {
                uint64_t pa;
                memcpy(&pa, elf + phdr(i, offsetof(Elf64_Phdr, p_paddr)), 8);
                pa += 0x1000;
                memcpy(elf + phdr(i, offsetof(Elf64_Phdr, p_paddr)), &pa, 8);
        }
        uint64_t entry = FAKE_VMLINUX_ENTRY + 0x1000;
        memcpy(elf + offsetof(Elf64_Ehdr, e_entry), &entry, 8);
        ASSERT_EQ(xkd_vmlinux_from_elf(elf, size, 0, MAX_MEM, &v), -EOPNOTSUPP);
        ASSERT_TRUE(v.image == NULL);
        free(elf);
}

static int unpack(const void *payload, size_t n, struct xkd_vmlinux *v) {
        size_t size;
        uint8_t *k = fake_bzimage(&(struct fake_kernel) { .vmlinux = payload, .vmlinux_size = n, .init_size = 0x400000 }, &size);
        struct xkd_bzimage bz;
        int r;

        r = xkd_bzimage_parse(k, size, &bz);
        if (r == 0)
                r = xkd_vmlinux_unpack(&bz, "/boot/vmlinuz-test", v);
        free(k);
        return r;
}

TEST(bzimage_payload_unpacked_raw_and_gzip) {
        size_t size, gz_size;
        uint8_t *elf = fake_vmlinux_elf(&size), *gz = gzip_bytes(elf, size, &gz_size);
        struct xkd_vmlinux v = {};

        ASSERT_EQ(unpack(elf, size, &v), 0);
        assert_layout(&v, elf);
        xkd_vmlinux_done(&v);
        ASSERT_EQ(unpack(gz, gz_size, &v), 0);
        assert_layout(&v, elf);
        xkd_vmlinux_done(&v);
        free(gz);
        free(elf);
}

TEST(corrupt_payload_refused_in_one_line) {
        size_t size, gz_size;
        uint8_t *elf = fake_vmlinux_elf(&size), *gz = gzip_bytes(elf, size, &gz_size);
        struct xkd_vmlinux v = {};

        /* Cut short: the stream ends inside the kernel. */
        stderr_capture_begin();
        ASSERT_EQ(unpack(gz, gz_size / 2, &v), -EBADMSG);
        const char *err = stderr_capture_end();
        ASSERT_CONTAINS(err, "/boot/vmlinuz-test is corrupt");
        ASSERT_CONTAINS(err, "(its gzip payload: damaged");
        ASSERT_CONTAINS(err, "reinstall the kernel package");
        ASSERT_TRUE(strchr(err, '\n') == err + strlen(err) - 1);
        ASSERT_TRUE(v.image == NULL);

        /* Whole length, one flipped bit in the CRC: gzip's check catches it. */
        gz[gz_size - 8] ^= 1;
        stderr_capture_begin();
        ASSERT_EQ(unpack(gz, gz_size, &v), -EBADMSG);
        ASSERT_CONTAINS(stderr_capture_end(), "damaged");
        gz[gz_size - 8] ^= 1;
        ASSERT_EQ(unpack(gz, gz_size, &v), 0);
        xkd_vmlinux_done(&v);

        /* A raw payload cut inside its last segment. */
        stderr_capture_begin();
        ASSERT_EQ(unpack(elf, size - 0x1000, &v), -EINVAL);
        ASSERT_CONTAINS(stderr_capture_end(), "truncated");
        free(gz);
        free(elf);
}

TEST(no_payload_fields_falls_back) {
        size_t size;
        uint8_t *k = fake_bzimage(&(struct fake_kernel) { 0 }, &size);
        struct xkd_bzimage bz;
        struct xkd_vmlinux v = {};

        ASSERT_EQ(xkd_bzimage_parse(k, size, &bz), 0);
        ASSERT_EQ(xkd_vmlinux_unpack(&bz, "/boot/vmlinuz-test", &v), -EOPNOTSUPP);
        free(k);
}

TEST_MAIN()
