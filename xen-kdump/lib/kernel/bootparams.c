/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootparams.h"
#include "log.h"

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
        put32(p, (uint32_t) v);
        put32(p + 4, (uint32_t) (v >> 32));
}

struct map {
        struct xkd_e820 *e;
        unsigned n, max;
};

static int add(struct map *m, uint64_t addr, uint64_t end, uint32_t type) {
        if (end <= addr)
                return 0;
        if (m->n >= m->max)
                return -E2BIG;
        m->e[m->n++] = (struct xkd_e820) { addr, end - addr, type };
        return 0;
}

/* Add [s, e) of the given type, minus the holes[] (which are added as reserved by the caller). */
static int add_minus(struct map *m, uint64_t s, uint64_t e, uint32_t type,
                     const struct xkd_range *holes, unsigned nr_holes) {
        for (unsigned i = 0; i < nr_holes && s < e; i++) {
                uint64_t hs = holes[i].start, he = holes[i].start + holes[i].size;
                if (he <= s || hs >= e)
                        continue;
                if (hs > s) {
                        int r = add_minus(m, s, hs, type, holes + i + 1, nr_holes - i - 1);
                        if (r < 0)
                                return r;
                }
                s = he;
        }
        return add(m, s, e, type);
}

static int cmp_range(const void *a, const void *b) {
        const struct xkd_range *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_e820(const void *a, const void *b) {
        const struct xkd_e820 *x = a, *y = b;
        return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int xkd_capture_e820(const struct xkd_e820 *machine, unsigned nr_machine,
                     const struct xkd_range *crash,
                     const struct xkd_range *reserved, unsigned nr_reserved,
                     struct xkd_e820 *out, unsigned max, unsigned *ret_n) {
        struct map m = { out, 0, max };
        uint64_t cs = crash->start, ce = crash->start + crash->size;
        struct xkd_range holes[16];
        int r;

        if (nr_reserved > 16)
                return -E2BIG;
        memcpy(holes, reserved, nr_reserved * sizeof(*holes));
        qsort(holes, nr_reserved, sizeof(*holes), cmp_range);
        reserved = holes;

        for (unsigned i = 0; i < nr_machine; i++) {
                uint64_t s = machine[i].addr, e = s + machine[i].size;

                if (machine[i].type == XKD_E820_RAM) {
                        /* Low RAM stays usable: the kernel needs it below 1 MiB for its
                         * real-mode trampoline.  It holds only Xen's boot-time data. */
                        r = add(&m, s, e < XKD_LOW_MEMORY_END ? e : XKD_LOW_MEMORY_END, XKD_E820_RAM);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* Firmware ranges are kept, except where they would clash with the region. */
                if (e > cs && s < ce)
                        continue;
                r = add(&m, s, e, machine[i].type);
                if (r < 0)
                        return r;
        }

        r = add_minus(&m, cs, ce, XKD_E820_RAM, reserved, nr_reserved);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < nr_reserved; i++) {
                uint64_t s = reserved[i].start, e = s + reserved[i].size;
                if (s < cs)
                        s = cs;
                if (e > ce)
                        e = ce;
                r = add(&m, s, e, XKD_E820_RESERVED);
                if (r < 0)
                        return r;
        }
        qsort(out, m.n, sizeof(*out), cmp_e820);
        *ret_n = m.n;
        return 0;
}

int xkd_boot_params_build(const struct xkd_boot_params_input *in, uint8_t *bp) {
        const struct xkd_bzimage *k = in->kernel;

        if (in->nr_e820 > XKD_BP_E820_MAX)
                return log_error_errno(-E2BIG, "The capture memory map has %u entries, boot_params holds %d; report this as a bug.",
                                       in->nr_e820, XKD_BP_E820_MAX);
        if (in->cmdline_maddr >> 32 || in->initrd_maddr + in->initrd_size > (1ULL << 32)) {
                /* ext_* fields exist, but only the XLF_CAN_BE_LOADED_ABOVE_4G kernels read them. */
                if (!(k->xloadflags & XKD_XLF_CAN_BE_LOADED_ABOVE_4G))
                        return log_error_errno(-ERANGE, "The crash region lies above 4 GiB but the kernel cannot be loaded there; put crashkernel=<size>,below=4G on Xen's command line.");
        }
        if (in->initrd_size && in->initrd_maddr + in->initrd_size - 1 > k->initrd_addr_max &&
            !(k->xloadflags & XKD_XLF_CAN_BE_LOADED_ABOVE_4G))
                return log_error_errno(-ERANGE, "The initramfs would end at 0x%llx, above the kernel's initrd_addr_max 0x%x; put crashkernel=<size>,below=4G on Xen's command line.",
                                       (unsigned long long) (in->initrd_maddr + in->initrd_size), k->initrd_addr_max);

        memset(bp, 0, XKD_BOOT_PARAMS_SIZE);
        /* The setup header as the image carries it; the kernel reads its own
         * fields (init_size, kernel_alignment...) from here. */
        memcpy(bp + XKD_SETUP_HDR_OFFSET, k->data + XKD_SETUP_HDR_OFFSET,
               k->setup_header_end - XKD_SETUP_HDR_OFFSET);

        bp[XKD_BP_TYPE_OF_LOADER] = 0xff;       /* undefined boot loader */
        /* No real-mode setup code runs: no heap, and leave segment handling alone. */
        bp[XKD_BP_LOADFLAGS] = (uint8_t) ((bp[XKD_BP_LOADFLAGS] | XKD_LOADED_HIGH) & ~XKD_CAN_USE_HEAP);
        put16(bp + XKD_BP_HEAP_END_PTR, 0);

        put32(bp + XKD_BP_CMD_LINE_PTR, (uint32_t) in->cmdline_maddr);
        put32(bp + XKD_BP_EXT_CMD_LINE_PTR, (uint32_t) (in->cmdline_maddr >> 32));
        put32(bp + XKD_BP_RAMDISK_IMAGE, (uint32_t) in->initrd_maddr);
        put32(bp + XKD_BP_EXT_RAMDISK_IMAGE, (uint32_t) (in->initrd_maddr >> 32));
        put32(bp + XKD_BP_RAMDISK_SIZE, (uint32_t) in->initrd_size);
        put32(bp + XKD_BP_EXT_RAMDISK_SIZE, (uint32_t) (in->initrd_size >> 32));
        put64(bp + XKD_BP_ACPI_RSDP_ADDR, in->acpi_rsdp);

        bp[XKD_BP_E820_ENTRIES] = (uint8_t) in->nr_e820;
        for (unsigned i = 0; i < in->nr_e820; i++) {
                uint8_t *e = bp + XKD_BP_E820_TABLE + 20 * i;
                put64(e, in->e820[i].addr);
                put64(e + 8, in->e820[i].size);
                put32(e + 16, in->e820[i].type);
        }
        /* sentinel stays 0: a non-zero one makes the kernel wipe our fields. */
        return 0;
}
