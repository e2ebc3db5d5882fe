/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The generator's dom0: p2m, page tables and printk ring buffer. */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "vmcore-gen-internal.h"

uint64_t vmgen_dom0_mfn(const struct vmgen *g, uint64_t pfn) {
        assert(g->dom0_p2m && pfn < g->cfg.dom0_pages);
        return g->dom0_p2m[pfn];
}

uint8_t *vmgen_dom0_page(struct vmgen *g, uint64_t pfn) {
        return vmgen_page(g, vmgen_dom0_mfn(g, pfn));
}

uint64_t vmgen_dom0_domain(const struct vmgen *g) {
        return g->dom0_domain;
}

static uint64_t dom0_v2m(struct vmgen *g, uint64_t v) {
        uint64_t pfn = (v >= VMGEN_DOM0_KERNEL_MAP ? v - VMGEN_DOM0_KERNEL_MAP : v - VMGEN_DOM0_DIRECTMAP) / PAGE;
        return vmgen_dom0_mfn(g, pfn) * PAGE + (v & (PAGE - 1));
}

static void dom0_put(struct vmgen *g, uint64_t v, const void *data, size_t n) {
        /* Callers never cross a page. */
        memcpy(gen_mem_at(g, dom0_v2m(g, v), n), data, n);
}

static void dom0_put64(struct vmgen *g, uint64_t v, uint64_t x) {
        dom0_put(g, v, &x, 8);
}

/* printk_ringbuffer at kernel pfn 3; descs, infos and text in the direct map. */
static void setup_prb(struct vmgen *g) {
        g->prb_struct = VMGEN_DOM0_KERNEL_MAP + 3 * PAGE + 0x40;
        g->prb_descs = VMGEN_DOM0_DIRECTMAP + 10 * PAGE;
        g->prb_infos = VMGEN_DOM0_DIRECTMAP + 11 * PAGE;
        g->prb_data = VMGEN_DOM0_DIRECTMAP + 13 * PAGE;
        g->prb_next_id = PRB_ID_MASK - 2;
        g->prb_lpos = (UINT64_C(5) << PRB_DATA_BITS) + 0x100;
        uint32_t cb = PRB_COUNT_BITS, db = PRB_DATA_BITS;
        dom0_put(g, g->prb_struct + 0, &cb, 4);
        dom0_put64(g, g->prb_struct + 8, g->prb_descs);
        dom0_put64(g, g->prb_struct + 16, g->prb_infos);
        dom0_put(g, g->prb_struct + 48, &db, 4);
        dom0_put64(g, g->prb_struct + 56, g->prb_data);
        uint64_t prb_ptr_sym = VMGEN_DOM0_KERNEL_MAP + 3 * PAGE;
        dom0_put64(g, prb_ptr_sym, g->prb_struct);
        /* Every descriptor starts reusable with a foreign id. */
        for (unsigned i = 0; i < PRB_DESCS; i++)
                dom0_put64(g, g->prb_descs + i * PRB_DESC_SIZE, (UINT64_C(3) << 62) | 0x1234);
        gen_add_infof(g, XKD_INFO_DOM0, "SYMBOL(prb)=%" PRIx64, prb_ptr_sym);
        static const char *const offsets[] = {
                "OFFSET(printk_ringbuffer.desc_ring)=0", "OFFSET(printk_ringbuffer.text_data_ring)=48",
                "OFFSET(printk_ringbuffer.fail)=80", "SIZE(prb_desc_ring)=48",
                "OFFSET(prb_desc_ring.count_bits)=0", "OFFSET(prb_desc_ring.descs)=8",
                "OFFSET(prb_desc_ring.infos)=16", "OFFSET(prb_desc_ring.head_id)=24",
                "OFFSET(prb_desc_ring.tail_id)=32", "SIZE(prb_desc)=24", "OFFSET(prb_desc.state_var)=0",
                "OFFSET(prb_desc.text_blk_lpos)=8", "SIZE(prb_data_blk_lpos)=16",
                "OFFSET(prb_data_blk_lpos.begin)=0", "OFFSET(prb_data_blk_lpos.next)=8",
                "SIZE(printk_info)=88", "OFFSET(printk_info.seq)=0", "OFFSET(printk_info.ts_nsec)=8",
                "OFFSET(printk_info.text_len)=16", "OFFSET(printk_info.caller_id)=20",
                "OFFSET(printk_info.dev_info)=24", "SIZE(prb_data_ring)=32",
                "OFFSET(prb_data_ring.size_bits)=0", "OFFSET(prb_data_ring.data)=8",
                "OFFSET(prb_data_ring.head_lpos)=16", "OFFSET(prb_data_ring.tail_lpos)=24",
                "SIZE(atomic_long_t)=8", "OFFSET(atomic_long_t.counter)=0",
        };
        for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
                vmgen_add_info(g, XKD_INFO_DOM0, offsets[i]);
}

void vmgen_dom0_printk(struct vmgen *g, uint64_t ts_nsec, const char *text) {
        const uint64_t size = UINT64_C(1) << PRB_DATA_BITS;
        uint16_t len = (uint16_t) strlen(text);
        uint64_t blk = (8 + len + 7) & ~UINT64_C(7), begin = g->prb_lpos, at = begin;

        assert(g->prb_struct && blk < size / 2);
        /* A block that would cross the end of the ring starts at offset 0 of the next wrap. */
        if ((begin & (size - 1)) + blk > size)
                at = (begin | (size - 1)) + 1;
        uint64_t next = at + blk, id = g->prb_next_id;
        unsigned slot = (unsigned) (id & (PRB_DESCS - 1));
        char block[4096] = { 0 };
        memcpy(block, &id, 8);
        memcpy(block + 8, text, len);
        for (uint64_t o = 0; o < blk; o += 8)
                dom0_put(g, g->prb_data + ((at + o) & (size - 1)), block + o, 8);
        uint64_t d = g->prb_descs + slot * PRB_DESC_SIZE, info = g->prb_infos + slot * PRB_INFO_SIZE;
        dom0_put64(g, d, (UINT64_C(2) << 62) | id);     /* finalized */
        dom0_put64(g, d + 8, begin);
        dom0_put64(g, d + 16, next);
        dom0_put64(g, info + 0, g->prb_nr);
        dom0_put64(g, info + 8, ts_nsec);
        dom0_put(g, info + 16, &len, 2);
        g->prb_rec[slot].id = id;
        g->prb_rec[slot].begin = begin;
        g->prb_rec[slot].next = next;
        g->prb_nr++;
        g->prb_lpos = next;
        g->prb_next_id = (id + 1) & PRB_ID_MASK;
        /* The tail: the oldest record still holding both its slot and its text. */
        uint64_t tail = id;
        for (uint64_t k = 1; k < PRB_DESCS && k < g->prb_nr; k++) {
                uint64_t old = (id - k) & PRB_ID_MASK;
                unsigned s2 = (unsigned) (old & (PRB_DESCS - 1));
                if (g->prb_rec[s2].id != old || next - g->prb_rec[s2].begin > size)
                        break;
                tail = old;
        }
        dom0_put64(g, g->prb_struct + 24, id);
        dom0_put64(g, g->prb_struct + 32, tail);
}

/* dom0: p2m three levels deep, the kernel's init_top_pgt mapping its direct map. */
void gen_setup_dom0(struct vmgen *g) {
        unsigned n = g->cfg.dom0_pages;
        uint64_t first = g->heap_next;
        g->dom0_domain = vmgen_add_domain(g, 0);
        g->dom0_p2m = gen_xmalloc0(n * sizeof(uint64_t));
        for (unsigned pfn = 0; pfn < n; pfn++)
                g->dom0_p2m[pfn] = gen_alloc_page(g, false) / PAGE;  /* descending: scattered */
        uint64_t fll = vmgen_alloc_page(g), fl = vmgen_alloc_page(g);
        gen_put64(g, fll, fl / PAGE);
        for (unsigned pfn = 0; pfn < n; pfn += 512) {
                uint64_t p2m = vmgen_alloc_page(g);
                gen_put64(g, fl + (pfn / 512) * 8, p2m / PAGE);
                for (unsigned i = 0; i < 512; i++)
                        gen_put64(g, p2m + i * 8, pfn + i < n ? g->dom0_p2m[pfn + i] : UINT64_MAX);
        }
        g->dom0_fll_mfn = fll / PAGE;
        /* init_top_pgt lives in dom0's kernel image at pfn 2. */
        g->dom0_l4 = g->dom0_p2m[2] * PAGE;
        for (unsigned pfn = 0; pfn < n; pfn++)
                gen_map(g, g->dom0_l4, VMGEN_DOM0_DIRECTMAP + (uint64_t) pfn * PAGE, g->dom0_p2m[pfn] * PAGE, 1);
        /* The kernel image's first pages are mapped too; readers must also cope without. */
        for (unsigned pfn = 0; pfn < n && pfn < 8; pfn++)
                gen_map(g, g->dom0_l4, VMGEN_DOM0_KERNEL_MAP + (uint64_t) pfn * PAGE, g->dom0_p2m[pfn] * PAGE, 1);
        gen_add_infof(g, XKD_INFO_DOM0, "OSRELEASE=%s", g->cfg.dom0_osrelease ? g->cfg.dom0_osrelease : "6.1.0-vmgen-amd64");
        gen_add_infof(g, XKD_INFO_DOM0, "PAGESIZE=4096");
        gen_add_infof(g, XKD_INFO_DOM0, "SYMBOL(init_top_pgt)=%" PRIx64, VMGEN_DOM0_KERNEL_MAP + 2 * PAGE);
        gen_add_infof(g, XKD_INFO_DOM0, "NUMBER(phys_base)=0");
        if (n >= 16)
                setup_prb(g);
        /* Everything since the domain struct is dom0's: its memory, p2m and tables. */
        for (uint64_t m = g->heap_next + PAGE; m < first; m += PAGE)
                if (vmgen_is_ram(g, m / PAGE)) {
                        g->xen_page[m / PAGE] = 0;
                        vmgen_set_page_info(g, m / PAGE, 0, g->dom0_domain);
                }
}

