/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to xen*.c: the decoding context shared by the note and the memory halves. */

#include "xen.h"

#define XKD_TLB_SIZE 64u
#define XKD_PCACHE_SIZE 16u
#define XKD_FT_WINDOW_PAGES 16u

struct xkd_tlb_entry {
        uint64_t l4;            /* table the entry came from; 0 = empty */
        uint64_t vpage;
        uint64_t mpage;
};

struct xkd_page_cache_entry {
        bool valid;
        uint64_t mfn;
        uint8_t data[XKD_PAGE_SIZE];
};

struct xkd_xen {
        struct xkd_vmcore *vm;

        const char *info[_XKD_INFO_MAX];
        size_t info_size[_XKD_INFO_MAX];

        bool has_crash_info;
        int crash_info_error;
        struct xkd_xen_crash_info crash_info;

        struct xkd_xen_cpu *cpus;
        size_t nr_cpus, cpus_allocated;
        size_t nr_cpus_ignored;         /* CORE notes beyond XKD_CPUS_MAX */

        /* Xen image linear map, for when the page tables are unknown. */
        bool image_known;
        uint64_t image_start;
        uint64_t xen_phys_start;

        /* Xen's idle page table (SYMBOL(pgd_l4)) as a machine address. */
        bool l4_known;
        uint64_t l4_maddr;
        bool in_l4_lookup;

        /* Frame-table index rule (xen-pdx.c). */
        enum { XKD_PDX_IDENTITY, XKD_PDX_MASK, XKD_PDX_OFFSET, XKD_PDX_UNKNOWN } pdx_scheme;
        char pdx_version[32], pdx_why[256];
        uint64_t pfn_pdx_bottom_mask, pfn_top_mask, pfn_pdx_hole_shift;
        unsigned pfn_index_shift, pdx_index_shift, pdx_table_mask;
        uint64_t pdx_region_size;
        uint64_t pfn_pdx_lookup[512], pdx_pfn_lookup[512], pfn_bases[512];

        /* Direct map and page_info._domain width: CONFIG_BIGMEM moves the one
         * and widens the other (xen-mm.c). */
        uint64_t directmap_start;
        unsigned domain_pdx_bytes;

        bool frame_known;
        int frame_error;
        uint64_t frame_table, page_info_size, off_count_info, off_domain;
        uint64_t frame_max_pdx;         /* beyond it an entry's address wraps */

        bool dom0_known;
        int dom0_error;
        uint64_t dom0_phys_base, dom0_l4_maddr;
        uint64_t p2m_fl_mfn_cache[2];   /* last frame-list page: index, mfn */

        struct xkd_xen_domain *domains; /* domain_list, walked once for xkd_xen_cpu_vcpu() */
        int nr_domains;                 /* < 0: the walk's error; 0 with !domains: not yet */

        struct xkd_tlb_entry tlb[XKD_TLB_SIZE];
        struct xkd_page_cache_entry *pcache;    /* XKD_PCACHE_SIZE entries */
        unsigned pcache_next;

        /* Frame-table pages read ahead (xkd_xen_frame_table_at). */
        uint8_t *ft_window;             /* XKD_FT_WINDOW_PAGES pages, allocated on first use */
        uint64_t ft_start, ft_len;      /* virtual range held; ft_len 0: none */
        uint64_t ft_failed;             /* page the window could not be read at, + 1; 0: none */
};

/* Machine read through the small page cache (len within one page or not). */
int xkd_xen_read_maddr(struct xkd_xen *x, uint64_t maddr, void *buf, size_t len);
void xkd_xen_mm_setup(struct xkd_xen *x);

/* Reads this Xen's pdx rule; -EDOM (and pdx_why) when it may compress but the dump does not say how. */
int xkd_xen_pdx_setup(struct xkd_xen *x);
