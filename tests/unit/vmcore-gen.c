/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmcore-gen.h"
#include "xkd-note.h"

#include "vmcore-gen-internal.h"

void *gen_xmalloc0(size_t n) {
        void *p = calloc(1, n ? n : 1);
        assert(p);
        return p;
}

bool vmgen_is_ram(const struct vmgen *g, uint64_t mfn) {
        uint64_t a = mfn * PAGE;
        return a < g->ram_end && !(a >= g->hole_start && a < g->hole_end);
}

uint64_t vmgen_max_pfn(const struct vmgen *g) {
        return g->ram_end / PAGE;
}

uint8_t *vmgen_page(struct vmgen *g, uint64_t mfn) {
        assert(vmgen_is_ram(g, mfn));
        g->written[mfn] = 1;
        return g->mem + mfn * PAGE;
}

void *gen_mem_at(struct vmgen *g, uint64_t maddr, size_t len) {
        assert(maddr + len <= g->ram_end);
        for (uint64_t m = maddr / PAGE; m <= (maddr + len - 1) / PAGE; m++) {
                assert(vmgen_is_ram(g, m));
                g->written[m] = 1;
        }
        return g->mem + maddr;
}

void gen_put64(struct vmgen *g, uint64_t maddr, uint64_t v) {
        memcpy(gen_mem_at(g, maddr, 8), &v, 8);
}

uint64_t gen_get64(struct vmgen *g, uint64_t maddr) {
        uint64_t v;
        memcpy(&v, gen_mem_at(g, maddr, 8), 8);
        return v;
}

bool vmgen_is_xen_page(const struct vmgen *g, uint64_t mfn) {
        return mfn < g->ram_end / PAGE && g->xen_page[mfn];
}

void vmgen_set_page_info(struct vmgen *g, uint64_t mfn, uint64_t count_info, uint64_t owner_vaddr);

uint64_t gen_alloc_page(struct vmgen *g, bool xen) {
        while (!vmgen_is_ram(g, g->heap_next / PAGE))
                g->heap_next -= PAGE;
        uint64_t m = g->heap_next;
        assert(m >= VMGEN_XEN_PHYS_START + VMGEN_IMAGE_OFFSET + 64 * PAGE);
        g->heap_next -= PAGE;
        g->xen_page[m / PAGE] = xen;
        memset(gen_mem_at(g, m, PAGE), 0, PAGE);
        if (xen && g->dom_xen)
                vmgen_set_page_info(g, m / PAGE, 0, g->dom_xen);
        return m;
}

uint64_t vmgen_alloc_page(struct vmgen *g) {
        return gen_alloc_page(g, true);
}

/* The test's own statement of the layout vmgen_config.pdx describes (not
 * the collector's table walk): bit 11 of the frame number squeezed out. */
uint64_t vmgen_pfn_to_pdx(const struct vmgen *g, uint64_t pfn) {
        if (g->cfg.pdx == VMGEN_PDX_NONE)
                return pfn;
        assert(pfn < 0x600 || (pfn >= 0x1000 && pfn < 0x1600));
        return pfn < 0x1000 ? pfn : pfn - 0x800;
}

static uint64_t pdx_to_pfn(const struct vmgen *g, uint64_t pdx) {
        if (g->cfg.pdx == VMGEN_PDX_NONE)
                return pdx;
        assert(pdx < 0x600 || (pdx >= 0x800 && pdx < 0xe00));
        return pdx < 0x800 ? pdx : pdx + 0x800;
}

uint64_t gen_directmap(const struct vmgen *g, uint64_t maddr) {
        return g->directmap + (vmgen_pfn_to_pdx(g, maddr / PAGE) * PAGE | (maddr % PAGE));
}

uint64_t vmgen_directmap(const struct vmgen *g, uint64_t maddr) {
        return gen_directmap(g, maddr);
}

uint64_t gen_directmap_to_maddr(const struct vmgen *g, uint64_t vaddr) {
        uint64_t off = vaddr - g->directmap;
        return pdx_to_pfn(g, off / PAGE) * PAGE | (off % PAGE);
}

/* Installs vaddr -> maddr in the 4-level table at l4; level 2 = 2 MiB page. */
void gen_map(struct vmgen *g, uint64_t l4, uint64_t vaddr, uint64_t maddr, int leaf_level) {
        uint64_t table = l4;
        for (int level = 4; level > leaf_level; level--) {
                uint64_t slot = table + ((vaddr >> (12 + 9 * (level - 1))) & 511) * 8;
                uint64_t e = gen_get64(g, slot);
                if (!(e & 1)) {
                        e = vmgen_alloc_page(g) | PTE_P_RW;
                        gen_put64(g, slot, e);
                }
                table = e & UINT64_C(0x000ffffffffff000);
        }
        uint64_t slot = table + ((vaddr >> (12 + 9 * (leaf_level - 1))) & 511) * 8;
        gen_put64(g, slot, maddr | PTE_P_RW | (leaf_level > 1 ? PTE_PSE : 0));
}

void vmgen_map_xen_large(struct vmgen *g, uint64_t vaddr, uint64_t maddr, int level) {
        assert(level == 2 || level == 3);
        gen_map(g, g->l4, vaddr, maddr, level);
}

void vmgen_write_maddr(struct vmgen *g, uint64_t maddr, const void *data, size_t n) {
        memcpy(gen_mem_at(g, maddr, n), data, n);
}

void vmgen_map_xen(struct vmgen *g, uint64_t vaddr, uint64_t maddr) {
        gen_map(g, g->l4, vaddr, maddr, 1);
}

uint64_t vmgen_image_to_maddr(const struct vmgen *g, uint64_t vaddr) {
        return vaddr - g->image_base + VMGEN_XEN_PHYS_START;
}

uint64_t vmgen_image_alloc(struct vmgen *g, size_t n) {
        uint64_t v = g->image_next;
        g->image_next += (n + 7) & ~(size_t) 7;
        assert(g->image_next <= g->image_base + VMGEN_IMAGE_OFFSET + 16 * PAGE);
        return v;
}

static void image_put(struct vmgen *g, uint64_t vaddr, const void *data, size_t n) {
        memcpy(gen_mem_at(g, vmgen_image_to_maddr(g, vaddr), n), data, n);
}

static uint64_t image_string(struct vmgen *g, const char *s) {
        uint64_t v = vmgen_image_alloc(g, strlen(s) + 1);
        image_put(g, v, s, strlen(s) + 1);
        return vmgen_image_to_maddr(g, v);
}

void vmgen_add_info(struct vmgen *g, enum xkd_info_source src, const char *line) {
        size_t n = strlen(line);
        g->info[src] = realloc(g->info[src], g->info_len[src] + n + 2);
        assert(g->info[src]);
        memcpy(g->info[src] + g->info_len[src], line, n);
        g->info_len[src] += n;
        if (n == 0 || line[n - 1] != '\n')
                g->info[src][g->info_len[src]++] = '\n';
        g->info[src][g->info_len[src]] = '\0';
}

void gen_add_infof(struct vmgen *g, enum xkd_info_source src, const char *fmt, ...) {
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        vmgen_add_info(g, src, line);
}

static uint64_t new_domain_struct(struct vmgen *g, uint16_t id) {
        uint64_t m = vmgen_alloc_page(g);
        uint16_t id16 = id;
        memcpy(gen_mem_at(g, m + DOMAIN_OFF_ID, 2), &id16, 2);
        return gen_directmap(g, m);
}

uint64_t vmgen_add_domain(struct vmgen *g, uint16_t id) {
        uint64_t d = new_domain_struct(g, id);
        /* As Xen's alloc_domain_struct(): a Xen-heap page (PGC_xen_heap, bit 62), no owner. */
        vmgen_set_page_info(g, gen_directmap_to_maddr(g, d) / PAGE, UINT64_C(1) << 62, 0);
        if (g->last_domain)
                gen_put64(g, gen_directmap_to_maddr(g, g->last_domain) + DOMAIN_OFF_NEXT, d);
        else
                gen_put64(g, vmgen_image_to_maddr(g, g->sym_domain_list), d);
        g->last_domain = d;
        return d;
}

uint64_t vmgen_dom_xen(const struct vmgen *g) { return g->dom_xen; }
uint64_t vmgen_dom_io(const struct vmgen *g) { return g->dom_io; }

/* Where byte `off` of a frame's page_info is: a 48-byte (BIGMEM) entry may
 * straddle two frame-table pages, which need not be adjacent in memory. */
static uint64_t page_info_field_maddr(struct vmgen *g, uint64_t mfn, unsigned off) {
        uint64_t pi = g->frametable + vmgen_pfn_to_pdx(g, mfn) * PAGE_INFO_SIZE(g) + off, table = g->l4;
        for (int level = 4; level >= 1; level--) {
                uint64_t e = gen_get64(g, table + ((pi >> (12 + 9 * (level - 1))) & 511) * 8);
                assert(e & 1);
                table = e & UINT64_C(0x000ffffffffff000);
        }
        return table + (pi & (PAGE - 1));
}

void vmgen_shift_frame_table(struct vmgen *g, uint64_t k) {
        assert(g->cfg.pdx == VMGEN_PDX_NONE && !g->cfg.bigmem);      /* entries within a page */
        for (uint64_t mfn = vmgen_max_pfn(g); mfn-- > 0;) {
                uint8_t e[PAGE_INFO_MAX] = { 0 };
                if (mfn >= k)
                        memcpy(e, gen_mem_at(g, page_info_field_maddr(g, mfn - k, 0), PAGE_INFO_SIZE(g)), PAGE_INFO_SIZE(g));
                memcpy(gen_mem_at(g, page_info_field_maddr(g, mfn, 0), PAGE_INFO_SIZE(g)), e, PAGE_INFO_SIZE(g));
        }
}

void vmgen_set_page_info(struct vmgen *g, uint64_t mfn, uint64_t count_info, uint64_t owner) {
        /* virt_to_pdx(): the owner's direct-map offset in pages. */
        uint64_t pdx = owner ? (owner - g->directmap) >> 12 : 0;
        /* Frame-table pages are mapped at creation; fields never straddle pages. */
        gen_put64(g, page_info_field_maddr(g, mfn, PAGE_INFO_OFF_COUNT(g)), count_info);
        memcpy(gen_mem_at(g, page_info_field_maddr(g, mfn, PAGE_INFO_OFF_DOMAIN(g)), g->cfg.bigmem ? 8 : 4), &pdx,
               g->cfg.bigmem ? 8 : 4);
}

void vmgen_console_write(struct vmgen *g, const char *text) {
        uint32_t size = g->cfg.conring_size;
        for (const char *p = text; *p; p++) {
                *(char *) gen_mem_at(g, g->conring_maddr + (g->conringp & (size - 1)), 1) = *p;
                g->conringp++;
        }
        image_put(g, g->sym_conringp, &g->conringp, 4);
}

void vmgen_cpu_run(struct vmgen *g, unsigned cpu, uint64_t domain_vaddr, int vcpu_id) {
        assert(cpu < g->cfg.nr_cpus);
        uint64_t v = vmgen_alloc_page(g);
        int32_t head[2] = { vcpu_id, (int32_t) cpu };
        vmgen_write_maddr(g, v, head, sizeof(head));
        /* struct vcpu's domain: after vcpu_info (8 bytes) up to 4.17, after
         * struct guest_area vcpu_info_area (16 bytes) from 4.18 (sched.h). */
        bool area = g->cfg.xen_major > 4 || (g->cfg.xen_major == 4 && g->cfg.xen_minor >= 18);
        gen_put64(g, v + (area ? 24 : 16), domain_vaddr);
        gen_put64(g, g->percpu_page[cpu], gen_directmap(g, v));
}

struct xkd_xen_cpu *vmgen_cpu(struct vmgen *g, unsigned i) {
        assert(i < g->cfg.nr_cpus);
        return &g->cpus[i];
}

static void setup_frame_table(struct vmgen *g) {
        uint64_t bytes = (vmgen_pfn_to_pdx(g, vmgen_max_pfn(g) - 1) + 1) * PAGE_INFO_SIZE(g);
        uint64_t pages = (bytes + PAGE - 1) / PAGE, last = 0;

        if (g->cfg.frame_table_contiguous) {
                /* The heap grows down: the last page taken is the lowest. */
                for (uint64_t i = 0; i < pages; i++)
                        last = vmgen_alloc_page(g);
                for (uint64_t i = 0; i < pages; i++)
                        vmgen_map_xen(g, g->frametable + i * PAGE, last + i * PAGE);
                return;
        }
        for (uint64_t off = 0; off < bytes; off += PAGE)
                vmgen_map_xen(g, g->frametable + off, vmgen_alloc_page(g));
}

/* Xen's PDX variables in the image, named in the loader's note. */
static void setup_pdx_symbols(struct vmgen *g) {
        const struct vmgen_config *c = &g->cfg;
        struct { const char *name; uint64_t v, size; } mask[] = {
                { "pfn_pdx_bottom_mask", 0x7ff, 8 }, { "pfn_top_mask", ~UINT64_C(0xfff), 8 },
                { "pfn_pdx_hole_shift", 1, 4 },
        };
        if (c->pdx == VMGEN_PDX_MASK) {
                for (size_t i = 0; i < 3; i++) {
                        uint64_t a = vmgen_image_alloc(g, 8);
                        image_put(g, a, &mask[i].v, mask[i].size);
                        if (!c->pdx_no_symbols)
                                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(%s)=%" PRIx64, mask[i].name, a);
                }
                return;
        }
        /* Offset: tables of 2^pdx_table_order entries (CONFIG_PDX_OFFSET_TBL_ORDER,
         * default 6) one after the other; frames index by bits 12+ (0 and 0x1000
         * -> 0 and 1), pdxs by bits 11+ (0 and 0x800 -> 0 and 1); regions of
         * 0x800 frames. */
        unsigned n = 1u << (c->pdx_table_order ? c->pdx_table_order : 6);
        assert(n >= 2 && n <= 64);
        uint64_t t[3][64], shifts[2] = { 12, 11 }, region = 0x800;
        memset(t, 0, sizeof(t));
        memset(t[2], 0xff, sizeof(t[2]));
        t[0][1] = 0x800;        /* pfn_pdx_lookup: pdx = pfn - 0x800 */
        t[1][1] = 0x800;        /* pdx_pfn_lookup */
        t[2][0] = 0, t[2][1] = 0x1000;
        static const char *const names[] = { "pfn_pdx_lookup", "pdx_pfn_lookup", "pfn_bases",
                                             "pfn_index_shift", "pdx_index_shift", "pdx_region_size" };
        uint64_t a[6];
        for (int i = 0; i < 3; i++) {
                a[i] = vmgen_image_alloc(g, 8 * n);
                image_put(g, a[i], t[i], 8 * n);
        }
        /* What follows the tables must not pass for table entries. */
        for (int i = 0; i < 2; i++) {
                a[3 + i] = vmgen_image_alloc(g, 8);
                image_put(g, a[3 + i], &shifts[i], 4);
        }
        a[5] = vmgen_image_alloc(g, 8);
        image_put(g, a[5], &region, 8);
        if (!c->pdx_no_symbols)
                for (int i = 0; i < 6; i++)
                        gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(%s)=%" PRIx64, names[i], a[i]);
}

struct vmgen *vmgen_new(const struct vmgen_config *cfg) {
        struct vmgen *g = gen_xmalloc0(sizeof(*g));
        g->cfg = cfg ? *cfg : (struct vmgen_config) { 0 };
        struct vmgen_config *c = &g->cfg;
        if (!c->ram_size)
                c->ram_size = 8u << 20;
        if (!c->nr_cpus)
                c->nr_cpus = 2;
        assert(c->nr_cpus <= MAX_CPUS && c->crashing_cpu < c->nr_cpus);
        if (!c->xen_major && !c->xen_minor)
                c->xen_major = 4, c->xen_minor = 17;
        if (!c->crash_info_size)
                c->crash_info_size = 80;
        assert(c->crash_info_size == 64 || c->crash_info_size == 72 || c->crash_info_size == 80);
        if (!c->conring_size)
                c->conring_size = 16384;
        if (!c->dom0_pages)
                c->dom0_pages = 64;
        assert(!(c->conring_size & (c->conring_size - 1)));

        g->ram_end = c->ram_size + c->hole_size;
        g->hole_start = g->hole_end = g->ram_end;
        if (c->hole_size) {
                assert(c->ram_size > (6u << 20));
                g->hole_start = 6u << 20;
                g->hole_end = g->hole_start + c->hole_size;
        }
        g->mem = gen_xmalloc0(g->ram_end);
        g->written = gen_xmalloc0(g->ram_end / PAGE);
        g->xen_page = gen_xmalloc0(g->ram_end / PAGE);
        g->heap_next = g->ram_end - PAGE;

        assert(c->pdx == VMGEN_PDX_NONE || (c->ram_size == (12u << 20) && c->hole_size == (10u << 20)));
        g->directmap = c->bigmem ? XKD_XEN_BIGMEM_DIRECTMAP_START : XKD_XEN_DIRECTMAP_START;
        g->frametable = c->bigmem ? XKD_XEN_BIGMEM_FRAMETABLE_START : XKD_XEN_FRAMETABLE_START;
        g->image_base = c->old_image_base ? XKD_XEN_IMAGE_START_44 : XKD_XEN_IMAGE_START_414;
        for (unsigned i = 0; i < 32; i++)
                g->xen_page[(VMGEN_XEN_PHYS_START + VMGEN_IMAGE_OFFSET) / PAGE + i] = 1;
        /* Image: page 0 idle_pg_table, then variables and strings. */
        g->sym_pgd_l4 = g->image_base + VMGEN_IMAGE_OFFSET;
        g->image_next = g->sym_pgd_l4 + PAGE;
        g->l4 = vmgen_image_to_maddr(g, g->sym_pgd_l4);
        memset(gen_mem_at(g, g->l4, PAGE), 0, PAGE);
        for (uint64_t off = 0; off < 32 * PAGE; off += PAGE)
                vmgen_map_xen(g, g->sym_pgd_l4 + off, g->l4 + off);
        for (uint64_t a = 0; a < g->ram_end; a += 2u << 20)
                if (c->pdx == VMGEN_PDX_NONE || vmgen_is_ram(g, a / PAGE))
                        gen_map(g, g->l4, gen_directmap(g, a), a, 2);

        g->sym_domain_list = vmgen_image_alloc(g, 8);
        g->sym_max_page = vmgen_image_alloc(g, 8);
        g->sym_dom_xen = vmgen_image_alloc(g, 8);
        g->sym_dom_io = vmgen_image_alloc(g, 8);
        g->sym_conring = vmgen_image_alloc(g, 8);
        g->sym_frame_table = vmgen_image_alloc(g, 8);
        uint64_t ft = g->frametable;
        image_put(g, g->sym_frame_table, &ft, 8);
        g->sym_conring_size = vmgen_image_alloc(g, 4);
        g->sym_conringp = vmgen_image_alloc(g, 4);
        uint64_t max_page = vmgen_max_pfn(g);
        image_put(g, g->sym_max_page, &max_page, 8);

        g->str[0] = image_string(g, c->extra_version ? c->extra_version : ".7");
        g->str[1] = image_string(g, c->changeset ? c->changeset : "Tue Jul 1 12:00:00 2025 +0000 git:0123456789");
        g->str[2] = image_string(g, c->compiler ? c->compiler : "gcc (Debian 12.2.0-14) 12.2.0");
        g->str[3] = image_string(g, c->compile_date ? c->compile_date : "Wed Jul 2 10:00:00 UTC 2025");
        g->str[4] = image_string(g, c->compile_time ? c->compile_time : "10:00:00");

        setup_frame_table(g);
        g->dom_xen = new_domain_struct(g, 0x7ff2);
        g->dom_io = new_domain_struct(g, 0x7ff1);
        image_put(g, g->sym_dom_xen, &g->dom_xen, 8);
        image_put(g, g->sym_dom_io, &g->dom_io, 8);
        /* Xen's own pages belong to dom_xen here (gen_alloc_page() does the same from now on). */
        for (uint64_t m = 0; m < vmgen_max_pfn(g); m++)
                if (g->xen_page[m])
                        vmgen_set_page_info(g, m, 0, g->dom_xen);

        uint64_t ring = vmgen_alloc_page(g);
        for (uint32_t i = PAGE; i < c->conring_size; i += PAGE)
                ring = vmgen_alloc_page(g);     /* contiguous downwards: ring is the lowest */
        g->conring_maddr = ring;
        uint64_t ring_v = gen_directmap(g, ring);
        image_put(g, g->sym_conring, &ring_v, 8);
        image_put(g, g->sym_conring_size, &c->conring_size, 4);
        vmgen_console_write(g, "(XEN) Xen version 4.17.7 (vmgen)\n(XEN) Brought up 2 CPUs\n");

        if (c->dom0)
                gen_setup_dom0(g);

        for (unsigned i = 0; i < c->nr_cpus; i++) {
                struct xkd_xen_cpu *cpu = &g->cpus[i];
                uint64_t stack = gen_directmap(g, 0x100000) + (uint64_t) i * 0x8000;
                cpu->id = i;
                cpu->regs.rip = g->image_base + VMGEN_IMAGE_OFFSET + 0x1000 + i;
                cpu->regs.rsp = stack + (i == c->crashing_cpu ? 7 : 2) * PAGE + 0xe00;
                cpu->regs.rflags = 0x2 | (i == c->crashing_cpu ? 0 : 0x200);
                cpu->regs.cs = 0xe008;
                cpu->regs.rax = 0x1000 + i;
                cpu->cr0 = 0x80050033;
                cpu->cr2 = 0x7f0000000000 + i;
                cpu->cr3 = g->l4;
                cpu->cr4 = 0x3526e0;
        }
        /* Per-CPU areas: per_cpu(curr_vcpu, cpu) = *(&per_cpu__curr_vcpu + __per_cpu_offset[cpu]). */
        g->sym_curr_vcpu = vmgen_image_alloc(g, 8);
        g->sym_per_cpu_offset = vmgen_image_alloc(g, 8 * c->nr_cpus);
        g->sym_idle_vcpu = vmgen_image_alloc(g, 8 * c->nr_cpus);
        for (unsigned i = 0; i < c->nr_cpus; i++) {
                g->percpu_page[i] = vmgen_alloc_page(g);
                uint64_t off = gen_directmap(g, g->percpu_page[i]) - g->sym_curr_vcpu;
                image_put(g, g->sym_per_cpu_offset + 8 * i, &off, 8);
                uint64_t idle = gen_directmap(g, vmgen_alloc_page(g));
                int32_t head[2] = { (int32_t) i, (int32_t) i };
                vmgen_write_maddr(g, gen_directmap_to_maddr(g, idle), head, sizeof(head));
                image_put(g, g->sym_idle_vcpu + 8 * i, &idle, 8);
                gen_put64(g, g->percpu_page[i], idle);
        }
        if (!c->no_console_message) {
                char line[128];
                snprintf(line, sizeof(line), "(XEN) Hardware Dom0 crashed: Executing kexec image on cpu%u\n",
                         c->crashing_cpu);
                vmgen_console_write(g, line);
        }

        gen_add_infof(g, XKD_INFO_XEN, "PAGESIZE=4096");
        gen_add_infof(g, XKD_INFO_XEN, "SYMBOL(domain_list)=%" PRIx64, g->sym_domain_list);
        gen_add_infof(g, XKD_INFO_XEN, "SYMBOL(frame_table)=%" PRIx64, g->sym_frame_table);
        gen_add_infof(g, XKD_INFO_XEN, "SYMBOL(max_page)=%" PRIx64, g->sym_max_page);
        gen_add_infof(g, XKD_INFO_XEN, "SIZE(page_info)=%u", PAGE_INFO_SIZE(g));
        gen_add_infof(g, XKD_INFO_XEN, "SIZE(domain)=%u", DOMAIN_SIZE);
        if (c->off_count_text)
                gen_add_infof(g, XKD_INFO_XEN, "OFFSET(page_info.count_info)=%s", c->off_count_text);
        else
                gen_add_infof(g, XKD_INFO_XEN, "OFFSET(page_info.count_info)=%u", PAGE_INFO_OFF_COUNT(g));
        if (c->off_domain_text)
                gen_add_infof(g, XKD_INFO_XEN, "OFFSET(page_info._domain)=%s", c->off_domain_text);
        else
                gen_add_infof(g, XKD_INFO_XEN, "OFFSET(page_info._domain)=%u", PAGE_INFO_OFF_DOMAIN(g));
        gen_add_infof(g, XKD_INFO_XEN, "OFFSET(domain.domain_id)=%u", DOMAIN_OFF_ID);
        gen_add_infof(g, XKD_INFO_XEN, "OFFSET(domain.next_in_list)=%u", DOMAIN_OFF_NEXT);
        gen_add_infof(g, XKD_INFO_XEN, "SYMBOL(dom_xen)=%" PRIx64, g->sym_dom_xen);
        gen_add_infof(g, XKD_INFO_XEN, "SYMBOL(dom_io)=%" PRIx64, g->sym_dom_io);
        if (!c->no_pgd_l4)
                gen_add_infof(g, XKD_INFO_XEN, "SYMBOL(pgd_l4)=%" PRIx64, g->sym_pgd_l4);
        if (c->loadinfo) {
                gen_add_infof(g, XKD_INFO_LOAD, "XKD_VERSION=0.1");
                gen_add_infof(g, XKD_INFO_LOAD, "LOAD_TIME=1764300000");
                gen_add_infof(g, XKD_INFO_LOAD, "HOSTNAME=%s", c->hostname ? c->hostname : "vmgen-host");
                gen_add_infof(g, XKD_INFO_LOAD, "XEN_CMDLINE=%s",
                              c->xen_cmdline ? c->xen_cmdline : "console=com1 crashkernel=256M");
                gen_add_infof(g, XKD_INFO_LOAD, "DOM0_VMCOREINFO=6547e000 4132");
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(conring)=%" PRIx64, g->sym_conring);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(conring_size)=%" PRIx64, g->sym_conring_size);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(conringp)=%" PRIx64, g->sym_conringp);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(domain_list)=%" PRIx64, g->sym_domain_list);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(per_cpu__curr_vcpu)=%" PRIx64, g->sym_curr_vcpu);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(__per_cpu_offset)=%" PRIx64, g->sym_per_cpu_offset);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(idle_vcpu)=%" PRIx64, g->sym_idle_vcpu);
                gen_add_infof(g, XKD_INFO_LOAD, "SYMBOL(max_page)=%" PRIx64, g->sym_max_page);
                if (c->pdx != VMGEN_PDX_NONE)
                        setup_pdx_symbols(g);
                if (!c->pdx_no_symbols)        /* else: as an older loader's note */
                        gen_add_infof(g, XKD_INFO_LOAD, "XEN_SYMBOL_SET=%d", XKD_XEN_SYMBOL_SET);
        }
        return g;
}

void vmgen_free(struct vmgen *g) {
        if (!g)
                return;
        free(g->mem);
        free(g->written);
        free(g->xen_page);
        free(g->dom0_p2m);
        for (int i = 0; i < _XKD_INFO_MAX; i++)
                free(g->info[i]);
        free(g);
}

/* ---- ELF output -------------------------------------------------------- */

struct buf {
        uint8_t *p;
        size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n) {
        if (b->len + n + 4 > b->cap) {
                /* Doubling: thousands of CPU notes stay linear. */
                b->cap = 2 * (b->len + n + 4);
                b->p = realloc(b->p, b->cap);
        }
        assert(b->p);
        memcpy(b->p + b->len, data, n);
        b->len += n;
        while (b->len % 4)
                b->p[b->len++] = 0;
}

static void note(struct buf *b, const char *name, uint32_t type, const void *desc, size_t n) {
        uint32_t hdr[3] = { (uint32_t) strlen(name) + 1, (uint32_t) n, type };
        buf_add(b, hdr, sizeof(hdr));
        buf_add(b, name, strlen(name) + 1);
        buf_add(b, desc, n);
}

static void build_notes(struct vmgen *g, struct buf *b) {
        const struct vmgen_config *c = &g->cfg;
        for (unsigned i = 0; !c->no_cpu_notes && i < c->nr_cpus; i++) {
                uint8_t prstatus[336] = { 0 };
                memcpy(prstatus + 112, &g->cpus[i].regs, sizeof(g->cpus[i].regs));
                note(b, "CORE", 1, prstatus, sizeof(prstatus));
                uint64_t cr[4] = { g->cpus[i].cr0, g->cpus[i].cr2, g->cpus[i].cr3, g->cpus[i].cr4 };
                note(b, "Xen", 0x1000002, cr, sizeof(cr));
                if (i == 0 && !c->no_crash_info) {
                        uint64_t w[10] = { c->xen_major, c->xen_minor, g->str[0], g->str[1], g->str[2],
                                           g->str[3], g->str[4], c->tainted };
                        size_t n = 64;
                        if (c->crash_info_size == 72) {
                                w[8] = g->dom0_fll_mfn;
                                n = 72;
                        } else if (c->crash_info_size == 80) {
                                w[8] = VMGEN_XEN_PHYS_START;
                                w[9] = g->dom0_fll_mfn;
                                n = 80;
                        }
                        note(b, "Xen", 0x1000001, w, n);
                }
        }
        if (c->no_cpu_notes && !c->no_crash_info) {
                uint64_t w[10] = { c->xen_major, c->xen_minor, g->str[0], g->str[1], g->str[2],
                                   g->str[3], g->str[4], c->tainted, VMGEN_XEN_PHYS_START, g->dom0_fll_mfn };
                note(b, "Xen", 0x1000001, w, 80);
        }
        if (!c->no_vmcoreinfo_xen)
                note(b, "VMCOREINFO_XEN", 0, g->info[XKD_INFO_XEN], g->info_len[XKD_INFO_XEN]);
        if (g->info[XKD_INFO_DOM0])
                note(b, "VMCOREINFO", 0, g->info[XKD_INFO_DOM0], g->info_len[XKD_INFO_DOM0]);
        if (g->info[XKD_INFO_LOAD])
                note(b, XKD_NOTE_NAME, XKD_NOTE_LOADINFO, g->info[XKD_INFO_LOAD], g->info_len[XKD_INFO_LOAD]);
        for (unsigned i = 0; i < c->extra_core_notes; i++) {
                uint8_t prstatus[336] = { 0 };
                note(b, "CORE", 1, prstatus, sizeof(prstatus));
        }
}

/* PT_LOAD runs: RAM minus the hole, or (sparse) only written pages. */
static size_t build_loads(struct vmgen *g, uint64_t (*runs)[2], size_t max) {
        size_t n = 0;
        uint64_t pages = g->ram_end / PAGE;
        for (uint64_t m = 0; m < pages;) {
                bool in = vmgen_is_ram(g, m) && (!g->cfg.sparse || g->written[m]);
                if (!in) {
                        m++;
                        continue;
                }
                uint64_t s = m;
                while (m < pages && vmgen_is_ram(g, m) && (!g->cfg.sparse || g->written[m]))
                        m++;
                assert(n < max);
                runs[n][0] = s * PAGE;
                runs[n][1] = (m - s) * PAGE;
                n++;
        }
        return n;
}

int vmgen_write(struct vmgen *g, const char *path) {
        struct buf notes = { 0 };
        static uint64_t runs[4096][2];
        int r = 0;

        build_notes(g, &notes);
        size_t nruns = build_loads(g, runs, 4096), nextra = 0;
        for (size_t i = 0; i < 4; i++)
                if (g->cfg.extra_loads[i].size)
                        nextra = i + 1;
        size_t nph = 1 + nruns + nextra;
        Elf64_Ehdr eh = {
                .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
                .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t) nph,
        };
        Elf64_Phdr *ph = gen_xmalloc0(nph * sizeof(*ph));
        uint64_t off = sizeof(eh) + nph * sizeof(*ph);
        ph[0] = (Elf64_Phdr) { .p_type = PT_NOTE, .p_offset = off, .p_filesz = notes.len, .p_memsz = notes.len };
        off = (off + notes.len + PAGE - 1) & ~(uint64_t) (PAGE - 1);
        for (size_t i = 0; i < nruns; i++) {
                ph[1 + i] = (Elf64_Phdr) {
                        .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = off,
                        .p_vaddr = g->directmap + runs[i][0], .p_paddr = runs[i][0],
                        .p_filesz = runs[i][1], .p_memsz = runs[i][1], .p_align = 0,
                };
                off += runs[i][1];
        }
        for (size_t i = 0; i < nextra; i++) {
                ph[1 + nruns + i] = (Elf64_Phdr) {
                        .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = off,
                        .p_paddr = g->cfg.extra_loads[i].paddr, .p_filesz = g->cfg.extra_loads[i].size,
                        .p_memsz = g->cfg.extra_loads[i].size,
                };
                off += g->cfg.extra_loads[i].size;
        }

        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        if (pwrite(fd, &eh, sizeof(eh), 0) != (ssize_t) sizeof(eh) ||
            pwrite(fd, ph, nph * sizeof(*ph), sizeof(eh)) != (ssize_t) (nph * sizeof(*ph)) ||
            pwrite(fd, notes.p, notes.len, (off_t) ph[0].p_offset) != (ssize_t) notes.len)
                r = -EIO;
        for (size_t i = 0; r == 0 && i < nruns; i++)
                if (pwrite(fd, g->mem + runs[i][0], runs[i][1], (off_t) ph[1 + i].p_offset) != (ssize_t) runs[i][1])
                        r = -EIO;
        for (size_t i = 0; r == 0 && i < nextra; i++) {
                static uint8_t fill[PAGE];
                memset(fill, 0x5a, sizeof(fill));
                for (uint64_t done = 0; r == 0 && done < ph[1 + nruns + i].p_filesz; done += PAGE) {
                        size_t n = ph[1 + nruns + i].p_filesz - done < PAGE ? (size_t) (ph[1 + nruns + i].p_filesz - done) : PAGE;
                        if (pwrite(fd, fill, n, (off_t) (ph[1 + nruns + i].p_offset + done)) != (ssize_t) n)
                                r = -EIO;
                }
        }
        if (close(fd) < 0 && r == 0)
                r = -errno;
out:
        free(ph);
        free(notes.p);
        return r;
}
