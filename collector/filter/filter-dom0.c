/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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

/* x86_64 Linux: SECTION_SIZE_BITS has been 27 (128 MiB) since sparsemem came
 * to the architecture; MAX_PHYSMEM_BITS is 46 (4-level paging) or 52
 * (5-level), 44 on kernels before 2.6.31.  Anything else is not a dom0 this
 * code knows, and taking it at its word costs 2^(bits-12) reads a section. */
#define X86_64_SECTION_SIZE_BITS        27u
#define X86_64_PHYSMEM_BITS_MIN         44u
#define X86_64_PHYSMEM_BITS_MAX         52u

#define SECTION_FLAGS_MASK      UINT64_C(0x3f)  /* present, has_mem_map, online, early, ... */
#define SECTION_MARKED_PRESENT  UINT64_C(1)
#define SECTION_HAS_MEM_MAP     UINT64_C(2)
#define PAGE_MAPPING_ANON       UINT64_C(1)
#define MAX_BUDDY_ORDER         20u

/*
 * How a kernel marks a page's type in the 32 bits at OFFSET(page._mapcount)
 * (a union of _mapcount and page_type), as its VMCOREINFO exports it:
 *   - up to 4.17: PAGE_BUDDY_MAPCOUNT_VALUE is one exact value (-128);
 *   - 4.18 to 6.11 (include/linux/page-flags.h, PageType(): page_type &
 *     (PAGE_TYPE_BASE | bit) == PAGE_TYPE_BASE): a type is a bit cleared in
 *     page_type, VMCOREINFO exports ~bit (PAGE_BUDDY_MAPCOUNT_VALUE =
 *     ~PG_buddy = -129; from 6.10, where "mm: turn PG_slab into a page type"
 *     removed the PG_slab flag, PAGE_SLAB_MAPCOUNT_VALUE = ~0x1000 and no
 *     NUMBER(PG_slab)).  PAGE_TYPE_BASE was 0xf0000000 with bits 0x80..0x1000;
 *     the 6.11 rework letting types reuse the low 16 bits moved it to
 *     0x80000000 with bits 0x40000000 downwards.  Testing against the top
 *     bit alone is right for both (the other base bits are set in both);
 *   - 6.12 on (page-flags.h enum pagetype, PGTY_buddy = 0xf0 ...
 *     PGTY_slab = 0xf5): the type is page_type's top byte, the lower 24
 *     bits are the type's own data, VMCOREINFO exports PGTY_x << 24
 *     (seen in a real 6.12.118 dom0 note: buddy -268435456 = 0xf0000000,
 *     slab -184549376 = 0xf5000000).
 * The value itself says which: a top-byte value has its low 24 bits clear,
 * a ~bit value has them (nearly) all set.
 */
struct page_type {
        bool known;
        bool top_byte;          /* 6.12+: compare the top byte */
        uint32_t value;
};

static bool page_type_is(const struct page_type *t, uint32_t page_type) {
        const uint32_t base = 0x80000000u;

        if (!t->known)
                return false;
        if (t->top_byte)
                return page_type >> 24 == t->value >> 24;
        if (t->value == (uint32_t) -128)        /* before 4.18: an exact _mapcount value */
                return page_type == t->value;
        return (page_type & (base | ~t->value)) == base;
}

/* Any page type at all, in the scheme the buddy value shows.  6.12+: PGTY_*
 * are top bytes 0xf0..0xfe, 0xff.. is "no type" (_mapcount -1), a mapped
 * page's _mapcount is small.  4.18-6.11: below PAGE_MAPCOUNT_RESERVE (-128;
 * 6.11 reserves down to -65536: those underflow values are then kept too). */
static bool page_type_any(const struct page_type *buddy, uint32_t page_type) {
        if (!buddy->known)
                return false;
        if (buddy->top_byte)
                return page_type >> 24 >= 0xf0 && page_type >> 24 < 0xff;
        if (buddy->value == (uint32_t) -128)
                return false;
        return (page_type & 0x80000000u) && (int32_t) page_type < -128;
}

static void load_page_type(const struct xkd_dom0_source *d, const char *key, struct page_type *t) {
        char buf[64];
        char *end;
        long long v;

        t->known = false;
        /* A negative decimal, e.g. -129: parsed here, not as an unsigned number. */
        if (!d->info_string || d->info_string(d->ctx, key, buf, sizeof(buf)) < 0)
                return;
        errno = 0;
        v = strtoll(buf, &end, 0);
        if (errno || end == buf || v < INT32_MIN || v > UINT32_MAX)
                return;
        t->value = (uint32_t) v;
        t->top_byte = (t->value & 0x00ffffffu) == 0;
        /* Only values a kernel can have: a top byte in PGTY_* range, or a
         * ~bit with the top (base) bit set, or -128. */
        if (t->top_byte ? t->value >> 24 < 0xf0 || t->value >> 24 == 0xff : !(t->value & 0x80000000u) || t->value == UINT32_MAX)
                return;
        t->known = true;
}

struct dom0_layout {
        uint64_t mem_section, roots, section_size, off_section_mem_map, section_size_bits;
        uint64_t max_physmem_bits;
        uint64_t page_size, off_flags, off_mapping, off_mapcount, off_private;
        uint64_t off_compound_head;     /* UINT64_MAX if unknown */
        uint64_t pg_lru, pg_private, pg_swapcache, pg_slab;   /* pg_slab UINT64_MAX: not a flag */
        struct page_type buddy, slab;
        bool extreme;
};

static bool field_fits(uint64_t off, uint64_t len, uint64_t size) {
        return off <= size && len <= size - off;
}

static int refuse(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t why_size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

static int need(const struct xkd_dom0_source *d, const char *key, uint64_t *v, const char **missing) {
        int r = d->info_get(d->ctx, key, v);
        if (r < 0 && !*missing)
                *missing = key;
        return r;
}

static int load_layout(const struct xkd_dom0_source *d, struct dom0_layout *l, char *why, size_t why_size) {
        const char *missing = NULL;
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
        if (missing) {
                snprintf(why, why_size, "dom0's VMCOREINFO lacks %s", missing);
                return -ENOENT;
        }
        if (d->info_get(d->ctx, "OFFSET(page.compound_head)", &l->off_compound_head) < 0)
                l->off_compound_head = UINT64_MAX;
        load_page_type(d, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", &l->buddy);
        load_page_type(d, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", &l->slab);
        /* Slab pages must be told apart (their mapping word is not a
         * mapping): up to 6.9 by the PG_slab flag, from 6.10 by page type. */
        if (d->info_get(d->ctx, "NUMBER(PG_slab)", &l->pg_slab) < 0) {
                l->pg_slab = UINT64_MAX;
                if (!l->slab.known) {
                        snprintf(why, why_size, "dom0's VMCOREINFO has neither NUMBER(PG_slab) (Linux <= 6.9) nor "
                                 "a usable NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) (Linux >= 6.10)");
                        return -ENOENT;
                }
        }
        /* Every value below came from the crashed machine. */
        if (l->section_size_bits != X86_64_SECTION_SIZE_BITS)
                return refuse(why, why_size, "dom0's VMCOREINFO says SECTION_SIZE_BITS=%llu, x86_64 Linux uses %u",
                              (unsigned long long) l->section_size_bits, X86_64_SECTION_SIZE_BITS);
        if (l->max_physmem_bits < X86_64_PHYSMEM_BITS_MIN || l->max_physmem_bits > X86_64_PHYSMEM_BITS_MAX)
                return refuse(why, why_size, "dom0's VMCOREINFO says MAX_PHYSMEM_BITS=%llu, x86_64 Linux uses %u-%u",
                              (unsigned long long) l->max_physmem_bits, X86_64_PHYSMEM_BITS_MIN, X86_64_PHYSMEM_BITS_MAX);
        if (l->page_size < 32 || l->page_size > 256 || l->page_size % 8 || 4096 % l->page_size ||
            !field_fits(l->off_flags, 8, l->page_size) || !field_fits(l->off_mapping, 8, l->page_size) ||
            !field_fits(l->off_mapcount, 4, l->page_size) || !field_fits(l->off_private, 8, l->page_size) ||
            (l->off_compound_head != UINT64_MAX && !field_fits(l->off_compound_head, 8, l->page_size)) ||
            l->pg_lru > 63 || l->pg_private > 63 || l->pg_swapcache > 63 || (l->pg_slab > 63 && l->pg_slab != UINT64_MAX))
                return refuse(why, why_size, "dom0's VMCOREINFO describes a struct page (SIZE(page)=%llu) x86_64 Linux "
                              "does not have", (unsigned long long) l->page_size);
        if (l->section_size < 8 || l->section_size > 64 || l->section_size % 8 ||
            !field_fits(l->off_section_mem_map, 8, l->section_size))
                return refuse(why, why_size, "dom0's VMCOREINFO says SIZE(mem_section)=%llu, x86_64 Linux has 8-64",
                              (unsigned long long) l->section_size);
        /* LENGTH(mem_section) is NR_MEM_SECTIONS, or with SPARSEMEM_EXTREME
         * (an array of pointers to pages of sections) NR_SECTION_ROOTS. */
        nr_sections = UINT64_C(1) << (l->max_physmem_bits - l->section_size_bits);
        if (l->roots == nr_sections)
                l->extreme = false;
        else if (l->roots == nr_sections / (4096 / l->section_size))
                l->extreme = true;
        else
                return refuse(why, why_size, "dom0's VMCOREINFO says LENGTH(mem_section)=%llu, which is neither "
                              "NR_MEM_SECTIONS (%llu) nor NR_SECTION_ROOTS (%llu) for MAX_PHYSMEM_BITS=%llu",
                              (unsigned long long) l->roots, (unsigned long long) nr_sections,
                              (unsigned long long) (nr_sections / (4096 / l->section_size)),
                              (unsigned long long) l->max_physmem_bits);
        return 0;
}

struct dom0_counts {
        uint64_t cache, cache_private, user, free, not_dom0, p2m_missing;
};

/* The walk's work budget: every read of dom0's or Xen's memory counts, and
 * the clock is looked at every so often.  A dom0 VMCOREINFO can describe far
 * more sections than exist (each costs reads even when they all fail). */
struct walk {
        const struct xkd_dom0_source *d;
        const struct xkd_frame_source *src;
        enum xkd_pgc_layout layout;
        const struct dom0_layout *l;
        unsigned level;
        struct xkd_bitmap *dump;
        struct dom0_counts c;
        uint64_t work, work_max, deadline_ns;
        bool over;
        uint8_t *buf;                   /* VMEMMAP_READ_PAGES pages of struct pages */
        uint64_t buf_va, buf_len;       /* what buf holds */
        uint64_t single_until;          /* below this, a read-ahead failed: a page at a time */
};

static bool spend(struct walk *w, uint64_t n) {
        w->work += n;
        if (w->work > w->work_max)
                w->over = true;
        else if (w->deadline_ns && (w->work & 4095) < n && xkd_monotonic_ns() >= w->deadline_ns)
                w->over = true;
        return !w->over;
}

static void exclude_pfn(struct walk *w, uint64_t pfn, uint64_t *counter) {
        uint64_t mfn, ci, owner;

        if (!spend(w, 2))
                return;
        if (w->d->pfn_to_mfn(w->d->ctx, pfn, &mfn) < 0 || mfn >= w->dump->nbits) {
                w->c.p2m_missing++;
                return;
        }
        if (w->src->page_info(w->src->ctx, mfn, &ci, &owner) < 0 ||
            xkd_classify_frame(w->layout, ci, owner, w->src) != XKD_PAGE_DOM0) {
                w->c.not_dom0++;
                return;
        }
        if (xkd_bitmap_test(w->dump, mfn)) {
                xkd_bitmap_clear(w->dump, mfn);
                (*counter)++;
        }
}

/* Decides one struct page; returns how many pfns it covers (buddy blocks). */
static uint64_t classify_page(const struct dom0_layout *l, const uint8_t *p, unsigned level,
                              int *what) {
        uint64_t flags, mapping, private;
        uint32_t page_type;
        bool lru, priv, swapcache, slab, anon;

        memcpy(&flags, p + l->off_flags, 8);
        memcpy(&mapping, p + l->off_mapping, 8);
        memcpy(&page_type, p + l->off_mapcount, 4);
        memcpy(&private, p + l->off_private, 8);
        *what = 0;

        if (l->off_compound_head != UINT64_MAX) {
                uint64_t head;
                memcpy(&head, p + l->off_compound_head, 8);
                if (head & 1)
                        return 1;       /* a compound tail: kept with its head's fate unknown */
        }
        if (page_type_is(&l->buddy, page_type)) {
                if ((level & XKD_DL_DOM0_FREE) && private <= MAX_BUDDY_ORDER) {
                        *what = XKD_DL_DOM0_FREE;
                        return UINT64_C(1) << private;
                }
                return 1;
        }
        lru = flags & (UINT64_C(1) << l->pg_lru);
        priv = flags & (UINT64_C(1) << l->pg_private);
        swapcache = flags & (UINT64_C(1) << l->pg_swapcache);
        slab = (l->pg_slab != UINT64_MAX && (flags & (UINT64_C(1) << l->pg_slab))) || page_type_is(&l->slab, page_type);
        /* Other typed pages (offline, page table, guard, hugetlb, zsmalloc,
         * unaccepted, ...): nothing here says what they hold, so kept. */
        if (!slab && page_type_any(&l->buddy, page_type))
                return 1;
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

/* vmemmap is read this many pages at a time: each read of /proc/vmcore is a
 * syscall in the capture kernel, and a section's struct pages (2 MiB of them
 * for 128 MiB) are mostly machine-contiguous. */
#define VMEMMAP_READ_PAGES 16u

/* The 4 KiB of struct pages at va, from a read-ahead of up to
 * VMEMMAP_READ_PAGES pages ending at end.  Where the whole read fails (part of
 * it unmapped) each page of it is read alone, so what is known is the same. */
static const uint8_t *vmemmap_page(struct walk *w, uint64_t va, uint64_t end) {
        uint64_t n = (end - va) / 4096;

        if (va - w->buf_va < w->buf_len)
                return w->buf + (va - w->buf_va);
        w->buf_len = 0;
        if (n > VMEMMAP_READ_PAGES)
                n = VMEMMAP_READ_PAGES;
        if (va >= w->single_until && n > 1 && w->d->read_virt(w->d->ctx, va, w->buf, (size_t) n * 4096) == 0) {
                w->buf_va = va;
                w->buf_len = n * 4096;
                return w->buf;
        }
        if (va >= w->single_until)
                w->single_until = va + n * 4096;
        return w->d->read_virt(w->d->ctx, va, w->buf, 4096) == 0 ? w->buf : NULL;
}

static void walk_section(struct walk *w, uint64_t section_nr, uint64_t mem_map_enc) {
        const struct dom0_layout *l = w->l;
        uint64_t pages = UINT64_C(1) << (l->section_size_bits - 12);
        uint64_t start = section_nr * pages;
        uint64_t per_chunk = 4096 / l->page_size;
        uint64_t skip_until = 0;
        /* mem_map_enc = mem_map - start_pfn (in struct pages): pfn's struct page is at enc + pfn * size. */
        uint64_t end = mem_map_enc + (start + pages) * l->page_size;

        w->buf_len = 0;
        w->single_until = 0;
        for (uint64_t i = 0; i < pages && !w->over; i += per_chunk) {
                uint64_t va = mem_map_enc + (start + i) * l->page_size;
                const uint8_t *chunk;

                if (!spend(w, 1) || !(chunk = vmemmap_page(w, va, end)))
                        continue;       /* unmapped vmemmap: nothing known, nothing excluded */
                for (uint64_t k = 0; k < per_chunk && i + k < pages && !w->over; k++) {
                        uint64_t pfn = start + i + k, n;
                        int what;

                        if (pfn < skip_until)
                                continue;
                        n = classify_page(l, chunk + k * l->page_size, w->level, &what);
                        if (!what)
                                continue;
                        for (uint64_t j = 0; j < n && !w->over; j++) {
                                uint64_t *ctr = what == XKD_DL_DOM0_FREE ? &w->c.free :
                                                what == XKD_DL_DOM0_CACHE ? &w->c.cache :
                                                what == XKD_DL_DOM0_CACHE_PRIVATE ? &w->c.cache_private : &w->c.user;
                                exclude_pfn(w, pfn + j, ctr);
                        }
                        skip_until = pfn + n;
                }
        }
}

static void walk_sections(struct walk *w) {
        const struct dom0_layout *l = w->l;
        uint64_t per_root = l->extreme ? 4096 / l->section_size : 1;
        uint8_t roots_ptrs[4096], sections[4096];

        for (uint64_t root = 0; root < l->roots && !w->over; root++) {
                uint64_t sections_va;

                if (l->extreme) {
                        /* The root pointers, read 512 at a time. */
                        if (root % 512 == 0 &&
                            (!spend(w, 1) ||
                             w->d->read_virt(w->d->ctx, l->mem_section + root * 8, roots_ptrs,
                                             (size_t) (l->roots - root < 512 ? l->roots - root : 512) * 8) < 0))
                                memset(roots_ptrs, 0, sizeof(roots_ptrs));
                        memcpy(&sections_va, roots_ptrs + (root % 512) * 8, 8);
                        if (!sections_va)
                                continue;
                } else
                        sections_va = l->mem_section + root * l->section_size;
                if (!spend(w, 1) || w->d->read_virt(w->d->ctx, sections_va, sections, (size_t) (per_root * l->section_size)) < 0)
                        continue;
                for (uint64_t s = 0; s < per_root && !w->over; s++) {
                        uint64_t smm;
                        memcpy(&smm, sections + s * l->section_size + l->off_section_mem_map, 8);
                        if ((smm & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
                            (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP))
                                continue;
                        walk_section(w, root * per_root + s, smm & ~SECTION_FLAGS_MASK);
                }
        }
}

uint64_t xkd_filter_dom0_work_max(uint64_t ram_pages) {
        /* A real dom0 costs one read per 64 struct pages plus two per page
         * excluded, and dom0 is at most the host: four reads a RAM page, and
         * a floor for tiny hosts, leave a wide margin. */
        return 4 * ram_pages + XKD_DOM0_WORK_FLOOR;
}

int xkd_filter_dom0(const struct xkd_dom0_source *d, const struct xkd_frame_source *src,
                    enum xkd_pgc_layout layout, unsigned level, struct xkd_bitmap *dump,
                    const struct xkd_filter_budget *budget, struct xkd_filter_stats *stats) {
        struct dom0_layout l = { 0 };
        struct xkd_bitmap before = { 0 };
        struct walk w = { .d = d, .src = src, .layout = layout, .l = &l, .level = level, .dump = dump };
        int r;

        r = load_layout(d, &l, stats->dom0_skipped, sizeof(stats->dom0_skipped));
        if (r < 0)
                return r;
        w.work_max = budget && budget->dom0_work_max ? budget->dom0_work_max
                                                     : xkd_filter_dom0_work_max(xkd_bitmap_count(dump));
        w.deadline_ns = budget ? budget->dom0_deadline_ns : 0;
        w.buf = malloc((size_t) VMEMMAP_READ_PAGES * 4096);
        r = w.buf ? xkd_bitmap_dup(&before, dump) : -ENOMEM;
        if (r < 0) {
                free(w.buf);
                snprintf(stats->dom0_skipped, sizeof(stats->dom0_skipped), "out of memory");
                return r;
        }
        walk_sections(&w);
        free(w.buf);
        stats->dom0_work = w.work;
        if (w.over) {
                /* Half a walk excludes an arbitrary part of dom0: keep all of it instead. */
                xkd_bitmap_copy(dump, &before);
                xkd_bitmap_done(&before);
                snprintf(stats->dom0_skipped, sizeof(stats->dom0_skipped),
                         w.work > w.work_max ? "the dom0 page walk did not finish in its budget of %llu reads "
                                               "(dom0's VMCOREINFO describes more memory than the dump holds)"
                                             : "the dom0 page walk did not finish in its time budget (%llu reads done)",
                         (unsigned long long) (w.work > w.work_max ? w.work_max : w.work));
                return -ETIMEDOUT;
        }
        xkd_bitmap_done(&before);
        stats->dom0_cache = w.c.cache;
        stats->dom0_cache_private = w.c.cache_private;
        stats->dom0_user = w.c.user;
        stats->dom0_free = w.c.free;
        log_debug("dom0 filter: %llu reads, %llu frames not dom0's per Xen, %llu pfns without a p2m entry",
                  (unsigned long long) w.work, (unsigned long long) w.c.not_dom0, (unsigned long long) w.c.p2m_missing);
        return 0;
}
