/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * How big Xen's crash region must be for a capture to work, from facts about
 * the capture image and the host.  Pure arithmetic, so that the numbers can
 * be tested and checked against the minimums measured in the VM tests.
 *
 * Memory life of the region (all of it is the capture kernel's RAM):
 *   at load      the bzImage needs init_size bytes from its aligned load
 *                address to decompress itself in place; the packed initramfs,
 *                boot parameters, ELF core header and entry stub sit beside it
 *                and Xen carves its page tables from the free rest;
 *   booting      the kernel reserves its image (text..._end, gaps included),
 *                struct pages for the region and its own allocations, and
 *                unpacks the initramfs into tmpfs (unreclaimable) while the
 *                packed copy is still there;
 *   collecting   the packed copy, init memory and the gaps between sections
 *                are freed; the collector allocates its bitmaps (two bits per
 *                host page frame) and its buffers.
 * The region must hold the largest of the three.  And without root= the
 * rootfs the initramfs unpacks into is a tmpfs, which takes at most half of
 * the RAM the kernel manages (its image, the packed initramfs and the struct
 * pages are not managed): a big initramfs needs twice its size in the region.
 * Measured: Debian's kernel with a 188 MiB (unpacked) dracut image fails to
 * unpack in 480 MiB, captures in 488.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv.h"

#define XKD_MiB (1ULL << 20)

/*
 * What the kernel allocates at run time besides its image, struct pages and
 * the initramfs (slab, page tables, per-CPU areas, driver rings, the page
 * cache the collector writes through).  Calibrated against the VM minimums:
 * see crashkernel/README.md.  A distribution kernel also loads its modules
 * from the initramfs into vmalloc space, so it needs more.
 */
#define XKD_EST_RUNTIME_MINIMAL (8 * XKD_MiB)
#define XKD_EST_RUNTIME_DISTRO  (15 * XKD_MiB)
/* Sockets, NIC rings and retransmit queues of an ssh or NFS target. */
#define XKD_EST_NETWORK         (8 * XKD_MiB)
/* The collector's own heap: I/O and compression buffers, ELF headers, report
 * (peak RSS measured in the VM: 13.2 MiB with its libraries, which the
 * initramfs footprint already counts). */
#define XKD_EST_COLLECTOR_BUFFERS (12 * XKD_MiB)
/* makedumpfile (engine makedumpfile, dump level 0-1): its cyclic buffer and I/O. */
#define XKD_EST_MAKEDUMPFILE_BUFFERS (16 * XKD_MiB)
/* Boot parameters, ELF core header, entry stub, Xen's control and page-table pages. */
#define XKD_EST_LOADER          (1 * XKD_MiB)
/* crashkernel= sizes are suggested in multiples of this. */
#define XKD_EST_GRANULE         (4 * XKD_MiB)
/* struct page per 4 KiB page of the region (x86_64: 64 bytes). */
#define XKD_EST_STRUCT_PAGE     64ULL
#define XKD_EST_PAGE            4096ULL

struct xkd_estimate_input {
        uint64_t kernel_init_size;      /* bzImage setup header init_size */
        uint64_t kernel_alignment;      /* bzImage kernel_alignment */
        uint64_t kernel_payload;        /* protected-mode part of the bzImage file */
        uint64_t kernel_static;         /* memory span of the decompressed kernel (0: unknown) */
        uint64_t kernel_resident;       /* its sections without the gaps (0: = kernel_static) */
        bool minimal_kernel;            /* built by crashkernel/ (everything built in) */
        uint64_t initrd_packed;
        uint64_t initrd_unpacked;       /* tmpfs footprint (initrd-size.h) */
        uint64_t host_max_pfn;          /* highest host RAM page frame + 1 */
        bool network_target;            /* ssh or NFS */
        bool makedumpfile;              /* engine makedumpfile instead of the native collector */
};

struct xkd_estimate {
        /* at load */
        uint64_t kernel_load;           /* init_size, aligned, plus alignment slack */
        uint64_t loader;
        uint64_t at_load;               /* kernel_load + initrd_packed + loader */
        /* at run time */
        uint64_t kernel_static;         /* reserved while booting */
        uint64_t kernel_resident;       /* kept once init memory and section gaps are freed */
        uint64_t kernel_runtime;        /* incl. network allowance */
        uint64_t initrd_unpacked;
        uint64_t initrd_transient;      /* packed copy, freed before the collector runs */
        uint64_t collector_bitmaps;
        uint64_t collector_buffers;
        uint64_t boot_phase;            /* kernel_static + runtime + packed + unpacked */
        uint64_t unpack_phase;          /* kernel_static + packed + 2 x unpacked (tmpfs limit) */
        uint64_t collect_phase;         /* kernel_resident + runtime + unpacked + collector */
        uint64_t at_run;                /* the largest phase + loader */
        /* total */
        uint64_t struct_pages;          /* for the whole (recommended) region */
        uint64_t margin;
        uint64_t needed;                /* bytes; never below what the VM tests measured */
        uint64_t minimum;               /* the same without the margin: below it load refuses */
        uint64_t recommended;           /* needed rounded up to XKD_EST_GRANULE */
};

void xkd_estimate_compute(const struct xkd_estimate_input *in, struct xkd_estimate *ret);

/* "64M", "1G" — the crashkernel= size syntax, exact (falls back to M or K). */
void xkd_estimate_size_arg(uint64_t bytes, char *buf, size_t size);

/* A size given by a user: a number with K, M, G or T (binary units); 0 may go bare. */
int xkd_estimate_parse_size(const char *s, uint64_t *ret);

/*
 * The size of Xen's crashkernel= option on a Xen command line, in bytes.
 * Only the plain forms <size>[@offset|<offset] and <size>,below=... are
 * understood; the ranges form returns -EOPNOTSUPP, none -ENOENT.
 */
int xkd_estimate_parse_crashkernel(const char *xen_cmdline, uint64_t *ret);

/*
 * Find GRUB_CMDLINE_XEN_DEFAULT's value in /etc/default/grub text (quotes
 * removed).  -ENOENT when the file does not set it.
 */
int xkd_estimate_grub_xen_default(const char *grub_text, char *buf, size_t size);

/* The same value with every crashkernel= replaced by crashkernel=<arg>, or it appended. */
int xkd_estimate_replace_crashkernel(const char *value, const char *arg, char *buf, size_t size);

/*
 * The estimate's minimum (no margin) for image files, with the native
 * collector and a local target (the smallest configuration): what `load`
 * checks the crash region against; `estimate` recommends the margin on top.
 * 0 when the files cannot be measured (logged).  XKD_LOAD_UNCHECKED_RUNTIME=1
 * in the environment returns 1: minimum searches must see real failures.
 */
uint64_t xkd_estimate_image_need(const char *kernel_path, const char *initrd_path,
                                 const struct xkd_e820 *map, unsigned nr_map);
/* The same from facts already measured (is NULL: no initramfs). */
struct xkd_kernel_facts;
struct xkd_initrd_size;
uint64_t xkd_estimate_need_from_facts(const struct xkd_kernel_facts *kf, const struct xkd_initrd_size *is,
                                      const struct xkd_e820 *map, unsigned nr_map);
