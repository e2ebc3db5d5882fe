/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dom0 page types on a generated dom0 (mem_section, struct pages, p2m):
 * each kind excluded only at its level, and only when Xen owns it to dom0.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "filter.h"
#include "kcheck.h"
#include "log.h"
#include "progress.h"
#include "save.h"
#include "test.h"
#include "vmcore-gen.h"
#include "collect-host.h"
#include "filter-xen.h"
#include "json-mini.h"
#include "xen.h"

#define D0_PAGES      1024u
#define D0_ROOTS_PFN  100u
#define D0_SECT_PFN   101u
#define D0_VMEMMAP    102u      /* 16 pages of struct pages for 1024 pfns */
#define D0_FIRST      200u
#define D0_LAST       600u
#define PG_LRU        4
#define PG_SWAPCACHE  10
#define PG_PRIVATE    13

enum d0kind { D0_BUDDY, D0_BUDDY_TAIL, D0_CACHE, D0_CACHE_PRIV, D0_ANON, D0_SLAB, D0_KERNEL, D0_TAIL };

static enum d0kind d0kind(uint64_t pfn) { return (enum d0kind) ((pfn - D0_FIRST) % 8); }

static uint64_t d0_va(uint64_t pfn) { return VMGEN_DOM0_DIRECTMAP + pfn * 4096; }

static bool d0_excluded(uint64_t pfn, unsigned level) {
        if (pfn < D0_FIRST || pfn >= D0_LAST || pfn == 250 || !(level & XKD_DL_XEN))
                return false;
        switch (d0kind(pfn)) {
        case D0_BUDDY: case D0_BUDDY_TAIL: return level & XKD_DL_DOM0_FREE;
        case D0_CACHE: return level & (XKD_DL_DOM0_CACHE | XKD_DL_DOM0_CACHE_PRIVATE);
        case D0_CACHE_PRIV: return level & XKD_DL_DOM0_CACHE_PRIVATE;
        case D0_ANON: return level & XKD_DL_DOM0_USER;
        default: return false;
        }
}

static struct vmgen *global_g;

/* Which Linux's page-type scheme the synthetic dom0 uses (facts: see
 * collector/filter/filter-dom0.c; 6.12's values as a real 6.12.118 dom0 exports them). */
enum kern { K61, K69, K610, K611, K612 };
static enum kern kern = K61;

/* page_type/_mapcount word, slab flag and VMCOREINFO lines for each scheme. */
/* K611: the rework that moved PAGE_TYPE_BASE to 0x80000000 (PG_buddy 0x40000000, PG_table 0x10000000, PG_slab 0x02000000). */
static uint32_t kern_buddy(void) { return kern == K612 ? 0xf0000000u : kern == K611 ? ~0x40000000u : (uint32_t) -129; }
static uint32_t kern_slab_type(void) {
        return kern == K612 ? 0xf5000000u | 0x123 : kern == K611 ? ~0x02000000u : kern == K610 ? ~0x1000u : (uint32_t) -1;
}
/* A page-table page (PG_table ~0x200 in 6.10, PGTY_table 0xf2 in 6.12) whose other words look like an LRU anon page. */
static uint32_t kern_table_type(void) {
        return kern == K612 ? 0xf2000000u : kern == K611 ? ~0x10000000u : kern == K610 ? ~0x200u : (uint32_t) -1;
}
static unsigned kern_pg_slab(void) { return kern == K69 ? 7 : 9; }

static void put(uint8_t *p, size_t off, uint64_t v, size_t n) { memcpy(p + off, &v, n); }

/* The keys below, each replaced by the entry of `over` with the same KEY= (NULL-terminated). */
static const char *key_or_override(const char *key, const char *const *over) {
        size_t n = strcspn(key, "=") + 1;
        for (; over && *over; over++)
                if (strncmp(*over, key, n) == 0)
                        return *over;
        return key;
}

/* The Xen side of the host (NULL: 4.17, 16 MiB, no PDX compression) and a
 * tweak applied by make_dom0_host(). */
static const struct vmgen_config *host_cfg;
static void (*host_tweak)(struct host *h);

static void make_dom0_host_with(struct host *h, const char *const *over, void (*tweak)(struct host *h)) {
        struct vmgen_config cfg = { .dom0 = true, .dom0_pages = D0_PAGES, .xen_major = 4, .xen_minor = 17,
                                    .ram_size = 16u << 20 };
        char line[128];

        if (host_cfg) {
                cfg = *host_cfg;
                cfg.dom0 = true;
                cfg.dom0_pages = D0_PAGES;
        }

        strcpy(h->dir, "/tmp/xkd-dom0-XXXXXX");
        if (!mkdtemp(h->dir))
                abort();
        snprintf(h->vmcore, sizeof(h->vmcore), "%s/vmcore", h->dir);
        snprintf(h->out, sizeof(h->out), "%s/dumps", h->dir);
        h->g = vmgen_new(&cfg);

        /* SPARSEMEM_EXTREME with one root and one 1024-page section. */
        put(vmgen_dom0_page(h->g, D0_ROOTS_PFN), 0, d0_va(D0_SECT_PFN), 8);
        put(vmgen_dom0_page(h->g, D0_SECT_PFN), 0, d0_va(D0_VMEMMAP) | 3, 8);
        for (uint64_t pfn = 0; pfn < D0_PAGES; pfn++) {
                uint8_t *sp = vmgen_dom0_page(h->g, D0_VMEMMAP + pfn / 64) + (pfn % 64) * 64;
                uint8_t *data = vmgen_dom0_page(h->g, pfn);
                if (pfn >= D0_FIRST && pfn < D0_LAST) {
                        for (unsigned i = 0; i < 4096; i += 8)
                                put(data, i, pfn * 0x100000001ull + i, 8);
                        switch (d0kind(pfn)) {
                        case D0_BUDDY: put(sp, 48, kern_buddy(), 4); put(sp, 40, 1, 8); break;
                        case D0_BUDDY_TAIL: break;
                        case D0_CACHE: put(sp, 0, 1u << PG_LRU, 8); put(sp, 24, 0xffff888000100000ull, 8); break;
                        case D0_CACHE_PRIV:
                                put(sp, 0, (1u << PG_LRU) | (1u << PG_PRIVATE), 8);
                                put(sp, 24, 0xffff888000100000ull, 8);
                                break;
                        case D0_ANON: put(sp, 0, 1u << PG_LRU, 8); put(sp, 24, 0xffff888000200001ull, 8); break;
                        case D0_SLAB:
                                if (kern <= K69)
                                        put(sp, 0, 1u << kern_pg_slab(), 8);
                                put(sp, 48, kern_slab_type(), 4);
                                put(sp, 24, 0xffff888000300001ull, 8);
                                break;
                        case D0_KERNEL:
                                if (kern >= K610) {
                                        put(sp, 48, kern_table_type(), 4);
                                        put(sp, 0, 1u << PG_LRU, 8);
                                        put(sp, 24, 0xffff888000200001ull, 8);
                                }
                                break;
                        case D0_TAIL: put(sp, 8, d0_va(D0_VMEMMAP) | 1, 8); put(sp, 0, 1u << PG_LRU, 8);
                                put(sp, 24, 0xffff888000200001ull, 8); break;
                        }
                }
        }
        /* A frame dom0's p2m points at but Xen gives to dom_xen: never excluded by dom0's view. */
        vmgen_set_page_info(h->g, vmgen_dom0_mfn(h->g, 250), ALLOCATED | 1, vmgen_dom_xen(h->g));

        snprintf(line, sizeof(line), "SYMBOL(mem_section)=%llx", (unsigned long long) d0_va(D0_ROOTS_PFN));
        vmgen_add_info(h->g, XKD_INFO_DOM0, line);
        const char *keys[] = {
                "LENGTH(mem_section)=2048", "SIZE(mem_section)=16", "OFFSET(mem_section.section_mem_map)=0",
                "NUMBER(SECTION_SIZE_BITS)=27", "NUMBER(MAX_PHYSMEM_BITS)=46", "SIZE(page)=64",
                "OFFSET(page.flags)=0", "OFFSET(page.compound_head)=8", "OFFSET(page.mapping)=24",
                "OFFSET(page.private)=40", "OFFSET(page._mapcount)=48", "NUMBER(PG_lru)=4",
                "NUMBER(PG_private)=13", "NUMBER(PG_swapcache)=10",
        };
        for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                vmgen_add_info(h->g, XKD_INFO_DOM0, key_or_override(keys[i], over));
        /* The scheme's own lines; an override "KEY=" (no value) leaves KEY out. */
        char k_slab[64], k_buddy[64], k_slabtype[64];
        snprintf(k_slab, sizeof(k_slab), "NUMBER(PG_slab)=%u", kern_pg_slab());
        snprintf(k_buddy, sizeof(k_buddy), "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=%d", (int32_t) kern_buddy());
        snprintf(k_slabtype, sizeof(k_slabtype), "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=%d", (int32_t) kern_slab_type());
        const char *scheme[] = { kern <= K69 ? k_slab : k_slabtype, k_buddy };
        for (unsigned i = 0; i < 2; i++) {
                const char *line_i = key_or_override(scheme[i], over);
                if (line_i[strlen(line_i) - 1] != '=')
                        vmgen_add_info(h->g, XKD_INFO_DOM0, line_i);
        }
        if (tweak)
                tweak(h);
        if (vmgen_write(h->g, h->vmcore) < 0)
                abort();
}

static void make_dom0_host(struct host *h) {
        make_dom0_host_with(h, NULL, host_tweak);
}

static void dom0_level(unsigned level) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 16];
        uint8_t got[4096];
        struct kcheck k;
        unsigned excluded = 0;

        make_dom0_host(&h);
        o = host_opts(&h);
        o.level = level;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        for (uint64_t pfn = 0; pfn < D0_PAGES; pfn++) {
                uint64_t mfn = vmgen_dom0_mfn(h.g, pfn);
                bool zero = true;
                if (d0_excluded(pfn, level)) {
                        ASSERT_FALSE(kcheck_is_dumped(&k, mfn));
                        excluded++;
                        continue;
                }
                for (unsigned i = 0; i < 4096; i++)
                        zero = zero && vmgen_dom0_page(h.g, pfn)[i] == 0;
                if (zero && (level & XKD_DL_ZERO))
                        continue;
                ASSERT_EQ(kcheck_read_page(&k, mfn, got), 0);
                ASSERT_MEMEQ(vmgen_dom0_page(h.g, pfn), got, 4096);
        }
        ASSERT_EQ(excluded > 0, (level & XKD_DL_DOM0_ANY) && (level & XKD_DL_XEN));
        kcheck_close(&k);
        free_host(&h);
}

TEST(dom0_free_pages_only) { dom0_level(XKD_DL_XEN | XKD_DL_DOM0_FREE); }
/* Each Linux page-type scheme at level 63: slab pages (whose mapping word
 * has bit 0 set) kept, buddy/cache/user excluded, a typed page-table page kept. */
TEST(dom0_linux_6_1_pg_slab_flag) { kern = K61; dom0_level(XKD_DL_MAX); }
TEST(dom0_linux_6_9_pg_slab_flag) { kern = K69; dom0_level(XKD_DL_MAX); kern = K61; }
TEST(dom0_linux_6_10_slab_page_type) { kern = K610; dom0_level(XKD_DL_MAX); kern = K61; }
TEST(dom0_linux_6_11_page_type_base_0x80000000) { kern = K611; dom0_level(XKD_DL_MAX); kern = K61; }
TEST(dom0_linux_6_12_page_type_top_byte) { kern = K612; dom0_level(XKD_DL_MAX); kern = K61; }
TEST(dom0_linux_6_12_free_only) { kern = K612; dom0_level(XKD_DL_XEN | XKD_DL_DOM0_FREE); kern = K61; }
TEST(dom0_cache_without_private) { dom0_level(XKD_DL_XEN | XKD_DL_DOM0_CACHE); }
TEST(dom0_all_types_like_d31) { dom0_level(XKD_DL_MAX); }
TEST(dom0_types_ignored_without_xen_bit) { dom0_level(XKD_DL_DOM0_ANY | XKD_DL_ZERO); }

/* Is every dom0 page of the kinds a level would drop still in the dump? */
static void assert_all_dom0_kept(const char *path) {
        char file[PATH_MAX + 16];
        struct kcheck k;
        uint64_t kept = 0, want = 0;

        snprintf(file, sizeof(file), "%s/vmcore", path);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_EQ(k.sub.dump_level & XKD_DL_DOM0_ANY, 0);
        for (uint64_t pfn = D0_FIRST; pfn < D0_LAST; pfn++) {
                want += d0_excluded(pfn, XKD_DL_MAX);
                kept += d0_excluded(pfn, XKD_DL_MAX) && kcheck_is_dumped(&k, vmgen_dom0_mfn(global_g, pfn));
        }
        ASSERT_TRUE(want > 200);
        ASSERT_U64_EQ(kept, want);
        kcheck_close(&k);
}

static char *report_text(const char *path) {
        int dfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        char *t = read_file_text(dfd, "report.txt");
        close(dfd);
        return t;
}

/* SECTION_SIZE_BITS=40 and 2^20 roots made the walk read 2^22 vmemmap pages
 * per present section (hours); x86_64 Linux has 27, so it is refused at once
 * and the dump goes on with all of dom0's pages, saying why. */
TEST(dom0_section_size_bits_40_is_refused_at_once) {
        static const char *const over[] = { "NUMBER(SECTION_SIZE_BITS)=40", "NUMBER(MAX_PHYSMEM_BITS)=52",
                                             "LENGTH(mem_section)=1048576", NULL };
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        uint64_t t0 = xkd_monotonic_ns();

        make_dom0_host_with(&h, over, NULL);
        global_g = h.g;
        o = host_opts(&h);
        o.level = XKD_DL_MAX;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_TRUE(xkd_monotonic_ns() - t0 < UINT64_C(20) * 1000000000);
        ASSERT_CONTAINS(res.filter_note, "SECTION_SIZE_BITS=40");
        assert_all_dom0_kept(res.path);
        char *txt = report_text(res.path);
        ASSERT_TRUE(txt != NULL);
        ASSERT_CONTAINS(txt, "Filter: dom0 page types (level bits 2-16) not applied, all of dom0's pages are kept: "
                             "dom0's VMCOREINFO says SECTION_SIZE_BITS=40, x86_64 Linux uses 27");
        free(txt);
        free_host(&h);
}

static void refused(const char *const *over, const char *why) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_dom0_host_with(&h, over, NULL);
        global_g = h.g;
        o = host_opts(&h);
        o.level = XKD_DL_MAX;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_CONTAINS(res.filter_note, why);
        assert_all_dom0_kept(res.path);
        free_host(&h);
}

/* The frame table read with a pdx rule that is not this Xen's (e.g. 4.21's
 * offset compression without its lookup tables): every entry answers for
 * another frame.  The guard sees dom0's struct domain not as Xen heap and
 * nothing at all is excluded by owner (nor by dom0 type); the report says why. */
static void shift_by_one(struct host *h) { vmgen_shift_frame_table(h->g, 1); }
static void guard_case(void (*tweak)(struct host *h), const char *why) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 16];
        struct kcheck k;
        uint64_t ram = 0, dumped = 0;

        make_dom0_host_with(&h, NULL, tweak);
        global_g = h.g;
        o = host_opts(&h);
        o.level = XKD_DL_MAX;
        /* the log names the failed guard, not missing frame-table information */
        char log[16384];
        FILE *tmp = tmpfile();
        int saved = dup(2), rc;
        ASSERT_TRUE(tmp && saved >= 0);
        fflush(stderr);
        dup2(fileno(tmp), 2);
        rc = xkd_collect(&o, &res);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(tmp);
        log[fread(log, 1, sizeof(log) - 1, tmp)] = '\0';
        fclose(tmp);
        fputs(log, stderr);
        ASSERT_EQ(rc, 0);
        ASSERT_TRUE(strstr(log, "No Xen frame table information") == NULL);
        ASSERT_CONTAINS(log, "Xen's frame table fails its check (");
        ASSERT_CONTAINS(log, why);
        ASSERT_CONTAINS(res.filter_note, "Xen's frame table fails its check");
        ASSERT_CONTAINS(res.filter_note, why);
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_EQ(k.sub.dump_level & (XKD_DL_XEN | XKD_DL_DOM0_ANY), 0);
        for (uint64_t m = 0; m < k.max_mapnr; m++) {
                ram += kcheck_is_ram(&k, m);
                dumped += kcheck_is_ram(&k, m) && kcheck_is_dumped(&k, m);
        }
        ASSERT_TRUE(ram > 1000);
        ASSERT_U64_EQ(dumped, ram);
        kcheck_close(&k);
        char *txt = report_text(res.path);
        ASSERT_TRUE(txt != NULL);
        ASSERT_CONTAINS(txt, "Filter: Xen's frame table fails its check");
        free(txt);
        free_host(&h);
}
TEST(guard_shifted_frame_table_keeps_every_page) {
        guard_case(shift_by_one, "dom0's struct domain");
}
/* A Xen whose page_info entries give Xen's image frame a domain owner. */
static void image_owned(struct host *h) {
        uint64_t first = (VMGEN_XEN_PHYS_START + VMGEN_IMAGE_OFFSET) / 4096;
        for (uint64_t m = first; m < first + 64; m++)
                vmgen_set_page_info(h->g, m, ALLOCATED | 1, vmgen_dom0_domain(h->g));
}
TEST(guard_image_frame_with_an_owner_keeps_every_page) {
        guard_case(image_owned, "Xen's own image frame");
}

/* PDX compression and CONFIG_BIGMEM: most of dom0's frames lie above the RAM
 * hole, where frame-table index and direct-map offset differ from the frame
 * (vmgen_config.pdx).  Decoded, the guard passes, dom0's pages are filtered by
 * type exactly as without compression, and a domU's frames above the hole go. */
#define DOMU_PAGES 16u
static uint64_t domu_mfn[DOMU_PAGES];
static void domu_above_hole(struct host *h) {
        uint64_t d = vmgen_add_domain(h->g, 5);
        for (unsigned i = 0; i < DOMU_PAGES; i++) {
                domu_mfn[i] = vmgen_alloc_page(h->g) / 4096;
                vmgen_set_page_info(h->g, domu_mfn[i], ALLOCATED | 1, d);
                memset(vmgen_page(h->g, domu_mfn[i]), 0x5d, 4096);
        }
}
static void xen_layout_case(const struct vmgen_config *cfg) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 16];
        struct kcheck k;
        unsigned above = 0;

        host_cfg = cfg;
        host_tweak = domu_above_hole;
        dom0_level(XKD_DL_MAX);         /* dom0's pages kept / excluded by type */
        make_dom0_host(&h);
        host_cfg = NULL;
        host_tweak = NULL;
        for (uint64_t pfn = 0; pfn < D0_PAGES; pfn++)
                above += vmgen_dom0_mfn(h.g, pfn) >= 0x1000;
        if (cfg->pdx != VMGEN_PDX_NONE) {
                ASSERT_TRUE(above > D0_PAGES / 2);
                ASSERT_TRUE(domu_mfn[0] >= 0x1000);
        }
        o = host_opts(&h);
        o.level = XKD_DL_MAX;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_TRUE(strstr(res.filter_note, "fails its check") == NULL);
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        for (unsigned i = 0; i < DOMU_PAGES; i++)
                ASSERT_FALSE(kcheck_is_dumped(&k, domu_mfn[i]));
        ASSERT_TRUE(kcheck_is_dumped(&k, vmgen_dom0_mfn(h.g, D0_FIRST + D0_KERNEL)));
        kcheck_close(&k);
        free_host(&h);
}
TEST(xen_4_17_pdx_mask_compression) {
        xen_layout_case(&(struct vmgen_config) { .xen_major = 4, .xen_minor = 17, .ram_size = 12u << 20,
                                                 .hole_size = 10u << 20, .pdx = VMGEN_PDX_MASK, .loadinfo = true });
}
TEST(xen_4_21_pdx_offset_compression) {
        xen_layout_case(&(struct vmgen_config) { .xen_major = 4, .xen_minor = 21, .ram_size = 12u << 20,
                                                 .hole_size = 10u << 20, .pdx = VMGEN_PDX_OFFSET, .loadinfo = true });
}
TEST(xen_4_20_bigmem) {
        xen_layout_case(&(struct vmgen_config) { .xen_major = 4, .xen_minor = 20, .ram_size = 16u << 20, .bigmem = true });
}
/* 4.21 with RAM above 1 GiB and an older loader's note (no PDX variables):
 * it may compress, nothing is excluded by owner, and the report says why. */
static void pdx_unknown(struct host *h) {
        (void) h;
}
TEST(guard_pdx_unknown_keeps_every_page) {
        struct vmgen_config c = { .xen_major = 4, .xen_minor = 21, .ram_size = 16u << 20, .loadinfo = true,
                                  .pdx_no_symbols = true };
        c.extra_loads[0].paddr = UINT64_C(5) << 30;
        c.extra_loads[0].size = 4096;
        host_cfg = &c;
        guard_case(pdx_unknown, "Xen 4.21 may compress frame-table indexes (PDX) and the dump does not say how");
        host_cfg = NULL;
}

/* Neither PG_slab (<= 6.9) nor PAGE_SLAB_MAPCOUNT_VALUE (>= 6.10): a slab
 * page cannot be told from a user page, so nothing of dom0 is excluded. */
TEST(dom0_no_slab_information_refused) {
        kern = K612;
        refused((const char *const[]) { "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=", NULL }, "neither NUMBER(PG_slab)");
        kern = K61;
}
TEST(dom0_max_physmem_bits_beyond_52_refused) {
        refused((const char *const[]) { "NUMBER(MAX_PHYSMEM_BITS)=60", NULL }, "MAX_PHYSMEM_BITS=60");
}
TEST(dom0_mem_section_length_that_fits_no_layout_refused) {
        refused((const char *const[]) { "LENGTH(mem_section)=1048576", NULL }, "LENGTH(mem_section)=1048576");
}
TEST(dom0_struct_page_offset_wrapping_refused) {
        refused((const char *const[]) { "OFFSET(page.flags)=18446744073709551608", NULL }, "SIZE(page)=64");
}

/* A layout x86_64 allows, but 131072 roots whose first 512 all point at one
 * page of 256 present sections with an unmapped mem_map: 2^26 reads.  The
 * walk stops at its read budget and every dom0 page is kept (the half walk's
 * exclusions undone), and writing still happens. */
static void lying_roots(struct host *h) {
        uint8_t *roots = vmgen_dom0_page(h->g, D0_ROOTS_PFN), *sect = vmgen_dom0_page(h->g, D0_SECT_PFN);
        for (unsigned i = 0; i < 512; i++)
                put(roots, i * 8, d0_va(D0_SECT_PFN), 8);
        for (unsigned s = 1; s < 256; s++)
                put(sect, s * 16, UINT64_C(0xffffea0000000000) + ((uint64_t) s << 30) + 3 - 0, 8);
}

TEST(dom0_walk_over_its_read_budget_keeps_every_dom0_page) {
        static const char *const over[] = { "NUMBER(MAX_PHYSMEM_BITS)=52", "LENGTH(mem_section)=131072", NULL };
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_dom0_host_with(&h, over, lying_roots);
        global_g = h.g;
        o = host_opts(&h);
        o.level = XKD_DL_MAX;
        uint64_t t0 = xkd_monotonic_ns();
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        fprintf(stderr, "  # lying roots: %.2f s\n", (double) (xkd_monotonic_ns() - t0) / 1e9);
        ASSERT_CONTAINS(res.filter_note, "did not finish in its budget of");
        assert_all_dom0_kept(res.path);
        char *txt = report_text(res.path);
        ASSERT_TRUE(txt != NULL);
        ASSERT_CONTAINS(txt, "Filter: dom0 page types (level bits 2-16) not applied");
        free(txt);
        free_host(&h);
}

/* The same walk, stopped by its time budget instead (the capture's own
 * --time-limit gives it a quarter): still every dom0 page kept. */
TEST(dom0_walk_over_its_time_budget_keeps_every_dom0_page) {
        static const char *const over[] = { "NUMBER(MAX_PHYSMEM_BITS)=52", "LENGTH(mem_section)=131072", NULL };
        struct host h;
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        struct xkd_frame_source src;
        struct xkd_frame_reader *fr = NULL;
        struct xkd_bitmap ram, dump, ref_ram, ref_dump;
        struct xkd_filter_stats st, ref;

        make_dom0_host_with(&h, over, lying_roots);
        ASSERT_EQ(xkd_vmcore_open(h.vmcore, &vm), 0);
        ASSERT_EQ(xkd_xen_open(vm, &x), 0);
        ASSERT_EQ(xkd_frame_source_from_xen(x, &src, &fr), 0);
        /* What filtering looks like without any dom0 types. */
        ASSERT_EQ(xkd_filter_build(vm, &src, XKD_DL_XEN, &ref_ram, &ref_dump, &ref), 0);
        struct xkd_filter_budget b = { .dom0_work_max = UINT64_MAX, .dom0_deadline_ns = xkd_monotonic_ns() + 200000000 };
        ASSERT_EQ(xkd_filter_build_budget(vm, &src, XKD_DL_MAX, &b, &ram, &dump, &st), 0);
        ASSERT_CONTAINS(st.dom0_skipped, "time budget");
        ASSERT_EQ(st.level_applied & XKD_DL_DOM0_ANY, 0);
        ASSERT_U64_EQ(st.dumped_pages, ref.dumped_pages);
        for (uint64_t m = 0; m < dump.nbits; m++)
                if (xkd_bitmap_test(&dump, m) != xkd_bitmap_test(&ref_dump, m))
                        TEST_FAIL_("frame %llu differs from the filter without dom0 types", (unsigned long long) m);
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_bitmap_done(&ref_ram);
        xkd_bitmap_done(&ref_dump);
        xkd_frame_reader_free(fr);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        free_host(&h);
}

TEST_MAIN()
