/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sys/mman.h>

#include "purgatory.h"
#include "purgatory/stub.h"
#include "test.h"

#define DEST 0x20000000ull      /* any page-aligned address away from the regions */

/* Three "segments" in host memory; the stub sees machine addresses as pointers. */
static uint8_t kernel[10000], bootp[4096], initrd[777];

static void fill(void) {
        for (size_t i = 0; i < sizeof(kernel); i++)
                kernel[i] = (uint8_t) (i * 7 + 1);
        for (size_t i = 0; i < sizeof(bootp); i++)
                bootp[i] = (uint8_t) (i ^ 0x5a);
        for (size_t i = 0; i < sizeof(initrd); i++)
                initrd[i] = (uint8_t) (i * 13);
}

/* Params over the host buffers, digest computed the way the loader does. */
static struct xkd_purgatory_params host_params(void) {
        struct xkd_purgatory_params p = { 0 };
        struct xkd_sha256_ctx ctx;
        const struct { void *buf; size_t len; } segs[] = {
                { kernel, sizeof(kernel) }, { bootp, sizeof(bootp) }, { initrd, sizeof(initrd) },
        };

        fill();
        p.kernel_entry = (uintptr_t) kernel + 0x200;
        p.boot_params = (uintptr_t) bootp;
        p.nr_regions = 3;
        xkd_sha256_init(&ctx);
        for (unsigned i = 0; i < 3; i++) {
                p.regions[i].start = (uintptr_t) segs[i].buf;
                p.regions[i].size = segs[i].len;
                xkd_sha256_update(&ctx, segs[i].buf, segs[i].len);
        }
        xkd_sha256_final(&ctx, p.sha256);
        return p;
}

static const uint8_t *find_magic(const uint8_t *img, size_t size, unsigned *count) {
        const uint8_t *found = NULL;

        *count = 0;
        for (size_t i = 0; i + 8 <= size; i++)
                if (memcmp(img + i, XKD_PURGATORY_MAGIC, 8) == 0) {
                        found = img + i;
                        (*count)++;
                }
        return found;
}

TEST(build_patches_params_right_after_the_magic) {
        struct xkd_purgatory_params p = host_params();
        void *img = NULL;
        size_t size = 0, mem = 0;
        unsigned count;

        ASSERT_EQ(xkd_purgatory_build(&p, DEST, &img, &size, &mem), 0);
        const uint8_t *magic = find_magic(img, size, &count);
        ASSERT_EQ(count, 1);
        ASSERT_TRUE((size_t) (magic - (uint8_t *) img) + 8 + sizeof(p) <= size);
        ASSERT_MEMEQ(magic + 8, &p, sizeof(p));
        /* The digest stored is the one over the regions, in order. */
        const struct xkd_purgatory_params *in_img = (const void *) (magic + 8);
        ASSERT_EQ(xkd_purgatory_verify(in_img), 0);
        /* Xen jumps to the first byte: it must be the stub's cli. */
        ASSERT_EQ(((uint8_t *) img)[0], 0xfa);
        free(img);
}

TEST(build_changes_only_the_params_bytes) {
        struct xkd_purgatory_params a = host_params(), b = a;
        void *ia = NULL, *ib = NULL;
        size_t sa, sb, ma, mb, diff_lo = SIZE_MAX, diff_hi = 0;

        b.nr_regions = 2;
        b.serial_port = 0x3f8;
        b.sha256[5] ^= 0xff;
        ASSERT_EQ(xkd_purgatory_build(&a, DEST, &ia, &sa, &ma), 0);
        ASSERT_EQ(xkd_purgatory_build(&b, DEST, &ib, &sb, &mb), 0);
        ASSERT_EQ(sa, sb);
        ASSERT_EQ(ma, mb);
        for (size_t i = 0; i < sa; i++)
                if (((uint8_t *) ia)[i] != ((uint8_t *) ib)[i]) {
                        if (i < diff_lo)
                                diff_lo = i;
                        diff_hi = i;
                }
        ASSERT_TRUE(diff_lo != SIZE_MAX);
        ASSERT_TRUE(diff_lo >= xkd_purgatory_blob_params_offset);
        ASSERT_TRUE(diff_hi < xkd_purgatory_blob_params_offset + sizeof(a));
        free(ia);
        free(ib);
}

/* Position independence: the bytes do not depend on where the stub lands. */
TEST(build_is_identical_at_any_destination) {
        struct xkd_purgatory_params p = host_params();
        static const uint64_t dests[] = { 0x1000, 0x1000000, 0x7fff000, 0x123456000ull };
        void *first = NULL;
        size_t first_size = 0;

        for (unsigned i = 0; i < sizeof(dests) / sizeof(dests[0]); i++) {
                void *img = NULL;
                size_t size, mem;

                ASSERT_EQ(xkd_purgatory_build(&p, dests[i], &img, &size, &mem), 0);
                if (!first) {
                        first = img;
                        first_size = size;
                        continue;
                }
                ASSERT_EQ(size, first_size);
                ASSERT_MEMEQ(img, first, size);
                free(img);
        }
        free(first);
}

TEST(size_bounds) {
        struct xkd_purgatory_params p = host_params();
        void *img = NULL;
        size_t size = 0, mem = 0;

        ASSERT_EQ(xkd_purgatory_build(&p, DEST, &img, &size, &mem), 0);
        ASSERT_TRUE(size >= sizeof(p) + 64);    /* code, GDT and params at least */
        ASSERT_LT(size, 16384);                 /* a few KiB of code and tables */
        ASSERT_EQ(mem % 4096, 0);
        ASSERT_TRUE(mem >= size + 4096);        /* room for the stack past the image */
        ASSERT_LT(mem, 65536);
        ASSERT_EQ(mem, xkd_purgatory_mem_size());
        free(img);
}

static int build_refused(const struct xkd_purgatory_params *p, uint64_t dest) {
        void *img = (void *) 1;
        size_t size = 1, mem = 1;
        int r;

        /* The error lines stay visible in the test log: they are part of what is tested by eye. */
        r = xkd_purgatory_build(p, dest, &img, &size, &mem);
        if (r < 0 && (img != (void *) 1 || size != 1 || mem != 1))
                return -999;    /* a refused build must not touch the outputs */
        if (r == 0)
                free(img);
        return r;
}

TEST(refuses_bad_params) {
        struct xkd_purgatory_params good = host_params(), p;

        ASSERT_EQ(build_refused(&good, DEST), 0);

        p = good;
        p.nr_regions = XKD_PURGATORY_MAX_REGIONS + 1;
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);

        ASSERT_EQ(build_refused(&good, DEST + 1), -EINVAL);
        ASSERT_EQ(build_refused(&good, DEST + 2048), -EINVAL);
        ASSERT_EQ(build_refused(&good, 0), -EINVAL);
        ASSERT_EQ(build_refused(&good, UINT64_MAX & ~4095ull), -EINVAL);

        p = good;               /* a region over the stub's own memory */
        p.regions[1].start = DEST + 4096;
        p.regions[1].size = 1;
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);
        p.regions[1].start = DEST - 4096;
        p.regions[1].size = 4097;
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);

        p = good;               /* just below the stub is fine */
        p.regions[2].start = DEST - 4096;
        p.regions[2].size = 4096;
        ASSERT_EQ(build_refused(&p, DEST), 0);

        p = good;
        p.regions[2].start = UINT64_MAX - 10;
        p.regions[2].size = 20;
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);

        p = good;               /* kernel outside every hashed region */
        p.kernel_entry = (uintptr_t) kernel + sizeof(kernel);
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);
        p = good;
        p.nr_regions = 1;       /* boot_params no longer hashed */
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);
        p = good;
        p.reserved = 1;
        ASSERT_EQ(build_refused(&p, DEST), -EINVAL);

        ASSERT_EQ(xkd_purgatory_build(NULL, DEST, NULL, NULL, NULL), -EINVAL);
}

/* The check the stub runs, compiled for the host. */
TEST(verify_detects_any_change) {
        struct xkd_purgatory_params p = host_params();

        ASSERT_EQ(xkd_purgatory_verify(&p), 0);

        kernel[9999] ^= 1;                      /* one bit in the last byte */
        ASSERT_EQ(xkd_purgatory_verify(&p), -EBADMSG);
        kernel[9999] ^= 1;
        ASSERT_EQ(xkd_purgatory_verify(&p), 0);

        struct xkd_purgatory_region r0 = p.regions[0];  /* same bytes, other order */
        p.regions[0] = p.regions[1];
        p.regions[1] = r0;
        ASSERT_EQ(xkd_purgatory_verify(&p), -EBADMSG);
        p.regions[1] = p.regions[0];
        p.regions[0] = r0;

        p.regions[2].size--;                    /* a shorter region */
        ASSERT_EQ(xkd_purgatory_verify(&p), -EBADMSG);
        p.regions[2].size++;

        p.nr_regions = XKD_PURGATORY_MAX_REGIONS + 1;
        ASSERT_EQ(xkd_purgatory_verify(&p), -E2BIG);

        struct xkd_purgatory_params empty = { 0 };      /* no regions: digest of "" */
        xkd_sha256("", 0, empty.sha256);
        ASSERT_EQ(xkd_purgatory_verify(&empty), 0);
}

/*
 * Run the stub's own machine code: map the built image executable and call
 * purgatory_main inside it, with the params block inside the image.  This is
 * the exact code (freestanding gcc build, no SSE) that runs at crash time.
 */
typedef int (*stub_main_fn)(const struct xkd_purgatory_params *p);

TEST(blob_code_checks_the_digest_on_the_host) {
        struct xkd_purgatory_params p = host_params();
        void *img = NULL;
        size_t size, mem;
        uint8_t *code;

        p.serial_port = XKD_PURGATORY_SERIAL_NONE;      /* port I/O would fault in user space */
        ASSERT_EQ(xkd_purgatory_build(&p, DEST, &img, &size, &mem), 0);
        code = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(code != MAP_FAILED);
        memcpy(code, img, size);
        free(img);
        if (mprotect(code, mem, PROT_READ | PROT_EXEC) != 0) {
                int e = errno;
                munmap(code, mem);
                TEST_SKIP("cannot map code executable here: %s", strerror(e));
        }

        stub_main_fn stub_main = (stub_main_fn) (void *) (code + xkd_purgatory_blob_main_offset);
        const struct xkd_purgatory_params *in_img = (const void *) (code + xkd_purgatory_blob_params_offset);

        int ok = stub_main(in_img);
        initrd[100] ^= 0x80;
        int corrupted = stub_main(in_img);
        initrd[100] ^= 0x80;
        int restored = stub_main(in_img);
        munmap(code, mem);

        ASSERT_EQ(ok, 0);
        ASSERT_EQ(corrupted, -EBADMSG);
        ASSERT_EQ(restored, 0);
}

TEST_MAIN()
