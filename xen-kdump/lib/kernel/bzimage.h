/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Linux x86 boot protocol, as much of it as a crash loader needs
 * (Documentation/arch/x86/boot.rst).  We accept only what can be entered
 * through the 64-bit entry point at any aligned address: protocol >= 2.12,
 * relocatable, XLF_KERNEL_64.
 */

#include <stddef.h>
#include <stdint.h>

#define XKD_SETUP_HDR_OFFSET    0x1f1
#define XKD_SETUP_HDR_MAX_END   0x290   /* the setup header ends before edd_mbr_sig_buffer */
#define XKD_BOOT_PROTO_MIN      0x020c  /* 2.12: xloadflags, XLF_KERNEL_64 */
#define XKD_XLF_KERNEL_64       (1 << 0)
#define XKD_XLF_CAN_BE_LOADED_ABOVE_4G (1 << 1)
#define XKD_LOADED_HIGH         (1 << 0)
#define XKD_KEEP_SEGMENTS       (1 << 6)
#define XKD_CAN_USE_HEAP        (1 << 7)

struct xkd_bzimage {
        const uint8_t *data;            /* the whole file, not owned */
        size_t size;
        uint16_t version;               /* boot protocol, e.g. 0x020f */
        unsigned setup_sects;
        size_t setup_size;              /* (setup_sects + 1) * 512 */
        const uint8_t *kernel;          /* protected-mode kernel */
        size_t kernel_size;
        uint32_t kernel_alignment;
        uint32_t init_size;             /* memory the kernel needs from its load address */
        uint32_t cmdline_size;          /* max command line length, without the NUL */
        uint32_t initrd_addr_max;
        uint16_t xloadflags;
        uint64_t pref_address;
        uint32_t payload_offset;        /* the compressed vmlinux, from kernel (protocol >= 2.08) */
        uint32_t payload_length;        /* 0: not given */
        size_t setup_header_end;        /* 0x202 + the jump's displacement byte */
};

/* Parse and validate; on refusal logs one line naming the problem and the fix. */
int xkd_bzimage_parse(const void *data, size_t size, struct xkd_bzimage *ret);
