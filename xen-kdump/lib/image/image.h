/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The crash image: everything xen-kdump load hands to Xen.  Segments, in
 * address order inside the crash region:
 *   kernel        the vmlinux unpacked from the bzImage (vmlinux.h), dest_size
 *                 = its memory span, entered at its e_entry; or, with
 *                 decompressor_entry or a payload only a tool decodes, the
 *                 bzImage's protected-mode code, dest_size = init_size (its
 *                 work area), entered at +0x200
 *   boot_params   zero page + command line
 *   elfcorehdr    ELF core header + the XEN_KDUMP note (E820-reserved)
 *   stub          the purgatory entry stub (the entry point; its SHA-256
 *                 covers every other buffered segment, the initrd first:
 *                 see load-inputs.h)
 *   initrd
 * plus one buffer-less segment [0, 1 MiB) that only makes Xen identity-map
 * low memory, which the kernel's early boot code reads (BIOS data area) and
 * writes (trampoline).  Everything above the last segment stays free: Xen
 * carves its control and page-table pages from there, and the capture kernel
 * runs in it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bzimage.h"
#include "hv.h"
#include "sha256.h"
#include "vmlinux.h"

struct xkd_load_inputs;

/* What the capture kernel needs to run beyond its own image (MiB). */
#define XKD_CAPTURE_RUNTIME_MIN (48ULL << 20)
#define XKD_CMDLINE_MAX 4096

enum {
        XKD_SEG_LOWMEM,
        XKD_SEG_KERNEL,
        XKD_SEG_BOOT_PARAMS,
        XKD_SEG_ELFCOREHDR,
        XKD_SEG_STUB,
        XKD_SEG_INITRD,
        _XKD_SEG_MAX,
};

struct xkd_image_input {
        const void *kernel;             /* bzImage file contents */
        size_t kernel_size;
        const void *initrd;             /* may be NULL */
        size_t initrd_size;
        const char *kernel_path;        /* for the note and the state file */
        const char *initrd_path;
        const char *append;             /* user's capture command line additions */
        bool decompressor_entry;        /* enter the bzImage, do not unpack it */
        const char *sysroot;            /* host files (see host.h); "" = / */
        time_t load_time;
        /* The same kernel and initrd read by xkd_load_inputs_read(), with their
         * digests and measurements; NULL: hash and measure here. */
        const struct xkd_load_inputs *known;
};

struct xkd_image {
        struct xkd_segment segments[XKD_MAX_SEGMENTS];
        unsigned nr_segments;
        int index[_XKD_SEG_MAX];        /* segment index of each part, -1 if absent */
        uint64_t entry;
        struct xkd_range crash;
        struct xkd_bzimage bz;
        struct xkd_vmlinux vmlinux;     /* image NULL: entered through the decompressor */
        char cmdline[XKD_CMDLINE_MAX];
        uint64_t kernel_maddr, boot_params_maddr, cmdline_maddr, elfcorehdr_maddr;
        uint64_t loadinfo_maddr, loadinfo_size, initrd_maddr;
        size_t elfcorehdr_size;
        unsigned nr_cpu_notes;
        int have_dom0_vmcoreinfo;
        uint64_t acpi_rsdp;
        uint8_t kernel_sha256[XKD_SHA256_DIGEST_SIZE];
        uint8_t initrd_sha256[XKD_SHA256_DIGEST_SIZE];
        uint64_t needed;                /* bytes of crash region the image needs */
        /* owned buffers */
        uint8_t *boot_params_buf;
        uint8_t *elfcorehdr_buf;
        void *stub_buf;
};

/* Build the image for this hypervisor; logs one line and fails on bad input. */
int xkd_image_build(xkd_hv *hv, const struct xkd_image_input *in, struct xkd_image **ret);
/* Before the initramfs is read: can the crash region hold this kernel and an
 * initramfs of initrd_size bytes at all?  Refuses (one line: the region, the
 * need, the crashkernel= to use) only what xkd_image_build() would refuse too. */
int xkd_image_check_region(const struct xkd_range *crash, const void *kernel, size_t kernel_size, uint64_t initrd_size);
/* Every rule Xen checks before it writes into the crash region (kexec-rules.h). */
int xkd_image_check_rules(const struct xkd_image *img);
/* Check Xen's rules, then load.  Never unloads first.  A refusal by the rules
 * touches nothing; a failed hypercall may have left the previous image armed
 * with its memory overwritten (Xen copies before its last checks: hv-sim-load.c),
 * which the caller must repair (verb-load.c reloads it or unloads). */
int xkd_image_load(xkd_hv *hv, const struct xkd_image *img);
struct xkd_image *xkd_image_free(struct xkd_image *img);

/* "crashkernel=<n>M" big enough for needed bytes. */
void xkd_crashkernel_suggestion(uint64_t needed, char *buf, size_t size);
