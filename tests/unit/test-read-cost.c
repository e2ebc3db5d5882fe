/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How many reads of the vmcore the collector makes before the dump.  In the
 * capture kernel each is a syscall that maps old memory page by page, and
 * under emulation a dear one: the frame table is read in runs of pages, the
 * report is gathered once for both of its writes, dom0's struct pages come
 * VMEMMAP_READ_PAGES at a time.  The answers must not change for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter-xen.h"
#include "filter.h"
#include "report.h"
#include "test.h"
#include "vmcore-gen-internal.h"
#include "vmcore-gen.h"
#include "xen.h"

#define RAM (32u << 20)                 /* 8192 frames: 64 frame-table pages */
#define FT_PAGES (RAM / 4096 * 32 / 4096)

struct host {
        char dir[64], path[96];
        struct vmgen *g;
        struct xkd_vmcore *vm;
        struct xkd_xen *x;
        uint64_t d0, d1, d1_set;        /* domains; frames given to d1 */
};

static void host_open(struct host *h, bool contiguous) {
        strcpy(h->dir, "/tmp/xkd-reads-XXXXXX");
        if (!mkdtemp(h->dir))
                abort();
        snprintf(h->path, sizeof(h->path), "%s/vmcore", h->dir);
        h->g = vmgen_new(&(struct vmgen_config) { .ram_size = RAM, .frame_table_contiguous = contiguous });
        h->d0 = vmgen_add_domain(h->g, 0);
        h->d1 = vmgen_add_domain(h->g, 1);
        h->d1_set = 0;
        /* Free, dom0's and a domU's frames, so a wrong entry would show. */
        for (uint64_t mfn = 1024; mfn < 6000; mfn++)
                if (!vmgen_is_xen_page(h->g, mfn)) {
                        vmgen_set_page_info(h->g, mfn, mfn % 3 == 0 ? 3ull << 58 : 1ull << 63 | 1,
                                            mfn % 3 == 1 ? h->d1 : h->d0);
                        h->d1_set += mfn % 3 == 1;
                }
        if (vmgen_write(h->g, h->path) < 0 || xkd_vmcore_open(h->path, &h->vm) < 0 || xkd_xen_open(h->vm, &h->x) < 0)
                abort();
}

static void host_close(struct host *h) {
        xkd_xen_free(h->x);
        xkd_vmcore_free(h->vm);
        vmgen_free(h->g);
        unlink(h->path);
        rmdir(h->dir);
}

static uint64_t reads(struct xkd_vmcore *vm) {
        uint64_t n, bytes;
        xkd_vmcore_read_stats(vm, &n, &bytes);
        return n;
}

/* Every frame's entry, as the report's owner count reads them. */
static uint64_t scan_owners(struct host *h, uint64_t *d1_pages) {
        uint64_t before = reads(h->vm), ci, owner;

        *d1_pages = 0;
        for (uint64_t mfn = 0; mfn < RAM / 4096; mfn++)
                if (xkd_xen_page_info(h->x, mfn, &ci, &owner) == 0 && owner == h->d1)
                        (*d1_pages)++;
        return reads(h->vm) - before;
}

TEST(frame_table_scan_reads_machine_contiguous_pages_in_runs) {
        struct host h;
        uint64_t n, d1, d1_scattered;

        host_open(&h, false);
        n = scan_owners(&h, &d1_scattered);
        /* Scattered pages: one read each, and no page-table page read twice. */
        ASSERT_LT(n, FT_PAGES + 8);
        host_close(&h);

        host_open(&h, true);
        n = scan_owners(&h, &d1);
        ASSERT_EQ(d1, d1_scattered);
        ASSERT_U64_EQ(d1, h.d1_set);
        ASSERT_LT(n, FT_PAGES / 16 + 8);
        host_close(&h);
}

TEST(filter_reads_the_frame_table_in_runs) {
        struct xkd_frame_source src;
        struct xkd_frame_reader *fr;
        struct xkd_bitmap ram, dump;
        struct xkd_filter_stats st;
        struct host h;

        host_open(&h, true);
        ASSERT_EQ(xkd_frame_source_from_xen(h.x, &src, &fr), 0);
        uint64_t before = reads(h.vm);
        ASSERT_EQ(xkd_filter_build(h.vm, &src, XKD_DL_XEN, &ram, &dump, &st), 0);
        ASSERT_TRUE(st.level_applied & XKD_DL_XEN);
        ASSERT_U64_EQ(st.class_pages[XKD_PAGE_DOMU], h.d1_set);
        /* The layout probe and the pass over every frame: twice the table. */
        ASSERT_LT(reads(h.vm) - before, 2 * (FT_PAGES / 16) + 8);
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_frame_reader_free(fr);
        host_close(&h);
}

static char *slurp(int dirfd, const char *name) {
        static char buf[65536];
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        if (fd >= 0)
                close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

/* The report is written before the dump and again with its outcome: the
 * second time renders what the first gathered (a whole frame-table scan). */
TEST(report_written_again_reads_nothing) {
        struct xkd_report *rep;
        struct host h;
        int dirfd;

        host_open(&h, true);
        dirfd = open(h.dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(dirfd >= 0);
        ASSERT_EQ(xkd_report_open(h.vm, &rep), 0);
        ASSERT_EQ(xkd_report_save(rep, dirfd, NULL), 0);
        char *first = strdup(slurp(dirfd, "report.json"));
        uint64_t before = reads(h.vm);
        ASSERT_EQ(xkd_report_save(rep, dirfd, &(struct xkd_report_dump) { .file = "vmcore", .status = "complete",
                                                                         .engine = "xen-kdump", .level = 63 }), 0);
        ASSERT_U64_EQ(reads(h.vm) - before, 0);
        ASSERT_CONTAINS(slurp(dirfd, "report.txt"), "complete");
        /* Up to the dump section (new), what the first one said. */
        char *second = slurp(dirfd, "report.json"), *m = strstr(first, "\"missing\""), *d = strstr(second, "\"dump\"");
        ASSERT_TRUE(m && d);
        *m = *d = '\0';
        ASSERT_STREQ(first, second);
        free(first);
        xkd_report_free(rep);
        unlinkat(dirfd, "report.txt", 0);
        unlinkat(dirfd, "report.json", 0);
        close(dirfd);
        host_close(&h);
}

/* Bulk reads (what gets a mapped window) going back and forth between two
 * parts of memory, as the dom0 walk does between struct pages and the frame
 * table, map each part once. */
TEST(vmcore_keeps_several_windows_mapped) {
        static uint8_t buf[64 << 10];
        struct host h;

        host_open(&h, true);
        uint64_t before = xkd_vmcore_maps(h.vm);
        for (int i = 0; i < 100; i++) {
                ASSERT_EQ(xkd_vmcore_read(h.vm, 0x100000, buf, sizeof(buf)), 0);
                ASSERT_EQ(xkd_vmcore_read(h.vm, RAM - 0x100000, buf, sizeof(buf)), 0);
        }
        ASSERT_LT(xkd_vmcore_maps(h.vm) - before, 3);
        ASSERT_TRUE(xkd_vmcore_maps(h.vm) - before > 0);        /* the windows are what is measured */
        host_close(&h);
}

/* Reads of the priority pass (Xen's frames, dom0's p2m and kernel first) on
 * a dom0 host whose p2m frame-list-list has `repeats` more entries naming
 * its frame-list page, as Linux's unused entries all name p2m_mid_missing. */
static uint64_t priority_reads(unsigned repeats) {
        struct vmgen_config cfg = { .dom0 = true, .dom0_pages = 64 };
        struct xkd_frame_source src;
        struct xkd_frame_reader *fr;
        struct xkd_bitmap ram, dump, first, second;
        struct xkd_filter_stats st;
        struct host h = { 0 };
        uint64_t fl, before, n;

        strcpy(h.dir, "/tmp/xkd-reads-XXXXXX");
        if (!mkdtemp(h.dir))
                abort();
        snprintf(h.path, sizeof(h.path), "%s/vmcore", h.dir);
        h.g = vmgen_new(&cfg);
        memcpy(&fl, vmgen_page(h.g, h.g->dom0_fll_mfn), 8);
        for (unsigned i = 1; i <= repeats; i++)
                memcpy(vmgen_page(h.g, h.g->dom0_fll_mfn) + i * 8, &fl, 8);
        if (vmgen_write(h.g, h.path) < 0 || xkd_vmcore_open(h.path, &h.vm) < 0 || xkd_xen_open(h.vm, &h.x) < 0 ||
            xkd_frame_source_from_xen(h.x, &src, &fr) < 0 ||
            xkd_filter_build(h.vm, &src, XKD_DL_XEN, &ram, &dump, &st) < 0 || !(st.level_applied & XKD_DL_XEN))
                abort();
        before = reads(h.vm);
        if (xkd_filter_priority(h.vm, &src, st.layout, &dump, &first, &second) < 0 || !xkd_bitmap_count(&first))
                abort();
        n = reads(h.vm) - before;
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_bitmap_done(&first);
        xkd_bitmap_done(&second);
        xkd_frame_reader_free(fr);
        host_close(&h);
        return n;
}

TEST(p2m_page_named_again_is_not_read_again) {
        uint64_t once = priority_reads(0);
        ASSERT_LT(priority_reads(511), once + 1);
}

/* ---- dom0's struct pages: a fake dom0 of one 128 MiB section ---------- */

#define D0_PFNS         32768u          /* SECTION_SIZE_BITS 27 */
#define D0_ROOTS_VA     UINT64_C(0xffff888000001000)
#define D0_SECT_VA      UINT64_C(0xffff888000002000)
#define D0_VMEMMAP_VA   UINT64_C(0xffffea0000000000)
#define D0_HOLE_PAGE    20u             /* struct pages of pfns 1280-1343 unreadable */
#define D0_ANON_FIRST   1000u
#define D0_ANON_END     2000u
#define D0_OWNER        UINT64_C(0xffff830000123000)

struct fake_dom0 {
        uint8_t roots[4096], sections[4096];
        uint8_t *vmemmap;               /* D0_PFNS struct pages of 64 bytes */
        uint64_t reads;
};

static int fake_info(void *ctx, const char *key, uint64_t *ret) {
        static const struct { const char *k; uint64_t v; } keys[] = {
                { "SYMBOL(mem_section)", D0_ROOTS_VA }, { "LENGTH(mem_section)", 2048 }, { "SIZE(mem_section)", 16 },
                { "OFFSET(mem_section.section_mem_map)", 0 }, { "NUMBER(SECTION_SIZE_BITS)", 27 },
                { "NUMBER(MAX_PHYSMEM_BITS)", 46 }, { "SIZE(page)", 64 }, { "OFFSET(page.flags)", 0 },
                { "OFFSET(page.mapping)", 24 }, { "OFFSET(page.private)", 40 }, { "OFFSET(page._mapcount)", 48 },
                { "NUMBER(PG_lru)", 4 }, { "NUMBER(PG_private)", 13 }, { "NUMBER(PG_swapcache)", 10 },
                { "NUMBER(PG_slab)", 9 },
        };
        (void) ctx;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (strcmp(key, keys[i].k) == 0) {
                        *ret = keys[i].v;
                        return 0;
                }
        return -ENOENT;
}

/* One call is one read of the vmcore (or several, never fewer). */
static int fake_read_virt(void *ctx, uint64_t va, void *buf, size_t len) {
        struct fake_dom0 *f = ctx;
        uint64_t vm_end = D0_VMEMMAP_VA + (uint64_t) D0_PFNS * 64;

        f->reads++;
        if (va >= D0_ROOTS_VA && va + len <= D0_ROOTS_VA + 4096)
                memcpy(buf, f->roots + (va - D0_ROOTS_VA), len);
        else if (va >= D0_SECT_VA && va + len <= D0_SECT_VA + 4096)
                memcpy(buf, f->sections + (va - D0_SECT_VA), len);
        else if (va >= D0_VMEMMAP_VA && va + len <= vm_end) {
                uint64_t hole = D0_VMEMMAP_VA + D0_HOLE_PAGE * 4096;
                if (va < hole + 4096 && va + len > hole)
                        return -EFAULT;
                memcpy(buf, f->vmemmap + (va - D0_VMEMMAP_VA), len);
        } else
                return -EFAULT;
        return 0;
}

static int fake_pfn_to_mfn(void *ctx, uint64_t pfn, uint64_t *mfn) {
        (void) ctx;
        *mfn = pfn;
        return 0;
}

static int fake_page_info(void *ctx, uint64_t mfn, uint64_t *ci, uint64_t *owner) {
        (void) ctx;
        (void) mfn;
        *ci = UINT64_C(1) << 63;        /* allocated, in use */
        *owner = D0_OWNER;
        return 0;
}

TEST(dom0_walk_reads_struct_pages_in_runs_and_skips_only_what_it_cannot_read) {
        struct fake_dom0 f = { 0 };
        struct xkd_dom0_source d = { .ctx = &f, .info_get = fake_info, .read_virt = fake_read_virt,
                                     .pfn_to_mfn = fake_pfn_to_mfn };
        struct xkd_frame_source src = { .page_info = fake_page_info, .dom0 = D0_OWNER, .xen_major = 4, .xen_minor = 17 };
        struct xkd_bitmap dump;
        struct xkd_filter_stats st = { 0 };
        uint64_t v, excluded = 0;

        f.vmemmap = calloc(D0_PFNS, 64);
        ASSERT_TRUE(f.vmemmap != NULL);
        v = D0_SECT_VA;
        memcpy(f.roots, &v, 8);
        /* section_mem_map: the struct pages minus section 0's first pfn (0), present | has_mem_map. */
        v = D0_VMEMMAP_VA | 3;
        memcpy(f.sections, &v, 8);
        for (uint64_t pfn = D0_ANON_FIRST; pfn < D0_ANON_END; pfn++) {
                uint64_t flags = 1u << 4, mapping = UINT64_C(0xffff888000200001);    /* LRU, anonymous */
                memcpy(f.vmemmap + pfn * 64, &flags, 8);
                memcpy(f.vmemmap + pfn * 64 + 24, &mapping, 8);
        }
        ASSERT_EQ(xkd_bitmap_init(&dump, D0_PFNS), 0);
        for (uint64_t pfn = 0; pfn < D0_PFNS; pfn++)
                xkd_bitmap_set(&dump, pfn);
        ASSERT_EQ(xkd_filter_dom0(&d, &src, XKD_PGC_XSA402, XKD_DL_DOM0_USER, &dump, NULL, &st), 0);
        for (uint64_t pfn = 0; pfn < D0_PFNS; pfn++) {
                bool in_hole = pfn / 64 == D0_HOLE_PAGE;
                bool anon = pfn >= D0_ANON_FIRST && pfn < D0_ANON_END;
                if (xkd_bitmap_test(&dump, pfn) != !(anon && !in_hole))
                        TEST_FAIL_("pfn %llu: kept %d", (unsigned long long) pfn, xkd_bitmap_test(&dump, pfn));
                excluded += !xkd_bitmap_test(&dump, pfn);
        }
        ASSERT_U64_EQ(excluded, D0_ANON_END - D0_ANON_FIRST - 64);
        ASSERT_U64_EQ(st.dom0_user, excluded);
        /* 512 pages of struct pages: 32 runs, the one with the hole page by
         * page (48 calls), and the roots and sections (5): 517 a page at a time. */
        ASSERT_LT(f.reads, 64);
        xkd_bitmap_done(&dump);
        free(f.vmemmap);
}

TEST_MAIN()
