/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The ELF core header handed to the capture kernel with elfcorehdr=: it
 * describes the crashed machine, and the capture kernel turns it into
 * /proc/vmcore.  ET_CORE, EM_X86_64; PT_NOTEs point at note buffers in
 * machine memory (p_offset = p_paddr = machine address, as the kernel reads
 * them from "old memory"), PT_LOADs cover the machine's RAM minus the crash
 * region (p_vaddr 0: no virtual mapping is implied).
 */

#include <stddef.h>
#include <stdint.h>

#include "hv.h"

#define XKD_ELFCORE_MAX_NOTES 300
#define XKD_ELFCORE_MAX_LOADS XKD_MAX_E820

struct xkd_elfcore_input {
        const struct xkd_range *notes;  /* CPU notes, VMCOREINFO_XEN, dom0 VMCOREINFO, XEN_KDUMP */
        unsigned nr_notes;
        const struct xkd_e820 *machine; /* machine memory map */
        unsigned nr_machine;
        struct xkd_range crash;         /* excluded from the PT_LOADs */
};

/* Bytes the header will take (for layout, before addresses are known). */
size_t xkd_elfcore_size(unsigned nr_notes, unsigned nr_loads);

/* The RAM ranges of the machine map minus the crash region: what the PT_LOADs cover. */
int xkd_elfcore_ram_ranges(const struct xkd_e820 *machine, unsigned nr_machine,
                           const struct xkd_range *crash,
                           struct xkd_range *out, unsigned max, unsigned *ret_n);

/* Write the header into buf (size >= xkd_elfcore_size()); *ret_size = bytes used. */
int xkd_elfcore_build(const struct xkd_elfcore_input *in, void *buf, size_t size, size_t *ret_size);

/* One ELF note (name, type, desc) into buf; returns its size or -ENOBUFS. */
long xkd_elf_note(void *buf, size_t size, const char *name, uint32_t type, const void *desc, size_t desc_size);
