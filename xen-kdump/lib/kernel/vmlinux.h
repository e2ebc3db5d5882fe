/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kernel proper behind a bzImage's decompressor: a compressed ELF vmlinux
 * (boot protocol >= 2.08 says where: payload_offset, payload_length).  At a
 * crash the decompressor is the slowest step before the capture's /init (the
 * Debian kernel's xz payload takes 3.5 s under QEMU TCG, a third of the whole
 * capture), and nothing about it needs the crash: `load` unpacks the payload
 * in dom0 and hands Xen the vmlinux's PT_LOADs laid out as one image, which
 * the entry stub enters at e_entry (startup_64, the 64-bit boot protocol:
 * identity-mapped, %rsi = boot_params), as kexec-tools does with a vmlinux.
 *
 * x86-64 Linux fixes its own page tables for any physical load address that
 * keeps its link address's 2 MiB alignment (head64.c, load_delta); the
 * virtual addresses stay the linked ones, so no relocation table is needed
 * (KASLR, the decompressor's job, is simply not done: a capture kernel runs
 * nokaslr anyway).
 */

#include <stddef.h>
#include <stdint.h>

#include "bzimage.h"

/* head64.c refuses (hangs) when the load delta is not a multiple of this. */
#define XKD_VMLINUX_ALIGN (2u << 20)
#define XKD_VMLINUX_MAX_LOADS 32

struct xkd_vmlinux {
        uint8_t *image;                 /* the PT_LOADs from base on, gaps zero; owned */
        size_t image_size;              /* bytes of it to copy: trailing zeros (.bss) dropped, Xen zero-fills */
        uint64_t mem_size;              /* what the kernel occupies from base: max(p_paddr + p_memsz) - base */
        uint64_t base;                  /* lowest p_paddr: the link-time physical load address */
        uint64_t entry_offset;          /* e_entry - base */
};

/*
 * Unpack bz's payload.  -EOPNOTSUPP (quietly) when it cannot be entered
 * directly and the decompressor must run at the crash instead: a compression
 * only a tool decodes (bzip2, lz4, lzo), no payload fields in the header, a link
 * address off the 2 MiB grid.  Any other error means a corrupt kernel and is
 * logged in one line naming the file (path) and the fix.
 */
int xkd_vmlinux_unpack(const struct xkd_bzimage *bz, const char *path, struct xkd_vmlinux *ret);

/* The same from an ELF image already decompressed (tests, fuzzer), fed to the
 * streaming parser in chunks of chunk bytes (0: all at once).  max_mem bounds
 * mem_size (the bzImage's init_size).  Errors are returned, not logged. */
int xkd_vmlinux_from_elf(const void *elf, size_t size, size_t chunk, uint64_t max_mem, struct xkd_vmlinux *ret);

void xkd_vmlinux_done(struct xkd_vmlinux *v);
