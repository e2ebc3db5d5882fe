/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The writer's page stage: identical pages stored once (collector/page-dedup.c)
 * and pages compressed on several threads (collector/compress-pool.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "compress-pool.h"
#include "filter.h"
#include "kcheck.h"
#include "kdump-writer.h"
#include "page-dedup.h"
#include "test.h"
#include "vmcore.h"
#include "wgen.h"

#define START 16u
#define PAGES 400u

/* Every 5th frame holds the same "A" page, every 7th (not 5th) the same
 * "B" page, which differs from A in one byte; the rest are unique. */
static bool is_a(uint64_t mfn) { return mfn % 5 == 0; }
static bool is_b(uint64_t mfn) { return !is_a(mfn) && mfn % 7 == 0; }

static void fill(uint64_t mfn, uint8_t *page, void *ud) {
        (void) ud;
        if (is_a(mfn) || is_b(mfn)) {
                wgen_pattern(999999, page);     /* poorly compressible: sharing saves ~4 KiB */
                if (is_b(mfn))
                        page[4095] ^= 1;
                return;
        }
        wgen_pattern(mfn, page);
}

static void make_vmcore(char *path) {
        struct wgen g = { .nr_ranges = 1, .fill = fill };
        int fd;

        g.ranges[0] = (struct wgen_range) { START, PAGES, 0 };
        strcpy(path, "/tmp/xkd-dedup-vmcore-XXXXXX");
        fd = mkstemp(path);
        close(fd);
        if (wgen_add_xen_notes(&g, 4, 17) < 0 || wgen_write(&g, path) < 0)
                abort();
        wgen_done(&g);
}

static uint64_t last_reads;     /* the last dump()'s reads of its vmcore */

static int dump(const char *vmcore, const char *out, const struct xkd_kdump_options *o,
                struct xkd_kdump_result *res) {
        struct xkd_kdump_options opt = *o;
        struct xkd_bitmap ram, map;
        struct xkd_filter_stats st;
        struct xkd_kdump_writer *w;
        struct xkd_vmcore *vm;
        struct xkd_sink *sink;
        int fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), r;

        if (fd < 0 || xkd_vmcore_open(vmcore, &vm) < 0)
                return -EIO;
        opt.nodename = "testhost";
        opt.release = "4.17.7";
        r = xkd_filter_build(vm, NULL, 0, &ram, &map, &st);
        if (r == 0) {
                xkd_sink_file_new(fd, 0, &sink);
                r = xkd_kdump_writer_new(vm, sink, &opt, &w);
                if (r == 0) {
                        r = xkd_kdump_write(w, &ram, &map, res);
                        if (r == 0)
                                r = xkd_kdump_set_complete(w, true);
                        xkd_kdump_writer_free(w);
                }
                sink->free(sink);
                xkd_bitmap_done(&ram);
                xkd_bitmap_done(&map);
        }
        close(fd);
        uint64_t bytes;
        xkd_vmcore_read_stats(vm, &last_reads, &bytes);
        xkd_vmcore_free(vm);
        return r;
}

/* Every page reads back with its own content through an independent reader. */
static int read_back_all(const char *out) {
        struct kcheck k;
        uint8_t want[4096], got[4096];
        int r = kcheck_open(out, &k);

        if (r < 0)
                return r;
        for (uint64_t mfn = START; r == 0 && mfn < START + PAGES; mfn++) {
                memset(want, 0, sizeof(want));
                fill(mfn, want, NULL);
                r = kcheck_read_page(&k, mfn, got);
                if (r == 0 && memcmp(want, got, sizeof(got)) != 0)
                        r = -EBADMSG;
        }
        kcheck_close(&k);
        return r;
}

static uint64_t count(bool (*f)(uint64_t)) {
        uint64_t n = 0;
        for (uint64_t m = START; m < START + PAGES; m++)
                n += f(m);
        return n;
}

static off_t file_size(const char *p) {
        struct stat st;
        return stat(p, &st) == 0 ? st.st_size : -1;
}

TEST(identical_pages_share_one_data_block) {
        char vmcore[64], out[] = "/tmp/xkd-dedup-out-XXXXXX", plain[] = "/tmp/xkd-dedup-plain-XXXXXX";
        struct xkd_kdump_options on = { .compress = XKD_COMPRESS_ZSTD }, off = on;
        struct xkd_kdump_result res, res_off;
        struct kdump_page_desc a1, a2, b1, b2, u;
        struct kcheck k;

        close(mkstemp(out));
        close(mkstemp(plain));
        make_vmcore(vmcore);
        off.no_dedup = true;
        ASSERT_EQ(dump(vmcore, out, &on, &res), 0);
        ASSERT_EQ(dump(vmcore, plain, &off, &res_off), 0);
        /* Each of A and B is stored once; everything else once each. */
        ASSERT_EQ(res.dup_pages, count(is_a) - 1 + count(is_b) - 1);
        ASSERT_EQ(res_off.dup_pages, 0);
        ASSERT_EQ(read_back_all(out), 0);
        ASSERT_EQ(read_back_all(plain), 0);
        ASSERT_EQ(kcheck_open(out, &k), 0);
        ASSERT_EQ(kcheck_read_desc(&k, 20, &a1), 0);
        ASSERT_EQ(kcheck_read_desc(&k, 400, &a2), 0);
        ASSERT_EQ(kcheck_read_desc(&k, 21, &b1), 0);
        ASSERT_EQ(kcheck_read_desc(&k, 406, &b2), 0);
        ASSERT_EQ(kcheck_read_desc(&k, 22, &u), 0);
        kcheck_close(&k);
        ASSERT_EQ(a1.offset, a2.offset);
        ASSERT_EQ(b1.offset, b2.offset);
        ASSERT_TRUE(a1.offset != b1.offset);    /* one byte apart: not the same page */
        ASSERT_TRUE(u.offset != a1.offset && u.offset != b1.offset);
        /* The bytes saved are the shared pages' data. */
        ASSERT_TRUE(file_size(out) + (off_t) (res.dup_pages * 2048) < file_size(plain));
        unlink(vmcore);
        unlink(out);
        unlink(plain);
}

/* A digest is only where to look: pages that collide but differ are both
 * stored (the digest here says every page is the same). */
static uint64_t one_digest(const void *page) {
        (void) page;
        return 42;
}

/* The comparison a hit needs reads the earlier frame; A and B are each
 * compared ~50 times, and the kept copies make that two reads, not ~120
 * (each a syscall into old memory in the capture kernel). */
TEST(duplicates_are_compared_without_reading_the_earlier_frame_again) {
        char vmcore[64], out[] = "/tmp/xkd-dedup-reads-XXXXXX";
        struct xkd_kdump_options on = { .compress = XKD_COMPRESS_ZSTD }, off = on;
        struct xkd_kdump_result res;
        uint64_t with, without;

        close(mkstemp(out));
        make_vmcore(vmcore);
        off.no_dedup = true;
        ASSERT_EQ(dump(vmcore, out, &off, &res), 0);
        without = last_reads;
        ASSERT_EQ(dump(vmcore, out, &on, &res), 0);
        with = last_reads;
        ASSERT_EQ(res.dup_pages, count(is_a) - 1 + count(is_b) - 1);
        ASSERT_EQ(read_back_all(out), 0);
        ASSERT_LT(with, without + 3);   /* one read of A, one of B */
        unlink(vmcore);
        unlink(out);
}

TEST(colliding_digests_never_share_different_pages) {
        char vmcore[64], out[] = "/tmp/xkd-dedup-coll-XXXXXX";
        struct xkd_kdump_options opt = { .compress = XKD_COMPRESS_ZSTD, .page_digest = one_digest };
        struct xkd_kdump_result res;

        close(mkstemp(out));
        make_vmcore(vmcore);
        ASSERT_EQ(dump(vmcore, out, &opt, &res), 0);
        ASSERT_EQ(read_back_all(out), 0);
        /* One slot remembers the last page only: A after A is the only hit
         * left (frames 20 and 21 differ, 20 and 25 have 21-24 between). */
        ASSERT_EQ(res.dup_pages, 0);
        unlink(vmcore);
        unlink(out);
}

TEST(a_one_slot_table_still_dumps_every_page_right) {
        char vmcore[64], out[] = "/tmp/xkd-dedup-small-XXXXXX";
        struct xkd_kdump_options opt = { .compress = XKD_COMPRESS_NONE, .dedup_slots_log2 = 1 };
        struct xkd_kdump_result res;

        close(mkstemp(out));
        make_vmcore(vmcore);
        ASSERT_EQ(dump(vmcore, out, &opt, &res), 0);
        ASSERT_EQ(read_back_all(out), 0);
        ASSERT_TRUE(res.dup_pages < count(is_a) + count(is_b) - 2);     /* forgets: fewer hits, same content */
        unlink(vmcore);
        unlink(out);
}

TEST(table_is_bounded_and_replaces_by_slot) {
        struct xkd_page_dedup *d;
        struct kdump_page_desc in = { .offset = 8192, .size = 100, .flags = 0x20 }, got;
        uint64_t mfn;

        ASSERT_EQ(xkd_page_dedup_new(25, &d), -EINVAL);
        ASSERT_EQ(xkd_page_dedup_new(2, &d), 0);
        ASSERT_TRUE(!xkd_page_dedup_find(d, 5, &mfn, &got));
        xkd_page_dedup_add(d, 5, 77, &in);
        ASSERT_TRUE(xkd_page_dedup_find(d, 5, &mfn, &got));
        ASSERT_EQ(mfn, 77);
        ASSERT_EQ(got.offset, 8192);
        ASSERT_EQ(got.size, 100);
        ASSERT_EQ(got.flags, 0x20);
        ASSERT_TRUE(!xkd_page_dedup_find(d, 9, &mfn, &got));   /* same slot, other digest */
        in.offset = 12288;
        xkd_page_dedup_add(d, 9, 78, &in);                     /* replaces 5 */
        ASSERT_TRUE(!xkd_page_dedup_find(d, 5, &mfn, &got));
        ASSERT_TRUE(xkd_page_dedup_find(d, 9, &mfn, &got) && mfn == 78);
        xkd_page_dedup_free(d);
}

TEST(digest_depends_on_every_word) {
        uint8_t p[4096];
        uint64_t h0;

        wgen_pattern(3, p);
        h0 = xkd_page_digest(p);
        for (unsigned i = 0; i < 4096; i += 8) {
                p[i + 7] ^= 0x80;
                ASSERT_TRUE(xkd_page_digest(p) != h0);
                p[i + 7] ^= 0x80;
        }
        ASSERT_EQ(xkd_page_digest(p), h0);
}

static bool same_after_block0(const char *a, const char *b) {
        FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
        bool same = fa && fb;
        int ca, cb;

        if (same) {
                fseek(fa, 4096, SEEK_SET);
                fseek(fb, 4096, SEEK_SET);
                do {
                        ca = fgetc(fa);
                        cb = fgetc(fb);
                } while (ca == cb && ca != EOF);
                same = ca == cb;
        }
        if (fa)
                fclose(fa);
        if (fb)
                fclose(fb);
        return same;
}

TEST(threaded_compression_writes_the_same_dump) {
        char vmcore[64], one[] = "/tmp/xkd-pool-one-XXXXXX", three[] = "/tmp/xkd-pool-three-XXXXXX";
        struct xkd_kdump_options o1 = { .compress = XKD_COMPRESS_ZSTD }, o3 = o1;
        struct xkd_kdump_result r1, r3;

        close(mkstemp(one));
        close(mkstemp(three));
        make_vmcore(vmcore);
        o3.compress_threads = 3;
        ASSERT_EQ(dump(vmcore, one, &o1, &r1), 0);
        ASSERT_EQ(dump(vmcore, three, &o3, &r3), 0);
        ASSERT_EQ(read_back_all(three), 0);
        ASSERT_EQ(r3.dup_pages, r1.dup_pages);
        ASSERT_EQ(r3.raw_pages, r1.raw_pages);
        /* Byte for byte, after block 0 (its timestamp). */
        ASSERT_TRUE(same_after_block0(one, three));
        unlink(vmcore);
        unlink(one);
        unlink(three);
}

TEST(pool_compresses_each_page_as_one_context_would) {
        enum { N = 67 };
        static uint8_t pages[N * 4096], out[N * 4096], want[4096];
        bool skip[N];
        uint32_t sizes[N];
        struct xkd_compress_pool *p;
        ZSTD_CCtx *c = ZSTD_createCCtx();
        unsigned raw = 0, packed = 0, wrong = 0;

        ASSERT_EQ(xkd_compress_pool_new(1, 1, &p), -EINVAL);
        ASSERT_EQ(xkd_compress_pool_new(XKD_COMPRESS_POOL_MAX_THREADS + 1, 1, &p), -EINVAL);
        ASSERT_EQ(xkd_compress_pool_new(4, 1, &p), 0);
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
        ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
        for (unsigned i = 0; i < N; i++) {
                wgen_pattern(i % 9 == 4 ? 1000 + i : i / 3, pages + i * 4096);
                if (i % 9 == 4) {       /* incompressible: raw */
                        uint64_t x = i + 1;
                        for (unsigned b = 0; b < 4096; b++) {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                pages[i * 4096 + b] = (uint8_t) (x >> 24);
                        }
                }
                skip[i] = i % 5 == 2;
        }
        for (unsigned round = 0; round < 3; round++) {          /* the pool is reused batch after batch */
                memset(sizes, 0xff, sizeof(sizes));
                xkd_compress_pool_run(p, pages, N - round, skip, out, sizes);
                for (unsigned i = 0; i < N - round; i++) {
                        size_t n = ZSTD_compress2(c, want, 4095, pages + i * 4096, 4096);
                        if (skip[i] || ZSTD_isError(n) || n >= 4096) {
                                wrong += sizes[i] != 0;
                                raw += !skip[i];
                                continue;
                        }
                        packed++;
                        wrong += sizes[i] != n || memcmp(out + i * 4096, want, n) != 0;
                }
        }
        xkd_compress_pool_free(p);
        ZSTD_freeCCtx(c);
        ASSERT_EQ(wrong, 0);
        ASSERT_TRUE(raw > 0 && packed > 0);
}

TEST_MAIN()
