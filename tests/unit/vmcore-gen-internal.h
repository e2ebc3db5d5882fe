/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to vmcore-gen*.c: the generator's state and memory helpers. */

#include <stdbool.h>
#include <stdint.h>

#include "vmcore-gen.h"

#define PAGE 4096u
#define PTE_P_RW UINT64_C(0x3)
#define PTE_PSE UINT64_C(0x80)
#define DOMAIN_SIZE 2304u
#define DOMAIN_OFF_ID 0u
#define DOMAIN_OFF_NEXT 136u
/* struct page_info: 48 bytes, count_info at 16, 64-bit _domain at 32 with BIGMEM. */
#define PAGE_INFO_SIZE(g) ((g)->cfg.bigmem ? 48u : 32u)
#define PAGE_INFO_OFF_COUNT(g) ((g)->cfg.bigmem ? 16u : 8u)
#define PAGE_INFO_OFF_DOMAIN(g) ((g)->cfg.bigmem ? 32u : 24u)
#define PAGE_INFO_MAX 48u
#define MAX_CPUS 64u
/* dom0's printk ring: layouts as Linux 6.1 has them on x86_64. */
#define PRB_COUNT_BITS 4u
#define PRB_DESCS (1u << PRB_COUNT_BITS)
#define PRB_DATA_BITS 12u
#define PRB_DESC_SIZE 24u
#define PRB_INFO_SIZE 88u
#define PRB_ID_MASK ((UINT64_C(1) << 62) - 1)

struct vmgen {
        struct vmgen_config cfg;
        uint64_t ram_end;               /* one past the last RAM byte */
        uint64_t hole_start, hole_end;
        uint8_t *mem;                   /* ram_end bytes, the hole unused */
        uint8_t *written;               /* per page */
        uint8_t *xen_page;              /* per page */
        uint64_t heap_next;             /* next page to hand out, downwards */

        uint64_t directmap, frametable; /* virtual starts (BIGMEM or not) */
        uint64_t image_base;            /* virtual */
        uint64_t image_next;            /* next free byte in the image data area */
        uint64_t l4;                    /* idle_pg_table maddr */
        uint64_t sym_pgd_l4, sym_domain_list, sym_max_page, sym_dom_xen, sym_dom_io;
        uint64_t sym_conring, sym_conring_size, sym_conringp, sym_frame_table;
        uint64_t dom_xen, dom_io, last_domain;
        uint64_t conring_maddr;
        uint32_t conringp;
        uint64_t str[5];                /* CRASH_INFO string maddrs */

        struct xkd_xen_cpu cpus[MAX_CPUS];
        uint64_t sym_curr_vcpu, sym_per_cpu_offset, sym_idle_vcpu;
        uint64_t percpu_page[MAX_CPUS];         /* machine address of each CPU's area */
        char *info[_XKD_INFO_MAX];
        size_t info_len[_XKD_INFO_MAX];

        uint64_t *dom0_p2m;             /* pfn -> mfn */
        uint64_t dom0_fll_mfn, dom0_l4, dom0_domain;
        uint64_t prb_descs, prb_infos, prb_data, prb_struct;    /* dom0 virtual */
        uint64_t prb_next_id, prb_lpos, prb_nr;
        struct { uint64_t id, begin, next; } prb_rec[PRB_DESCS];
};

void *gen_xmalloc0(size_t n);
void *gen_mem_at(struct vmgen *g, uint64_t maddr, size_t len);
void gen_put64(struct vmgen *g, uint64_t maddr, uint64_t v);
uint64_t gen_get64(struct vmgen *g, uint64_t maddr);
uint64_t gen_alloc_page(struct vmgen *g, bool xen);
uint64_t gen_directmap(const struct vmgen *g, uint64_t maddr);
uint64_t gen_directmap_to_maddr(const struct vmgen *g, uint64_t vaddr);
void gen_map(struct vmgen *g, uint64_t l4, uint64_t vaddr, uint64_t maddr, int leaf_level);
void gen_add_infof(struct vmgen *g, enum xkd_info_source src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void gen_setup_dom0(struct vmgen *g);
