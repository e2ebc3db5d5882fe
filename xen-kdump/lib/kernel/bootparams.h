/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * boot_params (the "zero page") for the capture kernel, and the memory map it
 * gets: only the crash region (and the firmware's low memory, which the
 * kernel needs for its real-mode trampoline) as RAM, the loader's reserved
 * ranges (ELF core header, notes) as reserved, and every ACPI/NVS/reserved
 * range of the machine map kept, so ACPI and devices still work.
 */

#include <stddef.h>
#include <stdint.h>

#include "bzimage.h"
#include "hv.h"

#define XKD_BOOT_PARAMS_SIZE    4096
#define XKD_BP_ACPI_RSDP_ADDR   0x070
#define XKD_BP_EXT_RAMDISK_IMAGE 0x0c0
#define XKD_BP_EXT_RAMDISK_SIZE 0x0c4
#define XKD_BP_EXT_CMD_LINE_PTR 0x0c8
#define XKD_BP_E820_ENTRIES     0x1e8
#define XKD_BP_SENTINEL         0x1ef
#define XKD_BP_TYPE_OF_LOADER   0x210
#define XKD_BP_LOADFLAGS        0x211
#define XKD_BP_RAMDISK_IMAGE    0x218
#define XKD_BP_RAMDISK_SIZE     0x21c
#define XKD_BP_HEAP_END_PTR     0x224
#define XKD_BP_CMD_LINE_PTR     0x228
#define XKD_BP_E820_TABLE       0x2d0
#define XKD_BP_E820_MAX         128
#define XKD_LOW_MEMORY_END      0x100000ULL

/* The capture kernel's memory map, sorted, non-overlapping.  reserved[] are
 * ranges inside the crash region to hide from the capture kernel. */
int xkd_capture_e820(const struct xkd_e820 *machine, unsigned nr_machine,
                     const struct xkd_range *crash,
                     const struct xkd_range *reserved, unsigned nr_reserved,
                     struct xkd_e820 *out, unsigned max, unsigned *ret_n);

struct xkd_boot_params_input {
        const struct xkd_bzimage *kernel;
        uint64_t cmdline_maddr;
        uint64_t initrd_maddr;
        uint64_t initrd_size;
        uint64_t acpi_rsdp;             /* 0: unknown, let the kernel search */
        const struct xkd_e820 *e820;
        unsigned nr_e820;
};

/* Fill out[XKD_BOOT_PARAMS_SIZE]. */
int xkd_boot_params_build(const struct xkd_boot_params_input *in, uint8_t *out);
