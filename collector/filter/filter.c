/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"

/*
 * page_info.count_info on x86_64 (Xen's PG_shift(n) is bit 64-n):
 *   bit 63 PGC_allocated, bit 62 PGC_xen_heap          (every covered version)
 *   before XSA-402: PGC_cacheattr bits 58-60, PGC_broken bit 57,
 *                   PGC_state bits 55-56               (4.14-4.16 unpatched)
 *   XSA-402 (June 2022, "x86: Don't change the cacheability of the directmap")
 *   dropped PGC_cacheattr and shifted the rest up: PGC_broken bit 60,
 *   PGC_state bits 58-59 (4.17 and later, and the 4.14-4.16 branches from
 *   their XSA-402 backport on, e.g. 4.16.2).  Later releases only moved bits
 *   below the state field (PGC_extra, PGC_need_scrub, PGC_shadowed_pt).
 * State values: 0 inuse, 1 offlining, 2 offlined, 3 free.
 */
#define PGC_XEN_HEAP            (1ull << 62)
#define PGC_STATE_INUSE         0u
#define PGC_STATE_OFFLINING     1u
#define PGC_STATE_OFFLINED      2u
#define PGC_STATE_FREE          3u

/* Covered: the layouts above were read from Xen's sources for these. */
#define XEN_MINOR_FIRST         14u
#define XEN_MINOR_LAST          22u

/* A layout guess needs this many frames that only it reads as "free". */
#define PROBE_DECISIVE          4096u

static unsigned pgc_state(enum xkd_pgc_layout layout, uint64_t ci) {
        return (unsigned) ((ci >> (layout == XKD_PGC_XSA402 ? 58 : 55)) & 3);
}

static bool pgc_broken(enum xkd_pgc_layout layout, uint64_t ci) {
        return (ci >> (layout == XKD_PGC_XSA402 ? 60 : 57)) & 1;
}

const char *xkd_page_class_name(enum xkd_page_class c) {
        static const char *const names[] = {
                [XKD_PAGE_KEEP_NO_INFO] = "no page_info",
                [XKD_PAGE_XEN_HEAP] = "Xen heap",
                [XKD_PAGE_XEN_ANON] = "Xen (no owner)",
                [XKD_PAGE_XEN_SYSTEM] = "dom_xen/dom_io",
                [XKD_PAGE_DOM0] = "dom0",
                [XKD_PAGE_FREE] = "Xen free",
                [XKD_PAGE_OFFLINE] = "offlined/broken",
                [XKD_PAGE_DOMU] = "domU",
        };
        return (unsigned) c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

bool xkd_xen_version_covered(unsigned major, unsigned minor) {
        return major == 4 && minor >= XEN_MINOR_FIRST && minor <= XEN_MINOR_LAST;
}

enum xkd_pgc_layout xkd_pgc_layout_for_version(unsigned major, unsigned minor) {
        if (!xkd_xen_version_covered(major, minor))
                return XKD_PGC_UNKNOWN;
        if (minor >= 17)
                return XKD_PGC_XSA402;
        return XKD_PGC_UNKNOWN; /* 4.14-4.16: ask the frame table */
}

static bool owner_is_system(const struct xkd_frame_source *src, uint64_t owner) {
        for (unsigned i = 0; i < src->n_system_owners && i < 4; i++)
                if (src->system_owners[i] && src->system_owners[i] == owner)
                        return true;
        return false;
}

enum xkd_page_class xkd_classify_frame(enum xkd_pgc_layout layout, uint64_t ci,
                                       uint64_t owner, const struct xkd_frame_source *src) {
        if (ci & PGC_XEN_HEAP)
                return XKD_PAGE_XEN_HEAP;

        switch (pgc_state(layout, ci)) {
        case PGC_STATE_FREE:
                /* The owner field of a free page holds its buddy order. */
                return XKD_PAGE_FREE;
        case PGC_STATE_OFFLINED:
                return XKD_PAGE_OFFLINE;
        default:
                break;
        }
        /* Reading a broken frame can raise a machine check in the capture kernel. */
        if (pgc_broken(layout, ci))
                return XKD_PAGE_OFFLINE;

        if (owner == 0)
                return XKD_PAGE_XEN_ANON;
        if (owner == src->dom0)
                return XKD_PAGE_DOM0;
        if (owner_is_system(src, owner))
                return XKD_PAGE_XEN_SYSTEM;
        return XKD_PAGE_DOMU;
}

/* The RAM bitmap has a chunk wherever a PT_LOAD has a frame, and nowhere else. */
static int init_ram(struct xkd_vmcore *vm, uint64_t max_pfn, struct xkd_bitmap *ram) {
        size_t n = xkd_vmcore_nr_ranges(vm), nchunks = 0;
        uint64_t *no = NULL;

        for (int pass = 0; pass < 2; pass++) {
                uint64_t next = 0;      /* chunks below this one are listed */

                nchunks = 0;
                for (size_t i = 0; i < n; i++) {
                        const struct xkd_ram_range *r = xkd_vmcore_range(vm, i);
                        uint64_t first, last;

                        if (r->size == 0)
                                continue;
                        first = r->start / XKD_PAGE_SIZE / XKD_BITMAP_CHUNK_BITS;
                        last = (r->start + r->size - 1) / XKD_PAGE_SIZE / XKD_BITMAP_CHUNK_BITS;
                        for (uint64_t c = first > next ? first : next; c <= last; c++) {
                                if (no)
                                        no[nchunks] = c;
                                nchunks++;
                        }
                        if (last + 1 > next)
                                next = last + 1;
                }
                if (pass == 0) {
                        no = malloc((nchunks ? nchunks : 1) * sizeof(*no));
                        if (!no)
                                return -ENOMEM;
                }
        }
        return xkd_bitmap_init_chunks(ram, max_pfn, no, nchunks);
}

static int fill_ram(struct xkd_vmcore *vm, struct xkd_bitmap *ram) {
        size_t n = xkd_vmcore_nr_ranges(vm);

        for (size_t i = 0; i < n; i++) {
                const struct xkd_ram_range *r = xkd_vmcore_range(vm, i);
                uint64_t first = r->start / XKD_PAGE_SIZE;
                uint64_t end = (r->start + r->size + XKD_PAGE_SIZE - 1) / XKD_PAGE_SIZE;

                for (uint64_t mfn = first; mfn < end; mfn++)
                        xkd_bitmap_set(ram, mfn);
        }
        return 0;
}

/* Which layout does the frame table itself speak?  Free memory comes in large
 * buddy chunks, so the right layout sees thousands of free frames, the wrong
 * one (refcount bits or a cache attribute) next to none. */
static enum xkd_pgc_layout probe_layout(const struct xkd_frame_source *src,
                                        const struct xkd_bitmap *ram) {
        uint64_t n_old = 0, n_new = 0;

        for (uint64_t mfn = xkd_bitmap_next_set(ram, 0); mfn < ram->nbits; mfn = xkd_bitmap_next_set(ram, mfn + 1)) {
                uint64_t ci, owner;

                if (src->page_info(src->ctx, mfn, &ci, &owner) < 0)
                        continue;
                if (ci & PGC_XEN_HEAP)
                        continue;
                n_old += ((ci >> 55) & 3) == PGC_STATE_FREE;
                n_new += ((ci >> 58) & 3) == PGC_STATE_FREE;
                if ((n_old >= PROBE_DECISIVE && n_new == 0) || (n_new >= PROBE_DECISIVE && n_old == 0))
                        break;
        }
        log_debug("frame table probe: %llu frames free in the pre-XSA-402 layout, %llu in the XSA-402 one",
                  (unsigned long long) n_old, (unsigned long long) n_new);
        if (n_new > 16 * n_old && n_new > 0)
                return XKD_PGC_XSA402;
        if (n_old > 16 * n_new && n_old > 0)
                return XKD_PGC_PRE_XSA402;
        return XKD_PGC_UNKNOWN;
}

static enum xkd_pgc_layout choose_layout(const struct xkd_frame_source *src,
                                         const struct xkd_bitmap *ram) {
        enum xkd_pgc_layout by_version, by_data;

        if (!xkd_xen_version_covered(src->xen_major, src->xen_minor)) {
                log_warning("Xen %u.%u is not a version whose page_info layout is known (4.%u-4.%u): "
                            "keeping Xen free pages and domU pages; use --level without 32 to silence this",
                            src->xen_major, src->xen_minor, XEN_MINOR_FIRST, XEN_MINOR_LAST);
                return XKD_PGC_UNKNOWN;
        }
        if (src->dom0 == 0) {
                log_warning("dom0 was not found in Xen's domain list: keeping Xen free pages and domU pages");
                return XKD_PGC_UNKNOWN;
        }

        by_version = xkd_pgc_layout_for_version(src->xen_major, src->xen_minor);
        by_data = probe_layout(src, ram);

        if (by_version == XKD_PGC_UNKNOWN && by_data == XKD_PGC_UNKNOWN) {
                log_warning("Xen %u.%u: cannot tell from the frame table whether the XSA-402 page_info "
                            "layout is in use: keeping Xen free pages and domU pages",
                            src->xen_major, src->xen_minor);
                return XKD_PGC_UNKNOWN;
        }
        if (by_version != XKD_PGC_UNKNOWN && by_data != XKD_PGC_UNKNOWN && by_version != by_data) {
                log_warning("Xen %u.%u: the frame table contradicts the page_info layout of this version: "
                            "keeping Xen free pages and domU pages", src->xen_major, src->xen_minor);
                return XKD_PGC_UNKNOWN;
        }
        return by_version != XKD_PGC_UNKNOWN ? by_version : by_data;
}

static int apply_xen(const struct xkd_frame_source *src, enum xkd_pgc_layout layout,
                     struct xkd_bitmap *dump, uint64_t deadline_ns, struct xkd_filter_stats *stats) {
        uint64_t seen = 0;

        for (uint64_t mfn = xkd_bitmap_next_set(dump, 0); mfn < dump->nbits; mfn = xkd_bitmap_next_set(dump, mfn + 1)) {
                enum xkd_page_class c;
                uint64_t ci, owner;
                int r;

                /* Out of time: the frames not looked at yet are kept. */
                if (deadline_ns && (++seen & 4095) == 0 && xkd_monotonic_ns() >= deadline_ns) {
                        stats->deadline_hit = true;
                        break;
                }
                r = src->page_info(src->ctx, mfn, &ci, &owner);
                if (r == -ENOENT)
                        c = XKD_PAGE_KEEP_NO_INFO;
                else if (r < 0) {
                        stats->read_errors++;
                        c = XKD_PAGE_KEEP_NO_INFO;
                } else
                        c = xkd_classify_frame(layout, ci, owner, src);

                stats->class_pages[c]++;
                if (xkd_page_class_is_excluded(c))
                        xkd_bitmap_clear(dump, mfn);
        }
        return 0;
}

int xkd_filter_build(struct xkd_vmcore *vm, const struct xkd_frame_source *src, unsigned level,
                     struct xkd_bitmap *ram, struct xkd_bitmap *dump,
                     struct xkd_filter_stats *stats) {
        return xkd_filter_build_budget(vm, src, level, NULL, ram, dump, stats);
}

int xkd_filter_build_budget(struct xkd_vmcore *vm, const struct xkd_frame_source *src, unsigned level,
                            const struct xkd_filter_budget *budget, struct xkd_bitmap *ram,
                            struct xkd_bitmap *dump, struct xkd_filter_stats *stats) {
        struct xkd_filter_budget b = budget ? *budget : (struct xkd_filter_budget) { 0 };
        uint64_t max_pfn = xkd_vmcore_max_pfn(vm);
        int r;

        memset(stats, 0, sizeof(*stats));
        if (level > XKD_DL_MAX)
                return log_error_errno(-EINVAL, "Dump level %u is out of range: use a mask of 1 (zero pages), "
                                       "32 (Xen free and domU pages), 2-16 (dom0 types), at most %u",
                                       level, XKD_DL_MAX);

        r = init_ram(vm, max_pfn, ram);
        if (r < 0)
                return r;
        r = xkd_bitmap_init_like(dump, ram);
        if (r < 0) {
                xkd_bitmap_done(ram);
                return r;
        }
        fill_ram(vm, ram);
        xkd_bitmap_copy(dump, ram);

        if (level & XKD_DL_XEN) {
                enum xkd_pgc_layout layout = XKD_PGC_UNKNOWN;

                if (!src)
                        log_warning("%s: keeping Xen free pages and domU pages",
                                    b.no_frame_source_why ? b.no_frame_source_why
                                                          : "No Xen frame table information (CRASH_INFO or "
                                                            "VMCOREINFO_XEN missing)");
                else
                        layout = choose_layout(src, ram);
                if (layout != XKD_PGC_UNKNOWN) {
                        stats->layout = layout;
                        apply_xen(src, layout, dump, b.deadline_ns, stats);
                        stats->level_applied |= XKD_DL_XEN;
                }
        }
        if (level & XKD_DL_DOM0_ANY) {
                if (!(stats->level_applied & XKD_DL_XEN))
                        snprintf(stats->dom0_skipped, sizeof(stats->dom0_skipped), "dom0 page types (dump level "
                                 "bits 2-16) need Xen's frame table (bit 32) to be usable");
                else if (!src->dom0_src)
                        snprintf(stats->dom0_skipped, sizeof(stats->dom0_skipped), "no dom0 VMCOREINFO in the dump "
                                 "(load with xen-kdump to add it)");
                else if (stats->deadline_hit)
                        snprintf(stats->dom0_skipped, sizeof(stats->dom0_skipped), "the time limit ran out first");
                else {
                        if (b.deadline_ns && (!b.dom0_deadline_ns || b.deadline_ns < b.dom0_deadline_ns))
                                b.dom0_deadline_ns = b.deadline_ns;
                        if (xkd_filter_dom0(src->dom0_src, src, stats->layout, level, dump, &b, stats) == 0)
                                stats->level_applied |= level & XKD_DL_DOM0_ANY;
                        else if (!stats->dom0_skipped[0])
                                snprintf(stats->dom0_skipped, sizeof(stats->dom0_skipped), "the dom0 walk failed");
                }
                if (stats->dom0_skipped[0])
                        log_warning("dom0 page types not applied, all of dom0's pages are kept: %s", stats->dom0_skipped);
        }
        /* Zero pages stay in the bitmap: the writer points them all at one
         * shared zero page (24 bytes each).  Excluding them instead makes
         * Debian's crash fail on the first zero page it needs ("page
         * excluded", e.g. a mem_section root table) unless run with
         * --zero_excluded; makedumpfile's default cyclic mode does the same. */
        if (level & XKD_DL_ZERO)
                stats->level_applied |= XKD_DL_ZERO;

        stats->ram_pages = xkd_bitmap_count(ram);
        stats->dumped_pages = xkd_bitmap_count(dump);
        return 0;
}

static void mark_first(const struct xkd_bitmap *dump, struct xkd_bitmap *first, uint64_t mfn) {
        if (xkd_bitmap_test(dump, mfn))
                xkd_bitmap_set(first, mfn);
}

/* dom0's p2m: the frame-list-list page, its frame-list pages, their leaves. */
static void mark_p2m(struct xkd_vmcore *vm, uint64_t fll, const struct xkd_bitmap *dump, struct xkd_bitmap *first) {
        uint64_t *l1 = malloc(XKD_PAGE_SIZE), *l2 = malloc(XKD_PAGE_SIZE);

        if (l1 && l2 && fll < dump->nbits && xkd_vmcore_read_page(vm, fll, l1) >= 0) {
                mark_first(dump, first, fll);
                for (unsigned i = 0; i < XKD_PAGE_SIZE / 8; i++) {
                        /* Linux points every unused entry at one p2m_mid_missing page: the
                         * same page again marks the same frames, so it is read once. */
                        if (!l1[i] || l1[i] >= dump->nbits || (i > 0 && l1[i] == l1[i - 1]))
                                continue;
                        mark_first(dump, first, l1[i]);
                        if (xkd_vmcore_read_page(vm, l1[i], l2) < 0)
                                continue;
                        for (unsigned j = 0; j < XKD_PAGE_SIZE / 8; j++)
                                if (l2[j] && l2[j] < dump->nbits)
                                        mark_first(dump, first, l2[j]);
                }
        }
        free(l1);
        free(l2);
}

/* dom0's kernel image: crash reads its rodata and data (banner,
 * page_offset_base, cpu maps, uts) first thing.  _end is not in VMCOREINFO;
 * 64 MiB from _stext covers Debian's kernels (52 MiB for 6.1), and more only
 * moves pages earlier. */
#define DOM0_KERNEL_MAP        UINT64_C(0xffffffff80000000)
#define DOM0_KERNEL_PRIORITY   (UINT64_C(64) << 20)

static void mark_dom0_kernel(const struct xkd_dom0_source *d, const struct xkd_bitmap *dump,
                             struct xkd_bitmap *first) {
        uint64_t stext, phys_base = 0, start, end;

        if (d->info_get(d->ctx, "SYMBOL(_stext)", &stext) < 0 || stext < DOM0_KERNEL_MAP)
                return;
        (void) d->info_get(d->ctx, "NUMBER(phys_base)", &phys_base);
        end = (phys_base + stext - DOM0_KERNEL_MAP + DOM0_KERNEL_PRIORITY) / XKD_PAGE_SIZE;
        start = (phys_base + stext - DOM0_KERNEL_MAP) / XKD_PAGE_SIZE;
        for (uint64_t pfn = start; pfn < end; pfn++) {
                uint64_t mfn;
                if (d->pfn_to_mfn(d->ctx, pfn, &mfn) == 0 && mfn < dump->nbits)
                        mark_first(dump, first, mfn);
        }
}

int xkd_filter_priority(struct xkd_vmcore *vm, const struct xkd_frame_source *src, enum xkd_pgc_layout layout,
                        const struct xkd_bitmap *dump, struct xkd_bitmap *first, struct xkd_bitmap *second) {
        int r = xkd_bitmap_init_like(first, dump);

        if (r == 0)
                r = xkd_bitmap_init_like(second, dump);
        if (r < 0 || !src || layout == XKD_PGC_UNKNOWN)
                return r;
        for (uint64_t mfn = xkd_bitmap_next_set(dump, 0); mfn < dump->nbits; mfn = xkd_bitmap_next_set(dump, mfn + 1)) {
                uint64_t ci, owner;
                enum xkd_page_class c;

                if (src->page_info(src->ctx, mfn, &ci, &owner) < 0)
                        continue;
                c = xkd_classify_frame(layout, ci, owner, src);
                if (c == XKD_PAGE_XEN_HEAP || c == XKD_PAGE_XEN_ANON || c == XKD_PAGE_XEN_SYSTEM)
                        xkd_bitmap_set(first, mfn);
        }
        if (src->dom0_p2m_fll_mfn)
                mark_p2m(vm, src->dom0_p2m_fll_mfn, dump, first);
        if (src->dom0_src)
                mark_dom0_kernel(src->dom0_src, dump, second);
        return 0;
}
