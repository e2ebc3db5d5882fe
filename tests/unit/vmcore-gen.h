/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Writes small synthetic Xen whole-machine vmcores for the tests: an ELF
 * ET_CORE with PT_LOADs over machine memory, per-CPU "CORE" NT_PRSTATUS and
 * "Xen" CRASH_REGS notes, CRASH_INFO (its strings placed in the Xen image),
 * VMCOREINFO_XEN, optionally dom0's VMCOREINFO and our XEN_KDUMP note, and in
 * memory: Xen's page tables (direct map with 2 MiB pages, image and frame
 * table with 4 KiB pages), the frame table, struct domains on domain_list,
 * dom_xen/dom_io, a console ring, and dom0's p2m and page tables.
 *
 * Memory layout (machine addresses): RAM from 0 (optionally with a hole),
 * the Xen image at XEN_PHYS_START + 2 MiB, Xen's own allocations taken from
 * the top of RAM downwards.  Everything else is yours: vmgen_page() gives a
 * page's bytes, vmgen_set_page_info() its count_info and owner.
 *
 *   struct vmgen *g = vmgen_new(&(struct vmgen_config) { .nr_cpus = 4 });
 *   uint64_t d1 = vmgen_add_domain(g, 1);
 *   vmgen_set_page_info(g, 300, PGC_..., d1);
 *   memset(vmgen_page(g, 300), 0xaa, 4096);
 *   vmgen_write(g, "/tmp/x/vmcore");
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen.h"

#define VMGEN_XEN_PHYS_START    UINT64_C(0x200000)
#define VMGEN_IMAGE_OFFSET      UINT64_C(0x200000)      /* Xen links its text 2 MiB in */
#define VMGEN_DOM0_DIRECTMAP    UINT64_C(0xffff888000000000)
#define VMGEN_DOM0_KERNEL_MAP   UINT64_C(0xffffffff80000000)

struct vmgen_config {
        uint64_t ram_size;              /* default 8 MiB (>= 4 MiB) */
        uint64_t hole_size;             /* a hole at 6 MiB (two PT_LOADs); needs ram_size > 6 MiB */
        unsigned nr_cpus;               /* default 2 */
        unsigned crashing_cpu;          /* whose stack is not the NMI one; printed on the console */
        unsigned xen_major, xen_minor;  /* default 4.17 */
        const char *extra_version, *changeset, *compiler, *compile_date, *compile_time;
        uint64_t tainted;
        unsigned crash_info_size;       /* CRASH_INFO bytes: 64, 72 or 80 (default 80) */
        uint32_t conring_size;          /* default 16 KiB */
        bool no_crash_info, no_vmcoreinfo_xen, no_cpu_notes, no_console_message;
        bool dom0;                      /* dom0 VMCOREINFO note + p2m + page tables */
        unsigned dom0_pages;            /* dom0 pseudo-physical pages (default 64) */
        bool loadinfo;                  /* XEN_KDUMP note with the console symbols */
        bool sparse;                    /* PT_LOADs only over pages written (small files) */
        bool old_image_base;            /* link at 0xffff82d080000000 (Xen 4.4-4.13) */
        bool no_pgd_l4;                 /* VMCOREINFO_XEN without SYMBOL(pgd_l4) */
        /* The loader's HOSTNAME / XEN_CMDLINE and dom0's OSRELEASE (NULL: the defaults). */
        const char *hostname, *xen_cmdline, *dom0_osrelease;
        /* Hostile values: OFFSET(page_info.count_info/_domain) as written (e.g. "-8"). */
        const char *off_count_text, *off_domain_text;
        /* More PT_LOADs after RAM (p_filesz bytes of 0x5a each; size 0 = none). */
        struct { uint64_t paddr, size; } extra_loads[4];
        /* "CORE" NT_PRSTATUS notes after all the others (a machine with many CPUs). */
        unsigned extra_core_notes;
        /* PDX compression of the frame-table index and the direct map: Xen's
         * mask scheme (<= 4.17) or offset scheme (4.21's x86 default).  Needs
         * ram_size 12 MiB and hole_size 10 MiB: RAM frames 0-0x5ff and
         * 0x1000-0x15ff, pdx 0-0x5ff and 0x800-0xdff (frame bit 11 squeezed
         * out; the offset tables index frames by bits 12+ and pdxs by 11+).
         * The loader note (loadinfo) names the variables unless pdx_no_symbols
 * (then it is an older loader's: no XEN_SYMBOL_SET line either). */
        enum { VMGEN_PDX_NONE, VMGEN_PDX_MASK, VMGEN_PDX_OFFSET } pdx;
        bool pdx_no_symbols;
        unsigned pdx_table_order;       /* offset tables of 2^order entries (1-6; 0 = 6) */
        /* CONFIG_BIGMEM: frame table at slot 262, direct map at 265, a 64-bit _domain. */
        bool bigmem;
        /* Frame-table pages machine-contiguous in ascending order, as Xen's
         * 2 MiB chunks are (default: each its own page, descending). */
        bool frame_table_contiguous;
};

struct vmgen;

struct vmgen *vmgen_new(const struct vmgen_config *cfg);
void vmgen_free(struct vmgen *g);

/* Writes the vmcore (mode 0600); returns 0 or -errno. */
int vmgen_write(struct vmgen *g, const char *path);

/* Machine memory.  Pointers stay valid until vmgen_free(). */
uint64_t vmgen_max_pfn(const struct vmgen *g);         /* one past the last RAM MFN */
bool vmgen_is_ram(const struct vmgen *g, uint64_t mfn);
uint8_t *vmgen_page(struct vmgen *g, uint64_t mfn);     /* marks it written */
/* Pages the generator itself used (image, page tables, frame table, heap). */
bool vmgen_is_xen_page(const struct vmgen *g, uint64_t mfn);
/* A fresh page from the Xen heap (top of RAM downwards). */
uint64_t vmgen_alloc_page(struct vmgen *g);

/* Xen structures. */
uint64_t vmgen_add_domain(struct vmgen *g, uint16_t id);        /* -> struct domain vaddr */
uint64_t vmgen_dom_xen(const struct vmgen *g);
uint64_t vmgen_dom_io(const struct vmgen *g);
void vmgen_set_page_info(struct vmgen *g, uint64_t mfn, uint64_t count_info, uint64_t owner_vaddr);
/* Moves every frame-table entry k frames up (the entry read for mfn is
 * mfn - k's), as a pdx rule the collector does not know would look. */
void vmgen_shift_frame_table(struct vmgen *g, uint64_t k);
void vmgen_console_write(struct vmgen *g, const char *text);
struct xkd_xen_cpu *vmgen_cpu(struct vmgen *g, unsigned i);
/* Makes a guest vCPU (of the domain at domain_vaddr) the one loaded on a CPU;
 * by default each CPU holds its idle vCPU.  Seen with cfg.loadinfo (the
 * per-CPU symbols are in the XEN_KDUMP note). */
void vmgen_cpu_run(struct vmgen *g, unsigned cpu, uint64_t domain_vaddr, int vcpu_id);
/* Extra "KEY=VALUE\n" lines for VMCOREINFO_XEN / XEN_KDUMP / dom0 VMCOREINFO. */
void vmgen_add_info(struct vmgen *g, enum xkd_info_source src, const char *line);
/* A Xen virtual address of n bytes inside the image's data page (for symbols). */
uint64_t vmgen_image_alloc(struct vmgen *g, size_t n);
uint64_t vmgen_image_to_maddr(const struct vmgen *g, uint64_t vaddr);
/* Maps a Xen virtual page to a machine page in Xen's page tables. */
void vmgen_map_xen(struct vmgen *g, uint64_t vaddr, uint64_t maddr);
/* ... with a 2 MiB (level 2) or 1 GiB (level 3) page. */
void vmgen_map_xen_large(struct vmgen *g, uint64_t vaddr, uint64_t maddr, int level);
/* Writes bytes at a machine address (marks the pages written). */
void vmgen_write_maddr(struct vmgen *g, uint64_t maddr, const void *data, size_t n);

/* dom0 (cfg.dom0): pseudo-physical frames map to scattered MFNs. */
uint64_t vmgen_dom0_mfn(const struct vmgen *g, uint64_t pfn);
uint8_t *vmgen_dom0_page(struct vmgen *g, uint64_t pfn);
uint64_t vmgen_dom0_domain(const struct vmgen *g);      /* its struct domain vaddr */
/* Xen's direct-map address of a machine address (PDX and BIGMEM as configured). */
uint64_t vmgen_directmap(const struct vmgen *g, uint64_t maddr);
uint64_t vmgen_pfn_to_pdx(const struct vmgen *g, uint64_t pfn);
/* Appends a record to dom0's printk ring buffer (16 descriptors, 4 KiB of
 * text: older records are overwritten like Linux does).  Record ids start
 * just below the 62-bit wrap so readers meet the wrap-around. */
void vmgen_dom0_printk(struct vmgen *g, uint64_t ts_nsec, const char *text);
