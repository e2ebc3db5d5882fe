/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"

/*
 * dom0 page types, as makedumpfile's -d 2/4/8/16 decide them, from dom0's
 * own VMCOREINFO (the loader adds it) and its struct pages:
 *   free (16)     a buddy-allocator head (_mapcount == PAGE_BUDDY_MAPCOUNT_VALUE)
 *                 with its 2^private pages
 *   cache (2)     on an LRU or in the swap cache, not anonymous, no private data
 *   cache+priv(4) the same with private data (buffer heads)
 *   user (8)      anonymous (mapping bit 0, which KSM pages carry too), not slab
 * Anything else (kernel text and data, slab, page tables, reserved, compound
 * tails) is kept.  Only frames Xen says dom0 owns are ever excluded, so a
 * stale p2m entry can never drop Xen's or another domain's page.
 * struct pages are found through SPARSEMEM's mem_section (x86_64 Linux),
 * read a 4 KiB vmemmap page (64 struct pages) at a time.
 */

#define SECTION_FLAGS_MASK      UINT64_C(0x3f)  /* present, has_mem_map, online, early, ... */
#define SECTION_MARKED_PRESENT  UINT64_C(1)
#define SECTION_HAS_MEM_MAP     UINT64_C(2)
#define PAGE_MAPPING_ANON       UINT64_C(1)
#define MAX_BUDDY_ORDER         20u

struct dom0_layout {
        uint64_t mem_section, roots, section_size, off_section_mem_map, section_size_bits;
        uint64_t max_physmem_bits;
        uint64_t page_size, off_flags, off_mapping, off_mapcount, off_private;
        uint64_t off_compound_head;     /* UINT64_MAX if unknown */
        uint64_t pg_lru, pg_private, pg_swapcache, pg_slab;
        int64_t buddy_mapcount;
        bool have_buddy;
        bool extreme;
};

static int need(const struct xkd_dom0_source *d, const char *key, uint64_t *v, const char **missing) {
        int r = d->info_get(d->ctx, key, v);
        if (r < 0 && !*missing)
                *missing = key;
        return r;
}

static int load_layout(const struct xkd_dom0_source *d, struct dom0_layout *l) {
        const char *missing = NULL;
        char buf[64];
        uint64_t nr_sections;

        need(d, "SYMBOL(mem_section)", &l->mem_section, &missing);
        need(d, "LENGTH(mem_section)", &l->roots, &missing);
        need(d, "SIZE(mem_section)", &l->section_size, &missing);
        need(d, "OFFSET(mem_section.section_mem_map)", &l->off_section_mem_map, &missing);
        need(d, "NUMBER(SECTION_SIZE_BITS)", &l->section_size_bits, &missing);
        need(d, "NUMBER(MAX_PHYSMEM_BITS)", &l->max_physmem_bits, &missing);
        need(d, "SIZE(page)", &l->page_size, &missing);
        need(d, "OFFSET(page.flags)", &l->off_flags, &missing);
        need(d, "OFFSET(page.mapping)", &l->off_mapping, &missing);
        need(d, "OFFSET(page._mapcount)", &l->off_mapcount, &missing);
        need(d, "OFFSET(page.private)", &l->off_private, &missing);
        need(d, "NUMBER(PG_lru)", &l->pg_lru, &missing);
        need(d, "NUMBER(PG_private)", &l->pg_private, &missing);
        need(d, "NUMBER(PG_swapcache)", &l->pg_swapcache, &missing);
        need(d, "NUMBER(PG_slab)", &l->pg_slab, &missing);
        if (missing) {
                log_warning("dom0's VMCOREINFO lacks %s: keeping all of dom0's pages", missing);
                return -ENOENT;
        }
        if (d->info_get(d->ctx, "OFFSET(page.compound_head)", &l->off_compound_head) < 0)
                l->off_compound_head = UINT64_MAX;
        /* A negative decimal, e.g. -129: parsed here, not as an unsigned number. */
        if (d->info_string && d->info_string(d->ctx, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", buf, sizeof(buf)) == 0) {
                l->buddy_mapcount = strtoll(buf, NULL, 0);
                l->have_buddy = true;
        }
        if (l->page_size < 32 || l->page_size > 256 || 4096 % l->page_size ||
            l->off_flags + 8 > l->page_size || l->off_mapping + 8 > l->page_size ||
            l->off_mapcount + 4 > l->page_size || l->off_private + 8 > l->page_size ||
            l->section_size < 8 || l->section_size > 4096 || l->off_section_mem_map + 8 > l->section_size ||
            l->section_size_bits < 15 || l->section_size_bits > 40 || l->max_physmem_bits > 52 ||
            l->roots == 0 || l->roots > (UINT64_C(1) << 20) ||
            l->max_physmem_bits <= l->section_size_bits || l->pg_lru > 63 || l->pg_private > 63 ||
            l->pg_swapcache > 63 || l->pg_slab > 63) {
                log_warning("dom0's VMCOREINFO describes an unexpected struct page layout: keeping all of dom0's pages");
                return -EBADMSG;
        }
        /* SPARSEMEM_EXTREME: the symbol is an array of pointers to section pages. */
        nr_sections = UINT64_C(1) << (l->max_physmem_bits - l->section_size_bits);
        l->extreme = l->roots != nr_sections;
        return 0;
}

struct dom0_counts {
        uint64_t cache, cache_private, user, free, not_dom0, p2m_missing;
};

static void exclude_pfn(const struct xkd_dom0_source *d, const struct xkd_frame_source *src,
                        enum xkd_pgc_layout layout, uint64_t pfn, struct xkd_bitmap *dump,
                        uint64_t *counter, struct dom0_counts *c) {
        uint64_t mfn, ci, owner;

        if (d->pfn_to_mfn(d->ctx, pfn, &mfn) < 0 || mfn >= dump->nbits) {
                c->p2m_missing++;
                return;
        }
        if (src->page_info(src->ctx, mfn, &ci, &owner) < 0 ||
            xkd_classify_frame(layout, ci, owner, src) != XKD_PAGE_DOM0) {
                c->not_dom0++;
                return;
        }
        if (xkd_bitmap_test(dump, mfn)) {
                xkd_bitmap_clear(dump, mfn);
                (*counter)++;
        }
}

/* Decides one struct page; returns how many pfns it covers (buddy blocks). */
static uint64_t classify_page(const struct dom0_layout *l, const uint8_t *p, unsigned level,
                              int *what) {
        uint64_t flags, mapping, private;
        int32_t mapcount;
        bool lru, priv, swapcache, slab, anon;

        memcpy(&flags, p + l->off_flags, 8);
        memcpy(&mapping, p + l->off_mapping, 8);
        memcpy(&mapcount, p + l->off_mapcount, 4);
        memcpy(&private, p + l->off_private, 8);
        *what = 0;

        if (l->off_compound_head != UINT64_MAX) {
                uint64_t head;
                memcpy(&head, p + l->off_compound_head, 8);
                if (head & 1)
                        return 1;       /* a compound tail: kept with its head's fate unknown */
        }
        if (l->have_buddy && mapcount == (int32_t) l->buddy_mapcount) {
                if ((level & XKD_DL_DOM0_FREE) && private <= MAX_BUDDY_ORDER) {
                        *what = XKD_DL_DOM0_FREE;
                        return UINT64_C(1) << private;
                }
                return 1;
        }
        lru = flags & (UINT64_C(1) << l->pg_lru);
        priv = flags & (UINT64_C(1) << l->pg_private);
        swapcache = flags & (UINT64_C(1) << l->pg_swapcache);
        slab = flags & (UINT64_C(1) << l->pg_slab);
        /* KSM pages carry ANON|MOVABLE: still user data. */
        anon = (mapping & PAGE_MAPPING_ANON) && !slab;

        if (!anon && !slab && (lru || swapcache) && mapping) {
                if ((level & XKD_DL_DOM0_CACHE) && !priv)
                        *what = XKD_DL_DOM0_CACHE;
                else if (level & XKD_DL_DOM0_CACHE_PRIVATE)
                        *what = XKD_DL_DOM0_CACHE_PRIVATE;
        } else if (anon && (level & XKD_DL_DOM0_USER))
                *what = XKD_DL_DOM0_USER;
        return 1;
}

static int walk_section(const struct xkd_dom0_source *d, const struct xkd_frame_source *src,
                        enum xkd_pgc_layout layout, const struct dom0_layout *l, uint64_t section_nr,
                        uint64_t mem_map_enc, unsigned level, struct xkd_bitmap *dump,
                        struct dom0_counts *c, uint8_t *buf) {
        uint64_t pages = UINT64_C(1) << (l->section_size_bits - 12);
        uint64_t start = section_nr * pages;
        uint64_t per_chunk = 4096 / l->page_size;
        uint64_t skip_until = 0;

        for (uint64_t i = 0; i < pages; i += per_chunk) {
                /* mem_map_enc = mem_map - start_pfn (in struct pages): pfn's struct page is at enc + pfn * size. */
                uint64_t va = mem_map_enc + (start + i) * l->page_size;

                if (d->read_virt(d->ctx, va, buf, 4096) < 0)
                        continue;       /* unmapped vmemmap: nothing known, nothing excluded */
                for (uint64_t k = 0; k < per_chunk && i + k < pages; k++) {
                        uint64_t pfn = start + i + k, n;
                        int what;

                        if (pfn < skip_until)
                                continue;
                        n = classify_page(l, buf + k * l->page_size, level, &what);
                        if (!what)
                                continue;
                        for (uint64_t j = 0; j < n; j++) {
                                uint64_t *ctr = what == XKD_DL_DOM0_FREE ? &c->free :
                                                what == XKD_DL_DOM0_CACHE ? &c->cache :
                                                what == XKD_DL_DOM0_CACHE_PRIVATE ? &c->cache_private : &c->user;
                                exclude_pfn(d, src, layout, pfn + j, dump, ctr, c);
                        }
                        skip_until = pfn + n;
                }
        }
        return 0;
}

int xkd_filter_dom0(const struct xkd_dom0_source *d, const struct xkd_frame_source *src,
                    enum xkd_pgc_layout layout, unsigned level, struct xkd_bitmap *dump,
                    struct xkd_filter_stats *stats) {
        struct dom0_layout l = { 0 };
        struct dom0_counts c = { 0 };
        uint64_t per_root;
        uint8_t *roots_page = NULL, *buf = NULL, roots_ptrs[4096];
        int r;

        r = load_layout(d, &l);
        if (r < 0)
                return r;
        roots_page = malloc(4096);
        buf = malloc(4096);
        if (!roots_page || !buf) {
                free(roots_page);
                free(buf);
                return -ENOMEM;
        }
        per_root = l.extreme ? 4096 / l.section_size : 1;
        for (uint64_t root = 0; root < l.roots; root++) {
                uint64_t sections_va;

                if (l.extreme) {
                        /* The root pointers, read 512 at a time. */
                        if (root % 512 == 0 &&
                            d->read_virt(d->ctx, l.mem_section + root * 8, roots_ptrs,
                                         (size_t) (l.roots - root < 512 ? l.roots - root : 512) * 8) < 0)
                                memset(roots_ptrs, 0, 4096);
                        memcpy(&sections_va, roots_ptrs + (root % 512) * 8, 8);
                        if (!sections_va)
                                continue;
                } else
                        sections_va = l.mem_section + root * l.section_size;
                if (d->read_virt(d->ctx, sections_va, roots_page, (size_t) (per_root * l.section_size)) < 0)
                        continue;
                for (uint64_t s = 0; s < per_root; s++) {
                        uint64_t smm;
                        memcpy(&smm, roots_page + s * l.section_size + l.off_section_mem_map, 8);
                        if ((smm & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
                            (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP))
                                continue;
                        walk_section(d, src, layout, &l, root * per_root + s, smm & ~SECTION_FLAGS_MASK, level,
                                     dump, &c, buf);
                }
        }
        free(roots_page);
        free(buf);
        stats->dom0_cache = c.cache;
        stats->dom0_cache_private = c.cache_private;
        stats->dom0_user = c.user;
        stats->dom0_free = c.free;
        log_debug("dom0 filter: %llu frames not dom0's per Xen, %llu pfns without a p2m entry",
                  (unsigned long long) c.not_dom0, (unsigned long long) c.p2m_missing);
        return 0;
}
