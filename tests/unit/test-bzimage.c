/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "bzimage.h"
#include "loader-fixtures.h"
#include "log.h"
#include "test.h"

static int parse(const struct fake_kernel *k, struct xkd_bzimage *b) {
        size_t size;
        uint8_t *img = fake_bzimage(k, &size);
        int r = xkd_bzimage_parse(img, size, b);
        free(img);
        return r;
}

TEST(valid_image_fields) {
        struct fake_kernel k = { .payload = 100000, .init_size = 0x300000, .kernel_alignment = 0x1000000 };
        size_t size;
        uint8_t *img = fake_bzimage(&k, &size);
        struct xkd_bzimage b;

        ASSERT_EQ(xkd_bzimage_parse(img, size, &b), 0);
        ASSERT_EQ(b.version, 0x020f);
        ASSERT_EQ(b.setup_sects, 4);
        ASSERT_EQ(b.setup_size, 5 * 512);
        ASSERT_EQ(b.kernel_size, 100000);
        ASSERT_TRUE(b.kernel == img + 5 * 512);
        ASSERT_EQ(b.kernel_alignment, 0x1000000);
        ASSERT_EQ(b.init_size, 0x300000);
        ASSERT_EQ(b.cmdline_size, 2047);
        ASSERT_EQ(b.setup_header_end, 0x26c);
        ASSERT_U64_EQ(b.pref_address, 0x1000000);
        free(img);
}

TEST(truncated_refused) {
        struct fake_kernel k = { 0 };
        size_t size;
        uint8_t *img = fake_bzimage(&k, &size);
        struct xkd_bzimage b;

        ASSERT_EQ(xkd_bzimage_parse(img, 100, &b), -EINVAL);          /* shorter than a header */
        ASSERT_EQ(xkd_bzimage_parse(img, 5 * 512, &b), -EINVAL);      /* setup only */
        ASSERT_EQ(xkd_bzimage_parse(img, size - 4096, &b), -EINVAL);  /* syssize says more */
        ASSERT_EQ(xkd_bzimage_parse(img, size, &b), 0);
        free(img);
}

TEST(not_a_bzimage_refused) {
        struct fake_kernel k = { 0 };
        size_t size;
        uint8_t *img = fake_bzimage(&k, &size);
        struct xkd_bzimage b;

        img[0x202] = 'X';
        ASSERT_EQ(xkd_bzimage_parse(img, size, &b), -EINVAL);
        img[0x202] = 'H';
        img[0x1fe] = 0;
        ASSERT_EQ(xkd_bzimage_parse(img, size, &b), -EINVAL);
        free(img);
}

TEST(old_protocol_refused) {
        struct xkd_bzimage b;
        ASSERT_EQ(parse(&(struct fake_kernel) { .version = 0x020b }, &b), -EINVAL);
        ASSERT_EQ(parse(&(struct fake_kernel) { .version = 0x020c }, &b), 0);
}

TEST(non_relocatable_refused) {
        struct xkd_bzimage b;
        ASSERT_EQ(parse(&(struct fake_kernel) { .relocatable = 0xff }, &b), -EINVAL);
}

TEST(no_64bit_entry_refused) {
        struct xkd_bzimage b;
        ASSERT_EQ(parse(&(struct fake_kernel) { .xloadflags = 0xffff }, &b), -EINVAL);
        ASSERT_EQ(parse(&(struct fake_kernel) { .xloadflags = XKD_XLF_CAN_BE_LOADED_ABOVE_4G }, &b), -EINVAL);
}

TEST(zimage_refused) {
        struct xkd_bzimage b;
        ASSERT_EQ(parse(&(struct fake_kernel) { .loadflags = 0x80 }, &b), -EINVAL);
}

TEST(bad_alignment_and_init_size_refused) {
        struct xkd_bzimage b;
        ASSERT_EQ(parse(&(struct fake_kernel) { .kernel_alignment = 0x300000 }, &b), -EINVAL);
        ASSERT_EQ(parse(&(struct fake_kernel) { .kernel_alignment = 0x800 }, &b), -EINVAL);
        ASSERT_EQ(parse(&(struct fake_kernel) { .payload = 8192, .init_size = 4096 }, &b), -EINVAL);
        ASSERT_EQ(parse(&(struct fake_kernel) { .init_size = 0x80000000 }, &b), -EINVAL);
}

TEST(corrupt_header_end_refused) {
        struct fake_kernel k = { 0 };
        size_t size;
        uint8_t *img = fake_bzimage(&k, &size);
        struct xkd_bzimage b;

        img[0x201] = 0xff;      /* jump past the setup header's end */
        ASSERT_EQ(xkd_bzimage_parse(img, size, &b), -EINVAL);
        free(img);
}

TEST_MAIN()
