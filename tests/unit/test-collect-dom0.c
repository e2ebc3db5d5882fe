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

#define D0_PAGES      1024u
#define D0_ROOTS_PFN  100u
#define D0_SECT_PFN   101u
#define D0_VMEMMAP    102u      /* 16 pages of struct pages for 1024 pfns */
#define D0_FIRST      200u
#define D0_LAST       600u
#define PG_LRU        4
#define PG_SLAB       9
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

static void put(uint8_t *p, size_t off, uint64_t v, size_t n) { memcpy(p + off, &v, n); }

static void make_dom0_host(struct host *h) {
        struct vmgen_config cfg = { .dom0 = true, .dom0_pages = D0_PAGES, .xen_major = 4, .xen_minor = 17,
                                    .ram_size = 16u << 20 };
        char line[128];

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
                        case D0_BUDDY: put(sp, 48, (uint32_t) -129, 4); put(sp, 40, 1, 8); break;
                        case D0_BUDDY_TAIL: break;
                        case D0_CACHE: put(sp, 0, 1u << PG_LRU, 8); put(sp, 24, 0xffff888000100000ull, 8); break;
                        case D0_CACHE_PRIV:
                                put(sp, 0, (1u << PG_LRU) | (1u << PG_PRIVATE), 8);
                                put(sp, 24, 0xffff888000100000ull, 8);
                                break;
                        case D0_ANON: put(sp, 0, 1u << PG_LRU, 8); put(sp, 24, 0xffff888000200001ull, 8); break;
                        case D0_SLAB: put(sp, 0, 1u << PG_SLAB, 8); put(sp, 24, 0xffff888000300001ull, 8); break;
                        case D0_KERNEL: break;
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
                "LENGTH(mem_section)=1", "SIZE(mem_section)=16", "OFFSET(mem_section.section_mem_map)=0",
                "NUMBER(SECTION_SIZE_BITS)=22", "NUMBER(MAX_PHYSMEM_BITS)=30", "SIZE(page)=64",
                "OFFSET(page.flags)=0", "OFFSET(page.compound_head)=8", "OFFSET(page.mapping)=24",
                "OFFSET(page.private)=40", "OFFSET(page._mapcount)=48", "NUMBER(PG_lru)=4",
                "NUMBER(PG_private)=13", "NUMBER(PG_swapcache)=10", "NUMBER(PG_slab)=9",
                "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129",
        };
        for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                vmgen_add_info(h->g, XKD_INFO_DOM0, keys[i]);
        if (vmgen_write(h->g, h->vmcore) < 0)
                abort();
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
TEST(dom0_cache_without_private) { dom0_level(XKD_DL_XEN | XKD_DL_DOM0_CACHE); }
TEST(dom0_all_types_like_d31) { dom0_level(XKD_DL_MAX); }
TEST(dom0_types_ignored_without_xen_bit) { dom0_level(XKD_DL_DOM0_ANY | XKD_DL_ZERO); }

TEST_MAIN()
