/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The page filter: decides which machine frames go into the dump.  It builds
 * two bitmaps ("RAM" and "dumped") by streaming over the vmcore's ranges and
 * Xen's frame_table; it reads only through the vmcore reader and never
 * writes anything.
 *
 * Levels are a bit mask; bits 1-16 mean what makedumpfile's -d bits mean:
 *   1   pages full of zeros: stored once and shared (they stay in the
 *       "dumped" bitmap so crash reads them as zeros without --zero_excluded)
 *   2,4,8,16  dom0 page cache / private cache / user / free pages (needs
 *             dom0's VMCOREINFO in the dump, and bit 32's Xen information)
 *   32  Xen's free pages and every domU's pages (what makedumpfile -X means)
 * The Xen heap, Xen's own anonymous pages and dom0's pages are always kept.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bitmap.h"
#include "vmcore.h"

#define XKD_DL_ZERO                 1u
#define XKD_DL_DOM0_CACHE           2u
#define XKD_DL_DOM0_CACHE_PRIVATE   4u
#define XKD_DL_DOM0_USER            8u
#define XKD_DL_DOM0_FREE            16u
#define XKD_DL_XEN                  32u
#define XKD_DL_DOM0_ANY             (XKD_DL_DOM0_CACHE | XKD_DL_DOM0_CACHE_PRIVATE | \
                                     XKD_DL_DOM0_USER | XKD_DL_DOM0_FREE)
#define XKD_DL_MAX                  63u
#define XKD_DL_DEFAULT              XKD_DL_MAX

/* What the dom0 page-type filter needs: dom0's VMCOREINFO, its kernel
 * virtual memory and its p2m (all through the Xen decoder). */
struct xkd_dom0_source {
        void *ctx;
        int (*info_get)(void *ctx, const char *key, uint64_t *ret);
        int (*info_string)(void *ctx, const char *key, char *buf, size_t size);
        int (*read_virt)(void *ctx, uint64_t vaddr, void *buf, size_t len);
        int (*pfn_to_mfn)(void *ctx, uint64_t pfn, uint64_t *mfn);
};

/*
 * What the filter needs from the Xen decoder (collector/xen.h), kept as a
 * small seam so the filter can be tested on synthetic frame tables.
 * Owners are opaque values comparable for equality (the address of the
 * struct domain a page belongs to); 0 means "no owner".
 */
struct xkd_frame_source {
        void *ctx;
        /* 0 with count_info and owner filled; -ENOENT when the frame has no
         * page_info (beyond max_page, a hole); other negative errno on a read
         * error. */
        int (*page_info)(void *ctx, uint64_t mfn, uint64_t *count_info, uint64_t *owner);
        unsigned xen_major, xen_minor;  /* from CRASH_INFO; 0.0 = unknown */
        uint64_t dom0;                  /* owner value of dom0's pages; 0 = unknown */
        uint64_t system_owners[4];      /* dom_xen, dom_io, dom_cow: Xen's, kept */
        unsigned n_system_owners;
        const struct xkd_dom0_source *dom0_src; /* NULL: no dom0 VMCOREINFO */
        uint64_t dom0_p2m_fll_mfn;      /* CRASH_INFO's p2m frame-list-list; 0 = none */
};

/* Where Xen keeps a page's state in page_info.count_info. */
enum xkd_pgc_layout {
        XKD_PGC_UNKNOWN = 0,
        XKD_PGC_PRE_XSA402,     /* state bits 55-56, broken bit 57 */
        XKD_PGC_XSA402,         /* state bits 58-59, broken bit 60 (4.17+, and
                                 * 4.14-4.16 with the XSA-402 fix) */
};

enum xkd_page_class {
        XKD_PAGE_KEEP_NO_INFO,  /* no page_info: kept, nothing known */
        XKD_PAGE_XEN_HEAP,      /* PGC_xen_heap */
        XKD_PAGE_XEN_ANON,      /* allocated, no owner: Xen's own */
        XKD_PAGE_XEN_SYSTEM,    /* owned by dom_xen/dom_io/dom_cow */
        XKD_PAGE_DOM0,
        XKD_PAGE_FREE,          /* on Xen's free lists (also dirty, unscrubbed) */
        XKD_PAGE_OFFLINE,       /* offlined or broken: never read */
        XKD_PAGE_DOMU,
};

static inline bool xkd_page_class_is_excluded(enum xkd_page_class c) {
        return c == XKD_PAGE_FREE || c == XKD_PAGE_OFFLINE || c == XKD_PAGE_DOMU;
}

const char *xkd_page_class_name(enum xkd_page_class c);

/* The layout for a Xen version, or XKD_PGC_UNKNOWN when the version alone
 * does not decide (4.14-4.16: depends on the XSA-402 backport) or is not
 * covered (before 4.14, after 4.22). */
enum xkd_pgc_layout xkd_pgc_layout_for_version(unsigned major, unsigned minor);
bool xkd_xen_version_covered(unsigned major, unsigned minor);

/* Decide one frame from its page_info words. */
enum xkd_page_class xkd_classify_frame(enum xkd_pgc_layout layout, uint64_t count_info,
                                       uint64_t owner, const struct xkd_frame_source *src);

struct xkd_filter_stats {
        uint64_t ram_pages;
        uint64_t dumped_pages;
        uint64_t class_pages[XKD_PAGE_DOMU + 1];
        uint64_t dom0_cache, dom0_cache_private, dom0_user, dom0_free;
        uint64_t dom0_work;             /* reads the dom0 walk made */
        uint64_t read_errors;
        enum xkd_pgc_layout layout;
        unsigned level_applied;         /* the bits that were really applied */
        char dom0_skipped[320];         /* why dom0 types asked for were not applied; "" = applied or not asked */
        bool deadline_hit;              /* the capture's time limit ran out while filtering */
};

/*
 * Work budgets.  The dom0 walk trusts dom0's own description of its memory,
 * so it gets a bound: at most dom0_work_max reads (0: derived from the RAM
 * present, xkd_filter_dom0_work_max) and dom0_deadline_ns; past either it
 * gives up and keeps all of dom0's pages.  deadline_ns is the capture's own
 * bound: past it the Xen stage stops excluding (what it has not looked at
 * is kept) and the dom0 stage is skipped.  Times are CLOCK_MONOTONIC ns; 0
 * = none.
 */
struct xkd_filter_budget {
        uint64_t dom0_work_max;
        uint64_t dom0_deadline_ns;
        uint64_t deadline_ns;
        const char *no_frame_source_why;        /* why src is NULL when the caller knows (a failed guard) */
};
#define XKD_DOM0_WORK_FLOOR     (UINT64_C(1) << 20)
uint64_t xkd_filter_dom0_work_max(uint64_t ram_pages);

#include <time.h>
static inline uint64_t xkd_monotonic_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/*
 * Builds ram (every frame a PT_LOAD covers) and dump (the frames to write).
 * src may be NULL (no Xen information): the Xen bit is then not applied.
 * Unknown Xen versions or layouts that the frame table contradicts are
 * refused with a warning: everything is kept, never guessed.
 */
/*
 * The frames to write early, so that a dump cut short (ENOSPC, a kill) still
 * holds what makes it analysable.  first: Xen's own frames (heap, page
 * tables, domain structs, console ring) and dom0's p2m; second: dom0's kernel
 * image (the 64 MiB from _stext).  Subsets of dump; both are allocated (and
 * stay empty without the Xen layout).
 */
int xkd_filter_priority(struct xkd_vmcore *vm, const struct xkd_frame_source *src, enum xkd_pgc_layout layout,
                        const struct xkd_bitmap *dump, struct xkd_bitmap *first, struct xkd_bitmap *second);

/* Clears dom0's cache/user/free frames (per level) from dump.  On a
 * negative return dump is as it was and stats->dom0_skipped says why
 * (-ETIMEDOUT: the budget ran out). */
int xkd_filter_dom0(const struct xkd_dom0_source *d, const struct xkd_frame_source *src,
                    enum xkd_pgc_layout layout, unsigned level, struct xkd_bitmap *dump,
                    const struct xkd_filter_budget *budget, struct xkd_filter_stats *stats);

int xkd_filter_build(struct xkd_vmcore *vm, const struct xkd_frame_source *src, unsigned level,
                     struct xkd_bitmap *ram, struct xkd_bitmap *dump,
                     struct xkd_filter_stats *stats);
/* The same within a budget (NULL: the default dom0 budget, no deadline). */
int xkd_filter_build_budget(struct xkd_vmcore *vm, const struct xkd_frame_source *src, unsigned level,
                            const struct xkd_filter_budget *budget, struct xkd_bitmap *ram,
                            struct xkd_bitmap *dump, struct xkd_filter_stats *stats);
