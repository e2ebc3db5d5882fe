/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "test.h"
#include "vmcore.h"
#include "wgen.h"


#define DOM0     0xffff830012345000ull
#define DOMU_A   0xffff830022222000ull
#define DOMU_B   0xffff830033333000ull
#define DOM_XEN  0xffff830044444000ull
#define DOM_IO   0xffff830055555000ull

#define ALLOCATED (1ull << 63)
#define XEN_HEAP  (1ull << 62)

/* count_info in one of the two layouts: state at bit 55 or 58, broken at 57 or 60. */
static uint64_t ci_state(enum xkd_pgc_layout l, unsigned state) {
        return (uint64_t) state << (l == XKD_PGC_XSA402 ? 58 : 55);
}
static uint64_t ci_broken(enum xkd_pgc_layout l) {
        return 1ull << (l == XKD_PGC_XSA402 ? 60 : 57);
}

static struct xkd_frame_source make_src(unsigned major, unsigned minor, void *ctx,
                                        int (*fn)(void *, uint64_t, uint64_t *, uint64_t *)) {
        struct xkd_frame_source s = {
                .ctx = ctx, .page_info = fn, .xen_major = major, .xen_minor = minor,
                .dom0 = DOM0, .system_owners = { DOM_XEN, DOM_IO }, .n_system_owners = 2,
        };
        return s;
}

TEST(classify_every_kind_in_both_layouts) {
        enum xkd_pgc_layout layouts[] = { XKD_PGC_PRE_XSA402, XKD_PGC_XSA402 };

        for (unsigned i = 0; i < 2; i++) {
                enum xkd_pgc_layout l = layouts[i];
                struct xkd_frame_source s = make_src(4, 17, NULL, NULL);

                ASSERT_EQ(xkd_classify_frame(l, XEN_HEAP | 1, 0, &s), XKD_PAGE_XEN_HEAP);
                ASSERT_EQ(xkd_classify_frame(l, ci_state(l, 3), 5, &s), XKD_PAGE_FREE);
                /* dirty free page (need_scrub reuses PGC_allocated) */
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | ci_state(l, 3), 0, &s), XKD_PAGE_FREE);
                ASSERT_EQ(xkd_classify_frame(l, ci_state(l, 2), 0, &s), XKD_PAGE_OFFLINE);
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | ci_broken(l) | 1, DOM0, &s), XKD_PAGE_OFFLINE);
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | 1, DOM0, &s), XKD_PAGE_DOM0);
                /* offlining pages are still in use */
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | ci_state(l, 1) | 1, DOM0, &s), XKD_PAGE_DOM0);
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | 2, DOMU_A, &s), XKD_PAGE_DOMU);
                ASSERT_EQ(xkd_classify_frame(l, 1, 0, &s), XKD_PAGE_XEN_ANON);
                ASSERT_EQ(xkd_classify_frame(l, 0, 0, &s), XKD_PAGE_XEN_ANON);
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | 1, DOM_XEN, &s), XKD_PAGE_XEN_SYSTEM);
                ASSERT_EQ(xkd_classify_frame(l, ALLOCATED | 1, DOM_IO, &s), XKD_PAGE_XEN_SYSTEM);
        }
        /* The layouts really differ: an XSA-402 free page is not free in the old one. */
        {
                struct xkd_frame_source s = make_src(4, 17, NULL, NULL);
                ASSERT_NE(xkd_classify_frame(XKD_PGC_PRE_XSA402, ci_state(XKD_PGC_XSA402, 3), DOM0, &s),
                          XKD_PAGE_FREE);
        }
}

TEST(layout_by_version) {
        ASSERT_EQ(xkd_pgc_layout_for_version(4, 17), XKD_PGC_XSA402);
        ASSERT_EQ(xkd_pgc_layout_for_version(4, 22), XKD_PGC_XSA402);
        ASSERT_EQ(xkd_pgc_layout_for_version(4, 16), XKD_PGC_UNKNOWN);
        ASSERT_EQ(xkd_pgc_layout_for_version(4, 14), XKD_PGC_UNKNOWN);
        ASSERT_TRUE(xkd_xen_version_covered(4, 14));
        ASSERT_FALSE(xkd_xen_version_covered(4, 13));
        ASSERT_FALSE(xkd_xen_version_covered(4, 23));
        ASSERT_FALSE(xkd_xen_version_covered(5, 0));
        ASSERT_EQ(xkd_pgc_layout_for_version(4, 23), XKD_PGC_UNKNOWN);
}

/* A synthetic host: RAM frames 16..16+N, kinds by mfn % 10. */
#define FIRST 16u
#define N     800u

enum kind { K_HEAP, K_FREE, K_DOMU_A, K_DOM0, K_ANON, K_DOMXEN, K_OFFLINED, K_BROKEN, K_DOMU_B, K_NOINFO };

static enum kind kind_of(uint64_t mfn) { return (enum kind) (mfn % 10); }

static bool expected_kept(uint64_t mfn) {
        switch (kind_of(mfn)) {
        case K_FREE: case K_DOMU_A: case K_DOMU_B: case K_OFFLINED: case K_BROKEN:
                return false;
        default:
                return true;
        }
}

struct frames { enum xkd_pgc_layout layout; };

static int frames_page_info(void *ctx, uint64_t mfn, uint64_t *ci, uint64_t *owner) {
        enum xkd_pgc_layout l = ((struct frames *) ctx)->layout;

        *owner = 0;
        switch (kind_of(mfn)) {
        case K_HEAP:    *ci = XEN_HEAP; break;
        case K_FREE:    *ci = ci_state(l, 3) | (mfn & 16 ? ALLOCATED : 0); *owner = mfn & 7; break;
        case K_DOMU_A:  *ci = ALLOCATED | 1; *owner = DOMU_A; break;
        case K_DOM0:    *ci = ALLOCATED | 1; *owner = DOM0; break;
        case K_ANON:    *ci = 1; break;
        case K_DOMXEN:  *ci = ALLOCATED | 2; *owner = DOM_XEN; break;
        case K_OFFLINED:*ci = ci_state(l, 2); break;
        case K_BROKEN:  *ci = ALLOCATED | ci_broken(l) | 1; *owner = DOM0; break;
        case K_DOMU_B:  *ci = ALLOCATED | 3; *owner = DOMU_B; break;
        case K_NOINFO:  return -ENOENT;
        }
        return 0;
}

static void fill_page(uint64_t mfn, uint8_t *page, void *ud) {
        (void) ud;
        if (mfn % 3 == 0)
                return; /* zero page */
        wgen_pattern(mfn, page);
}

static struct xkd_vmcore *host(char *path) {
        struct wgen g = { .nr_ranges = 1, .fill = fill_page };
        struct xkd_vmcore *vm = NULL;
        int fd;

        g.ranges[0] = (struct wgen_range) { FIRST, N, 0 };
        strcpy(path, "/tmp/xkd-filter-XXXXXX");
        fd = mkstemp(path);
        close(fd);
        if (wgen_add_xen_notes(&g, 4, 17) < 0 || wgen_write(&g, path) < 0 || xkd_vmcore_open(path, &vm) < 0)
                abort();
        wgen_done(&g);
        return vm;
}

static int count_mismatches(const struct xkd_bitmap *ram, const struct xkd_bitmap *dump, bool xen_applied,
                            bool zero_applied) {
        int bad = 0;

        for (uint64_t mfn = 0; mfn < ram->nbits + 8; mfn++) {
                bool in_ram = mfn >= FIRST && mfn < FIRST + N;
                /* Zero pages are never dropped from the bitmap (the writer shares them). */
                bool want = in_ram && (!xen_applied || expected_kept(mfn));
                (void) zero_applied;
                bad += xkd_bitmap_test(ram, mfn) != in_ram;
                bad += xkd_bitmap_test(dump, mfn) != want;
        }
        return bad;
}

static void run_case(unsigned minor, enum xkd_pgc_layout data_layout, unsigned level, bool expect_xen,
                     uint64_t dom0) {
        char path[64];
        struct xkd_vmcore *vm = host(path);
        struct frames f = { data_layout };
        struct xkd_frame_source s = make_src(4, minor, &f, frames_page_info);
        struct xkd_bitmap ram, dump;
        struct xkd_filter_stats st;

        s.dom0 = dom0;
        ASSERT_EQ(xkd_filter_build(vm, &s, level, &ram, &dump, &st), 0);
        ASSERT_EQ(count_mismatches(&ram, &dump, expect_xen, level & XKD_DL_ZERO), 0);
        ASSERT_EQ(!!(st.level_applied & XKD_DL_XEN), expect_xen);
        if (expect_xen) {
                ASSERT_EQ(st.layout, data_layout);
                ASSERT_EQ(st.class_pages[XKD_PAGE_FREE], N / 10);
                ASSERT_EQ(st.class_pages[XKD_PAGE_DOMU], 2 * N / 10);
                ASSERT_EQ(st.class_pages[XKD_PAGE_DOM0], N / 10);
                ASSERT_EQ(st.class_pages[XKD_PAGE_OFFLINE], 2 * N / 10);
                ASSERT_EQ(st.class_pages[XKD_PAGE_KEEP_NO_INFO], N / 10);
        }
        ASSERT_EQ(st.ram_pages, N);
        ASSERT_EQ(st.dumped_pages, xkd_bitmap_count(&dump));
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_vmcore_free(vm);
        unlink(path);
}

TEST(xen_417_excludes_free_domu_offline_page_by_page) {
        run_case(17, XKD_PGC_XSA402, XKD_DL_XEN, true, DOM0);
}

TEST(xen_417_with_zero_pages) {
        run_case(17, XKD_PGC_XSA402, XKD_DL_XEN | XKD_DL_ZERO, true, DOM0);
}

TEST(xen_415_unpatched_layout_found_by_probe) {
        run_case(15, XKD_PGC_PRE_XSA402, XKD_DL_XEN, true, DOM0);
}

TEST(xen_416_with_xsa402_backport_found_by_probe) {
        run_case(16, XKD_PGC_XSA402, XKD_DL_XEN, true, DOM0);
}

TEST(contradicting_frame_table_keeps_everything) {
        run_case(17, XKD_PGC_PRE_XSA402, XKD_DL_XEN | XKD_DL_ZERO, false, DOM0);
}

TEST(unknown_version_keeps_everything) {
        run_case(30, XKD_PGC_XSA402, XKD_DL_XEN, false, DOM0);
        run_case(13, XKD_PGC_PRE_XSA402, XKD_DL_XEN, false, DOM0);
}

TEST(unknown_dom0_keeps_everything) {
        run_case(17, XKD_PGC_XSA402, XKD_DL_XEN, false, 0);
}

TEST(level_without_xen_bit_keeps_everything) {
        run_case(17, XKD_PGC_XSA402, XKD_DL_ZERO, false, DOM0);
}

TEST(no_frame_source_keeps_everything) {
        char path[64];
        struct xkd_vmcore *vm = host(path);
        struct xkd_bitmap ram, dump;
        struct xkd_filter_stats st;

        ASSERT_EQ(xkd_filter_build(vm, NULL, XKD_DL_XEN, &ram, &dump, &st), 0);
        ASSERT_EQ(count_mismatches(&ram, &dump, false, false), 0);
        ASSERT_EQ(xkd_filter_build(vm, NULL, 64, &ram, &dump, &st), -EINVAL);
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_vmcore_free(vm);
        unlink(path);
}

TEST_MAIN()
