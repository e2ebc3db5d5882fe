/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The purgatory: the entry stub of a crash image.  Xen's relocation code
 * (kexec_reloc.S) jumps to the stub's FIRST BYTE in 64-bit long mode, with
 * Xen's GDT (no longer mapped), an empty IDT and undefined registers, on page
 * tables that identity-map only the image's segments.  The stub loads its own
 * GDT (CS 0x10, DS/ES/SS 0x18, as Linux's 64-bit boot protocol wants), stack
 * and IDT (NMIs ignored, exceptions reported on serial, then reset), hashes
 * every region with SHA-256, and either enters the kernel with %rsi =
 * boot_params (IDT limit 0 again, other GPRs 0) or, on a mismatch, resets
 * the machine (0xCF9, keyboard controller, triple fault) -- it never spins.  Details:
 * xen-kdump/purgatory/README.md.
 *
 * How the loader uses it:
 *   1. Lay out the other segments; fill params: kernel_entry, boot_params,
 *      one region per byte range the kernel must find intact (normally each
 *      segment's dest_maddr and buf_size), and sha256 = the digest of the
 *      regions' bytes concatenated in order (xkd_sha256_init/update/final
 *      over the segment buffers, zero tails included if a region covers
 *      them: Xen zeroes dest_size - buf_size).
 *   2. xkd_purgatory_build(&params, dest_maddr, ...): dest_maddr page
 *      aligned, inside the crash region, not overlapping any region.
 *   3. Add the segment {buf = image, buf_size = image_size,
 *      dest_maddr, dest_size = mem_size}; load with entry_maddr = dest_maddr.
 * The stub itself must not be a region (its params hold the digest and its
 * stack changes).  A region that is not identity mapped (not inside a
 * segment) faults, which is a triple fault, i.e. a reset: hash only segments.
 *
 * This header is also compiled freestanding into the stub: keep it to
 * <stdint.h>/<stddef.h>.
 */

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define XKD_PURGATORY_MAX_REGIONS 16

/* No serial output from the stub. */
#define XKD_PURGATORY_SERIAL_NONE 0

struct xkd_purgatory_region {
        uint64_t start;                 /* machine address (identity mapped at entry) */
        uint64_t size;                  /* bytes; 0 is allowed and hashes nothing */
};

/* Patched verbatim into the stub image: the layout is ABI between the two. */
struct xkd_purgatory_params {
        uint64_t kernel_entry;          /* 64-bit entry of the kernel (load address + 0x200) */
        uint64_t boot_params;           /* %rsi at kernel entry */
        uint32_t nr_regions;            /* <= XKD_PURGATORY_MAX_REGIONS */
        /* I/O port of an already initialised 16550 UART (0x3f8 for Xen's
         * com1, 0x2f8 for com2) the stub reports on ("digest ok" /
         * "digest MISMATCH, resetting"), or XKD_PURGATORY_SERIAL_NONE. */
        uint16_t serial_port;
        uint16_t reserved;              /* 0 */
        struct xkd_purgatory_region regions[XKD_PURGATORY_MAX_REGIONS];
        uint8_t sha256[XKD_SHA256_DIGEST_SIZE]; /* digest over the regions, in order */
};

_Static_assert(offsetof(struct xkd_purgatory_params, nr_regions) == 16, "params ABI");
_Static_assert(offsetof(struct xkd_purgatory_params, serial_port) == 20, "params ABI");
_Static_assert(offsetof(struct xkd_purgatory_params, regions) == 24, "params ABI");
_Static_assert(offsetof(struct xkd_purgatory_params, sha256) == 24 + 16 * XKD_PURGATORY_MAX_REGIONS,
               "params ABI");
_Static_assert(sizeof(struct xkd_purgatory_params) == 312, "params ABI");

/*
 * Build the stub image to be loaded at dest_maddr (page aligned, the
 * segment's dest_maddr and the image's entry_maddr): *image (malloc'd, free()
 * it) of *image_size bytes to copy, and *mem_size (>= *image_size, a multiple
 * of 4096) bytes of destination memory it needs (stack; Xen zeroes the tail
 * of a segment), to use as the segment's dest_size.
 *
 * The image is position independent: it does not depend on dest_maddr, which
 * is only used to refuse regions that overlap the stub.  Refuses (-EINVAL,
 * with a log line) nr_regions > XKD_PURGATORY_MAX_REGIONS, an unaligned or
 * zero dest_maddr, reserved != 0, a region that wraps around or overlaps
 * [dest_maddr, dest_maddr + mem_size), and a kernel_entry or boot_params
 * that lies in no region (the kernel would run unchecked).  The outputs are
 * untouched on failure; -EIO if the embedded blob does not match this header
 * (a build bug).
 * Returns 0 or a negative errno.
 */
int xkd_purgatory_build(const struct xkd_purgatory_params *p, uint64_t dest_maddr,
                        void **image, size_t *image_size, size_t *mem_size);

/* The stub's memory footprint without building it (for segment layout). */
size_t xkd_purgatory_mem_size(void);

/*
 * The check the stub runs, on the host: regions[].start are taken as
 * POINTERS (what identity mapping makes them in the stub).  Returns 0 when
 * the digest over the regions equals p->sha256, -EBADMSG when it differs,
 * -E2BIG when nr_regions is too large.  For tests; the loader computes the
 * digest from its buffers with xkd_sha256_*().
 */
int xkd_purgatory_verify(const struct xkd_purgatory_params *p);
