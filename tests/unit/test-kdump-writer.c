/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter.h"
#include "kcheck.h"
#include "kdump-writer.h"
#include "test.h"
#include "vmcore.h"
#include "wgen.h"


/* Source machine: two RAM ranges with a hole, zero pages, incompressible
 * pages and patterned ones. */
#define R0_START 16u
#define R0_PAGES 300u
#define R1_START 1024u
#define R1_PAGES 200u

static bool is_zero_mfn(uint64_t mfn) { return mfn % 7 == 0; }
static bool is_random_mfn(uint64_t mfn) { return mfn % 11 == 3; }

static void fill_source(uint64_t mfn, uint8_t *page, void *ud) {
        (void) ud;
        if (is_zero_mfn(mfn))
                return;
        if (is_random_mfn(mfn)) {
                uint64_t x = mfn | 1;
                for (unsigned i = 0; i < 4096; i++) {
                        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                        page[i] = (uint8_t) (x >> 24);
                }
                return;
        }
        wgen_pattern(mfn, page);
}

static void make_vmcore(char *path) {
        struct wgen g = { .nr_ranges = 2, .fill = fill_source };
        int fd;

        g.ranges[0] = (struct wgen_range) { R0_START, R0_PAGES, 0 };
        g.ranges[1] = (struct wgen_range) { R1_START, R1_PAGES, 0 };
        strcpy(path, "/tmp/xkd-writer-vmcore-XXXXXX");
        fd = mkstemp(path);
        close(fd);
        if (wgen_add_xen_notes(&g, 4, 17) < 0 || wgen_write(&g, path) < 0)
                abort();
        wgen_done(&g);
}

static char *tmp_path(const char *tag) {
        static char buf[4][64];
        static unsigned n;
        char *p = buf[n++ % 4];
        int fd;

        snprintf(p, 64, "/tmp/xkd-%s-XXXXXX", tag);
        fd = mkstemp(p);
        close(fd);
        return p;
}

static void mark_if(const struct xkd_bitmap *dump, struct xkd_bitmap *first, uint64_t m) {
        if (xkd_bitmap_test(dump, m))
                xkd_bitmap_set(first, m);
}

/* Runs the filter (no Xen source) and the writer into a file. */
static int dump_to(struct xkd_vmcore *vm, unsigned level, enum xkd_compress c, struct xkd_sink *sink,
                   struct xkd_kdump_result *res, bool mark_complete) {
        struct xkd_bitmap ram, dump;
        struct xkd_filter_stats st;
        struct xkd_kdump_options opt = { .compress = c, .dump_level = level, .nodename = "testhost",
                                          .release = "4.17.7" };
        struct xkd_kdump_writer *w;
        int r = xkd_filter_build(vm, NULL, level, &ram, &dump, &st);

        if (r < 0)
                return r;
        r = xkd_kdump_writer_new(vm, sink, &opt, &w);
        if (r == 0) {
                r = xkd_kdump_write(w, &ram, &dump, res);
                if (r == 0 && mark_complete)
                        r = xkd_kdump_set_complete(w, true);
                xkd_kdump_writer_free(w);
        }
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        return r;
}

static int dump_file(const char *vmcore, const char *out, unsigned level, enum xkd_compress c,
                     struct xkd_kdump_result *res) {
        struct xkd_vmcore *vm;
        struct xkd_sink *sink;
        int fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), r;

        if (fd < 0 || xkd_vmcore_open(vmcore, &vm) < 0)
                return -EIO;
        xkd_sink_file_new(fd, 0, &sink);
        r = dump_to(vm, level, c, sink, res, true);
        sink->free(sink);
        close(fd);
        xkd_vmcore_free(vm);
        return r;
}

static bool in_source(uint64_t mfn) {
        return (mfn >= R0_START && mfn < R0_START + R0_PAGES) || (mfn >= R1_START && mfn < R1_START + R1_PAGES);
}

/* Every source page either reads back identical or is excluded as allowed. */
static int compare_all(const char *out, bool zero_excluded, uint64_t *n_read) {
        /* zero_excluded: zero pages may be missing from the bitmap (never, today). */
        struct kcheck k;
        uint8_t want[4096], got[4096];
        int r = kcheck_open(out, &k);

        *n_read = 0;
        if (r < 0)
                return r;
        for (uint64_t mfn = 0; mfn < k.max_mapnr + 10; mfn++) {
                if (kcheck_is_ram(&k, mfn) != in_source(mfn)) { r = -1; break; }
                if (!in_source(mfn))
                        continue;
                memset(want, 0, sizeof(want));
                fill_source(mfn, want, NULL);
                r = kcheck_read_page(&k, mfn, got);
                if (r == -ENOENT && zero_excluded && is_zero_mfn(mfn)) {
                        r = 0;
                        continue;
                }
                if (r < 0 || memcmp(want, got, 4096) != 0) { r = -2; break; }
                (*n_read)++;
        }
        kcheck_close(&k);
        return r;
}

TEST(roundtrip_level0_every_page_identical) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        uint64_t n;

        make_vmcore(vmcore);
        ASSERT_EQ(dump_file(vmcore, out, 0, XKD_COMPRESS_ZSTD, &res), 0);
        ASSERT_EQ(res.pages, R0_PAGES + R1_PAGES);
        ASSERT_EQ(res.read_errors, 0);
        ASSERT_TRUE(res.raw_pages > 0);         /* random pages stay raw */
        ASSERT_TRUE(res.zero_pages > 0);        /* shared zero page */
        ASSERT_EQ(compare_all(out, false, &n), 0);
        ASSERT_EQ(n, R0_PAGES + R1_PAGES);
        unlink(vmcore);
        unlink(out);
}

TEST(level1_zero_pages_stay_readable_through_one_shared_page) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        struct kdump_page_desc d1, d2;
        struct kcheck k;
        uint64_t n, zeros = 0;

        make_vmcore(vmcore);
        ASSERT_EQ(dump_file(vmcore, out, XKD_DL_ZERO, XKD_COMPRESS_ZSTD, &res), 0);
        for (uint64_t m = 0; m < 2000; m++)
                zeros += in_source(m) && is_zero_mfn(m);
        /* crash fails on excluded zero pages without --zero_excluded: they stay. */
        ASSERT_EQ(res.pages, R0_PAGES + R1_PAGES);
        ASSERT_EQ(res.zero_pages, zeros);
        ASSERT_EQ(compare_all(out, false, &n), 0);
        ASSERT_EQ(n, res.pages);
        ASSERT_EQ(kcheck_open(out, &k), 0);
        ASSERT_TRUE(kcheck_is_dumped(&k, R0_START + 5));      /* mfn 21 = 7*3: zero */
        ASSERT_EQ(kcheck_read_desc(&k, R0_START + 5, &d1), 0);
        ASSERT_EQ(kcheck_read_desc(&k, 28, &d2), 0);            /* 28 = 7*4: zero too */
        ASSERT_EQ(d1.offset, d2.offset);                        /* one shared data page */
        ASSERT_TRUE(d1.size < 100);                             /* and it is compressed */
        ASSERT_EQ(k.sub.dump_level, 1);
        kcheck_close(&k);
        unlink(vmcore);
        unlink(out);
}

TEST(uncompressed_pages_are_raw) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        struct kdump_page_desc d;
        struct kcheck k;
        uint64_t n;

        make_vmcore(vmcore);
        ASSERT_EQ(dump_file(vmcore, out, 0, XKD_COMPRESS_NONE, &res), 0);
        ASSERT_EQ(compare_all(out, false, &n), 0);
        ASSERT_EQ(kcheck_open(out, &k), 0);
        ASSERT_EQ(k.header.status, 0);
        ASSERT_EQ(kcheck_read_desc(&k, R1_START + 1, &d), 0);
        ASSERT_EQ(d.flags, 0);
        ASSERT_EQ(d.size, 4096);
        kcheck_close(&k);
        unlink(vmcore);
        unlink(out);
}

/* A freed writer's buffers and zstd context serve the next writer: each
 * writer still gets its own options (no zstd pages without zstd) and its
 * dump reads back page for page. */
TEST(writers_one_after_another_keep_their_own_options) {
        static const enum xkd_compress order[] = { XKD_COMPRESS_ZSTD, XKD_COMPRESS_NONE, XKD_COMPRESS_ZSTD };
        char vmcore[64];
        struct xkd_kdump_result res;
        struct kdump_page_desc d;
        struct kcheck k;
        uint64_t n;

        make_vmcore(vmcore);
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
                char *out = tmp_path("dump");
                ASSERT_EQ(dump_file(vmcore, out, 0, order[i], &res), 0);
                ASSERT_EQ(compare_all(out, false, &n), 0);
                ASSERT_EQ(n, R0_PAGES + R1_PAGES);
                ASSERT_EQ(kcheck_open(out, &k), 0);
                ASSERT_EQ(kcheck_read_desc(&k, R0_START + 5, &d), 0);    /* a zero page */
                if (order[i] == XKD_COMPRESS_NONE) {
                        ASSERT_EQ(k.header.status, 0);
                        ASSERT_EQ(d.flags, 0);
                        ASSERT_EQ(d.size, 4096);
                } else {
                        ASSERT_TRUE(k.header.status & KDUMP_COMPRESSED_ZSTD);
                        ASSERT_EQ(d.flags, KDUMP_COMPRESSED_ZSTD);
                        ASSERT_TRUE(d.size < 100);
                }
                kcheck_close(&k);
                unlink(out);
        }
        unlink(vmcore);
}

/* E820 RAM often ends mid-page (0x9fc00): that frame is dumped as far as it
 * exists, zero-filled after, and the dump is complete. */
TEST(range_ending_mid_page_is_read_partially) {
        struct wgen g = { .nr_ranges = 2, .fill = fill_source };
        char vmcore[64] = "/tmp/xkd-partial-XXXXXX";
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        uint8_t want[4096], got[4096];
        struct kcheck k;
        int fd = mkstemp(vmcore);

        close(fd);
        g.ranges[0] = (struct wgen_range) { 0, 160, 0x400 };     /* [0, 0x9fc00) */
        g.ranges[1] = (struct wgen_range) { 256, 64, 0 };
        ASSERT_EQ(wgen_add_xen_notes(&g, 4, 17), 0);
        ASSERT_EQ(wgen_write(&g, vmcore), 0);
        ASSERT_EQ(dump_file(vmcore, out, 0, XKD_COMPRESS_ZSTD, &res), 0);
        ASSERT_EQ(res.read_errors, 0);
        ASSERT_EQ(res.pages, 160 + 64);
        ASSERT_EQ(kcheck_open(out, &k), 0);
        ASSERT_EQ(kcheck_read_page(&k, 159, got), 0);
        memset(want, 0, sizeof(want));
        fill_source(159, want, NULL);
        memset(want + 0xc00, 0, 0x400);
        ASSERT_MEMEQ(want, got, 4096);
        kcheck_close(&k);
        wgen_done(&g);
        unlink(vmcore);
        unlink(out);
}

/* A sink that fails with ENOSPC once `limit` bytes went through. */
struct enospc_sink {
        struct xkd_sink base;
        struct xkd_sink *inner;
        uint64_t limit;
};

static int enospc_write_at(struct xkd_sink *s, uint64_t off, const void *buf, size_t len) {
        struct enospc_sink *e = (struct enospc_sink *) s;
        int r;

        if (s->bytes_written + len > e->limit)
                return -ENOSPC;
        r = e->inner->write_at(e->inner, off, buf, len);
        if (r == 0)
                s->bytes_written += len;
        return r;
}

/* Frames written out of pfn order keep their descriptors in pfn order; a dump
 * cut short holds every `first` frame. */
static int dump_ordered(struct xkd_vmcore *vm, struct xkd_sink *sink, struct xkd_kdump_result *res) {
        struct xkd_bitmap ram, dump, first;
        struct xkd_filter_stats st;
        struct xkd_kdump_options opt = { .compress = XKD_COMPRESS_ZSTD };
        struct xkd_kdump_writer *w;
        int r = xkd_filter_build(vm, NULL, 0, &ram, &dump, &st);

        if (r < 0)
                return r;
        xkd_bitmap_init(&first, dump.nbits);
        for (uint64_t m = 0; m < dump.nbits; m++)
                if (m % 5 == 2 || m >= R1_START + R1_PAGES - 20)
                        mark_if(&dump, &first, m);
        r = xkd_kdump_writer_new(vm, sink, &opt, &w);
        if (r == 0) {
                const struct xkd_bitmap *tiers[1] = { &first };
                r = xkd_kdump_write_ordered(w, &ram, &dump, tiers, 1, res);
                if (r == 0)
                        r = xkd_kdump_set_complete(w, true);
                xkd_kdump_writer_free(w);
        }
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_bitmap_done(&first);
        return r;
}

TEST(priority_frames_first_descriptors_still_in_pfn_order) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res, full;
        struct xkd_vmcore *vm;
        struct xkd_sink *file;
        struct enospc_sink e = { .base.write_at = enospc_write_at };
        uint8_t want[4096], got[4096];
        struct kcheck k;
        uint64_t n, missing = 0;
        int fd;

        make_vmcore(vmcore);
        ASSERT_EQ(xkd_vmcore_open(vmcore, &vm), 0);
        /* Complete: every page reads back. */
        fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
        ASSERT_EQ(xkd_sink_file_new(fd, 0, &file), 0);
        ASSERT_EQ(dump_ordered(vm, file, &full), 0);
        file->free(file);
        close(fd);
        ASSERT_EQ(compare_all(out, false, &n), 0);
        ASSERT_EQ(n, R0_PAGES + R1_PAGES);
        /* Cut at a third: all priority frames are there, later ones missing. */
        fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
        ASSERT_EQ(xkd_sink_file_new(fd, 0, &file), 0);
        e.inner = file;
        e.limit = full.file_size / 3;
        ASSERT_EQ(dump_ordered(vm, &e.base, &res), -ENOSPC);
        ASSERT_EQ(kcheck_open(out, &k), 0);
        for (uint64_t m = 0; m < k.max_mapnr; m++) {
                int r;
                if (!in_source(m))
                        continue;
                r = kcheck_read_page(&k, m, got);
                if (m % 5 == 2 || m >= R1_START + R1_PAGES - 20) {
                        ASSERT_EQ(r, 0);
                        memset(want, 0, sizeof(want));
                        fill_source(m, want, NULL);
                        ASSERT_MEMEQ(want, got, 4096);
                } else if (r != 0)
                        missing++;
        }
        ASSERT_TRUE(missing > 0);
        kcheck_close(&k);
        file->free(file);
        close(fd);
        xkd_vmcore_free(vm);
        unlink(vmcore);
        unlink(out);
}

/* Field offsets read back as raw bytes, independent of the structs. */
TEST(header_fields_at_their_offsets) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        uint8_t b[8192];
        int32_t i32;
        uint32_t u32;
        uint64_t u64, note_off, note_size, vi_off, vi_size;
        int fd;

        make_vmcore(vmcore);
        ASSERT_EQ(dump_file(vmcore, out, XKD_DL_ZERO, XKD_COMPRESS_ZSTD, &res), 0);
        fd = open(out, O_RDONLY);
        ASSERT_EQ(pread(fd, b, sizeof(b), 0), (ssize_t) sizeof(b));
        ASSERT_MEMEQ(b, "KDUMP   ", 8);
        memcpy(&i32, b + 8, 4);    ASSERT_EQ(i32, 6);
        ASSERT_STREQ((char *) b + 12, "Xen");                  /* sysname */
        ASSERT_STREQ((char *) b + 12 + 65, "testhost");        /* nodename */
        ASSERT_STREQ((char *) b + 12 + 130, "4.17.7");         /* release */
        ASSERT_STREQ((char *) b + 12 + 260, "x86_64");         /* machine */
        memcpy(&u32, b + 424, 4);  ASSERT_EQ(u32, 0x20);       /* zstd, complete */
        memcpy(&i32, b + 428, 4);  ASSERT_EQ(i32, 4096);
        memcpy(&i32, b + 432, 4);  ASSERT_EQ(i32, 1);          /* sub header blocks */
        memcpy(&u32, b + 436, 4);  ASSERT_EQ(u32, 2);          /* two 1-block bitmaps */
        memcpy(&u32, b + 440, 4);  ASSERT_EQ(u32, R1_START + R1_PAGES);
        memcpy(&i32, b + 460, 4);  ASSERT_EQ(i32, 2);          /* two NT_PRSTATUS */
        memcpy(&i32, b + 4096 + 8, 4);  ASSERT_EQ(i32, 1);     /* dump_level */
        memcpy(&u64, b + 4096 + 96, 8); ASSERT_EQ(u64, R1_START + R1_PAGES); /* max_mapnr_64 */
        memcpy(&note_off, b + 4096 + 48, 8);
        memcpy(&note_size, b + 4096 + 56, 8);
        ASSERT_EQ(note_off, 4096 + 104);
        ASSERT_TRUE(note_size > 0 && note_off + note_size < sizeof(b));
        memcpy(&vi_off, b + 4096 + 32, 8);
        memcpy(&vi_size, b + 4096 + 40, 8);
        ASSERT_TRUE(vi_off > note_off && vi_off + vi_size <= note_off + note_size);
        ASSERT_TRUE(memcmp(b + vi_off, "PAGESIZE=4096\n", 14) == 0); /* VMCOREINFO_XEN's text */
        close(fd);
        unlink(vmcore);
        unlink(out);
}

TEST(enospc_leaves_an_incomplete_dump_that_never_lies) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        struct xkd_vmcore *vm;
        struct xkd_sink *file;
        struct enospc_sink e = { .base.write_at = enospc_write_at };
        uint8_t want[4096], got[4096];
        uint64_t good = 0, missing = 0;
        struct kcheck k;
        int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);

        make_vmcore(vmcore);
        /* Fail at 60% of what the complete dump takes. */
        ASSERT_EQ(dump_file(vmcore, out, 0, XKD_COMPRESS_ZSTD, &res), 0);
        e.limit = res.file_size * 6 / 10;
        ASSERT_EQ(xkd_vmcore_open(vmcore, &vm), 0);
        ASSERT_EQ(xkd_sink_file_new(fd, 0, &file), 0);
        ASSERT_EQ(ftruncate(fd, 0), 0);
        e.inner = file;
        ASSERT_EQ(dump_to(vm, 0, XKD_COMPRESS_ZSTD, &e.base, &res, true), -ENOSPC);
        ASSERT_TRUE(res.pages_done < res.pages);

        ASSERT_EQ(kcheck_open(out, &k), 0);
        ASSERT_TRUE(k.header.status & KDUMP_INCOMPLETE);
        for (uint64_t mfn = 0; mfn < k.max_mapnr; mfn++) {
                int r;
                if (!in_source(mfn))
                        continue;
                memset(want, 0, sizeof(want));
                fill_source(mfn, want, NULL);
                r = kcheck_read_page(&k, mfn, got);
                if (r == -ENODATA || r == -EIO) {
                        missing++;
                        continue;
                }
                ASSERT_EQ(r, 0);
                ASSERT_MEMEQ(want, got, 4096);
                good++;
        }
        ASSERT_TRUE(good > 0);
        ASSERT_TRUE(missing > 0);
        kcheck_close(&k);
        file->free(file);
        close(fd);
        xkd_vmcore_free(vm);
        unlink(vmcore);
        unlink(out);
}

TEST(truncated_vmcore_gives_read_errors_not_wrong_pages) {
        char vmcore[64];
        char *out = tmp_path("dump");
        struct xkd_kdump_result res;
        struct stat st;
        uint8_t want[4096], got[4096];
        struct kcheck k;
        uint64_t good = 0;

        make_vmcore(vmcore);
        ASSERT_EQ(stat(vmcore, &st), 0);
        /* Cut the last range in half, mid-page. */
        ASSERT_EQ(truncate(vmcore, st.st_size - (R1_PAGES / 2) * 4096 - 100), 0);
        ASSERT_EQ(dump_file(vmcore, out, 0, XKD_COMPRESS_ZSTD, &res), 0);
        ASSERT_TRUE(res.read_errors >= 1);
        ASSERT_EQ(kcheck_open(out, &k), 0);
        for (uint64_t mfn = 0; mfn < k.max_mapnr; mfn++) {
                int r = kcheck_read_page(&k, mfn, got);
                if (r == -ENOENT || r == -ENODATA)
                        continue;
                ASSERT_EQ(r, 0);
                memset(want, 0, sizeof(want));
                fill_source(mfn, want, NULL);
                ASSERT_MEMEQ(want, got, 4096);
                good++;
        }
        ASSERT_TRUE(good >= R0_PAGES);
        ASSERT_TRUE(good < R0_PAGES + R1_PAGES);
        kcheck_close(&k);
        unlink(vmcore);
        unlink(out);
}

/* Replays flattened records into a regular file, as `makedumpfile -R` does. */
static int unflatten(const char *flat, const char *out) {
        int in = open(flat, O_RDONLY), o = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
        uint8_t hdr[KDUMP_FLAT_HEADER_SIZE];
        struct kdump_flat_record rec;
        int64_t seen[4096][2];
        unsigned n = 0;
        int r = -EBADMSG;

        if (read(in, hdr, sizeof(hdr)) != sizeof(hdr) || memcmp(hdr, "makedumpfile", 12) != 0)
                goto out;
        while (read(in, &rec, sizeof(rec)) == sizeof(rec)) {
                int64_t off = (int64_t) be64toh((uint64_t) rec.offset), size = (int64_t) be64toh((uint64_t) rec.size);
                uint8_t *buf;
                if (off == -1 && size == -1) {
                        r = 0;
                        break;
                }
                /* crash's flattened reader needs records that never overlap. */
                for (unsigned i = 0; i < n; i++)
                        if (off < seen[i][0] + seen[i][1] && seen[i][0] < off + size) {
                                r = -ENOTUNIQ;
                                goto out;
                        }
                if (n < 4096) {
                        seen[n][0] = off;
                        seen[n++][1] = size;
                }
                buf = malloc((size_t) size);
                if (read(in, buf, (size_t) size) != size || pwrite(o, buf, (size_t) size, off) != size) {
                        free(buf);
                        goto out;
                }
                free(buf);
        }
out:
        close(in);
        close(o);
        return r;
}

TEST(flattened_stream_rebuilds_the_same_dump) {
        char vmcore[64];
        char *flat = tmp_path("flat"), *out = tmp_path("unflat");
        struct xkd_kdump_result res;
        struct xkd_vmcore *vm;
        struct xkd_sink *sink;
        uint64_t n;
        int fd = open(flat, O_RDWR | O_CREAT | O_TRUNC, 0600);

        make_vmcore(vmcore);
        ASSERT_EQ(xkd_vmcore_open(vmcore, &vm), 0);
        ASSERT_EQ(xkd_sink_flat_new(fd, &sink), 0);
        ASSERT_EQ(dump_to(vm, XKD_DL_ZERO, XKD_COMPRESS_ZSTD, sink, &res, true), 0);
        ASSERT_EQ(sink->finish(sink), 0);
        sink->free(sink);
        close(fd);
        ASSERT_EQ(unflatten(flat, out), 0);
        ASSERT_EQ(compare_all(out, false, &n), 0);
        ASSERT_EQ(n, res.pages);
        {
                struct kcheck k;
                ASSERT_EQ(kcheck_open(out, &k), 0);
                ASSERT_EQ(k.header.status, KDUMP_COMPRESSED_ZSTD);      /* one header, complete */
                kcheck_close(&k);
        }
        xkd_vmcore_free(vm);
        unlink(vmcore);
        unlink(flat);
        unlink(out);
}

TEST_MAIN()
