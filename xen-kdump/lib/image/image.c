/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootparams.h"
#include "capture-cmdline.h"
#include "elfcore.h"
#include "estimate.h"
#include "host.h"
#include "image.h"
#include "kexec-rules.h"
#include "load-inputs.h"
#include "log.h"
#include "purgatory.h"
#include "xkd-note.h"

#define MiB (1ULL << 20)

static uint64_t align_up(uint64_t x, uint64_t a) {
        return (x + a - 1) & ~(a - 1);
}

void xkd_crashkernel_suggestion(uint64_t needed, char *buf, size_t size) {
        /* Round up to a multiple of 64 MiB: sizes people recognise, with headroom. */
        snprintf(buf, size, "crashkernel=%lluM", (unsigned long long) (align_up(needed, 64 * MiB) / MiB));
}

struct xkd_image *xkd_image_free(struct xkd_image *img) {
        if (!img)
                return NULL;
        free(img->boot_params_buf);
        free(img->elfcorehdr_buf);
        free(img->stub_buf);
        xkd_vmlinux_done(&img->vmlinux);
        free(img);
        return NULL;
}

/* Notes Xen keeps for the dump: one buffer per CPU, then VMCOREINFO_XEN. */
static int collect_xen_notes(xkd_hv *hv, struct xkd_range *notes, unsigned max, unsigned *n, unsigned *nr_cpu_notes) {
        unsigned cpus;
        struct xkd_range r;
        int k;

        k = xkd_hv_nr_cpus(hv, &cpus);
        if (k < 0)
                return log_error_errno(k, "Cannot ask Xen for the number of CPUs: %m; run this in dom0 with xen-privcmd loaded.");
        for (unsigned cpu = 0; cpu < cpus; cpu++) {
                k = xkd_hv_get_cpu_note(hv, cpu, &r);
                if (k == -ERANGE || k == -EINVAL)
                        break;          /* past the last possible CPU */
                if (k < 0)
                        return log_error_errno(k, "Cannot ask Xen for CPU %u's crash note: %m.", cpu);
                if (!r.size)
                        continue;       /* CPU never brought up: no buffer */
                if (*n >= max)
                        return -E2BIG;
                notes[(*n)++] = r;
        }
        *nr_cpu_notes = *n;
        if (!*nr_cpu_notes)
                return log_error_errno(-ENODATA, "Xen reports no per-CPU crash notes; this Xen cannot write crash notes, use a Xen built with CONFIG_KEXEC.");

        k = xkd_hv_get_vmcoreinfo(hv, &r);
        if (k == 0 && r.size && *n < max)
                notes[(*n)++] = r;
        else
                log_warning("Xen has no VMCOREINFO_XEN buffer; the dump will lack Xen's structure layout.");
        return 0;
}

static int loadinfo_text(const struct xkd_image_input *in, const char *xen_cmdline,
                         const struct xkd_range *crash, const struct xkd_range *dom0_vmci,
                         char *buf, size_t size) {
        char host[256] = "";
        int n, r;

        gethostname(host, sizeof(host) - 1);
        n = snprintf(buf, size,
                     "XKD_VERSION=0.1\nLOAD_TIME=%lld\nHOSTNAME=%s\nXEN_CMDLINE=%s\n"
                     "CRASH_REGION=%" PRIx64 " %" PRIx64 "\nKERNEL=%s\nINITRD=%s\n",
                     (long long) in->load_time, host, xen_cmdline, crash->start, crash->size,
                     in->kernel_path ? in->kernel_path : "", in->initrd_path ? in->initrd_path : "");
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        if (dom0_vmci->size) {
                size_t used = strlen(buf);
                n = snprintf(buf + used, size - used, "DOM0_VMCOREINFO=%" PRIx64 " %" PRIu64 "\n",
                             dom0_vmci->start, dom0_vmci->size);
                if (n < 0 || (size_t) n >= size - used)
                        return -ENOBUFS;
        }
        r = xkd_host_xen_symbols(in->sysroot, buf, size);
        if (r == -ENOENT)
                log_warning("No /proc/xen/xensyms (mount xenfs on /proc/xen; dom0 kernel needs CONFIG_XEN_SYMS): the crash report will lack Xen's console ring and vCPU state.");
        else if (r < 0)
                return r;
        else {
                size_t used = strlen(buf);
                n = snprintf(buf + used, size - used, "XEN_SYMBOL_SET=%d\n", XKD_XEN_SYMBOL_SET);
                if (n < 0 || (size_t) n >= size - used)
                        return -ENOBUFS;
        }
        return 0;
}

static int refuse_too_small(const struct xkd_range *crash, uint64_t needed) {
        char sug[64];

        xkd_crashkernel_suggestion(needed, sug, sizeof(sug));
        return log_error_errno(-ENOSPC, "The crash region is %llu MiB but this capture image needs %llu MiB; put %s on Xen's command line (not dom0's) and reboot.",
                               (unsigned long long) (crash->size / MiB), (unsigned long long) ((needed + MiB - 1) / MiB), sug);
}

/* Rough need, before the exact layout: kernel work area, initramfs, runtime. */
static uint64_t rough_need(const struct xkd_bzimage *bz, uint64_t initrd_size) {
        return align_up(bz->init_size, XKD_PAGE_SIZE) + align_up(initrd_size, XKD_PAGE_SIZE) +
               bz->kernel_alignment + 2 * MiB + XKD_CAPTURE_RUNTIME_MIN;
}

static int refuse_no_region(uint64_t needed) {
        char sug[64];

        xkd_crashkernel_suggestion(needed, sug, sizeof(sug));
        return log_error_errno(-ENXIO, "Xen has no crash region reserved; add %s to Xen's command line (GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, not dom0's), run update-grub and reboot.", sug);
}

int xkd_image_check_region(const struct xkd_range *crash, const void *kernel, size_t kernel_size, uint64_t initrd_size) {
        struct xkd_bzimage bz;
        uint64_t min_load, kernel_maddr, end;
        int r;

        r = xkd_bzimage_parse(kernel, kernel_size, &bz);
        if (r < 0)
                return r;
        if (!crash->size)
                return refuse_no_region(rough_need(&bz, initrd_size));
        /* What the layout below can never go under: the kernel where it must sit,
         * its work area, one page each for boot_params, the ELF core header and
         * the stub, then the initramfs.  Measurements only add to it. */
        min_load = bz.pref_address && bz.pref_address <= 64 * MiB ? bz.pref_address : 16 * MiB;
        kernel_maddr = align_up(crash->start > min_load ? crash->start : min_load, bz.kernel_alignment);
        end = kernel_maddr + align_up(bz.init_size, XKD_PAGE_SIZE) + 3 * XKD_PAGE_SIZE + align_up(initrd_size, XKD_PAGE_SIZE);
        if (end > crash->start + crash->size) {
                uint64_t rough = rough_need(&bz, initrd_size);
                return refuse_too_small(crash, end - crash->start > rough ? end - crash->start : rough);
        }
        return 0;
}

int xkd_image_build(xkd_hv *hv, const struct xkd_image_input *in, struct xkd_image **ret) {
        struct xkd_range notes[XKD_ELFCORE_MAX_NOTES], dom0_vmci = {};
        struct xkd_e820 machine[XKD_MAX_E820], capture[XKD_BP_E820_MAX];
        unsigned nr_machine = 0, nr_notes = 0, nr_capture = 0, nr_ram = 0;
        struct xkd_range ram[XKD_ELFCORE_MAX_LOADS];
        char xen_cmdline[1024] = "", *loadinfo = NULL;
        struct xkd_image *img;
        uint64_t min_load, p, end, slack;
        int r;

        img = calloc(1, sizeof(*img));
        if (!img)
                return log_error_errno(-ENOMEM, "Out of memory.");
        for (int i = 0; i < _XKD_SEG_MAX; i++)
                img->index[i] = -1;

        r = xkd_bzimage_parse(in->kernel, in->kernel_size, &img->bz);
        if (r < 0)
                goto fail;
        if (!in->decompressor_entry) {
                r = xkd_vmlinux_unpack(&img->bz, in->kernel_path ? in->kernel_path : "the kernel", &img->vmlinux);
                if (r < 0 && r != -EOPNOTSUPP)
                        goto fail;
        }

        r = xkd_hv_get_crash_range(hv, &img->crash);
        if (r < 0) {
                log_error_errno(r, "Cannot ask Xen for the crash region: %m; run this in dom0 of a Xen built with kexec support.");
                goto fail;
        }
        img->needed = rough_need(&img->bz, in->initrd_size);
        if (!img->crash.size) {
                r = refuse_no_region(img->needed);
                goto fail;
        }

        r = xkd_hv_xen_cmdline(hv, xen_cmdline, sizeof(xen_cmdline));
        if (r < 0)
                log_warning("Cannot read Xen's command line (%s); the capture kernel gets no serial console.", strerror(-r));
        r = xkd_hv_memory_map(hv, machine, XKD_MAX_E820, &nr_machine);
        if (r < 0) {
                log_error_errno(r, "Cannot read the machine memory map from Xen: %m.");
                goto fail;
        }
        r = collect_xen_notes(hv, notes, XKD_ELFCORE_MAX_NOTES - 2, &nr_notes, &img->nr_cpu_notes);
        if (r < 0)
                goto fail;
        if (xkd_host_dom0_vmcoreinfo(in->sysroot, &dom0_vmci) == 0) {
                notes[nr_notes++] = dom0_vmci;
                img->have_dom0_vmcoreinfo = 1;
        } else
                log_warning("No /sys/kernel/vmcoreinfo in dom0: the dump will lack dom0's VMCOREINFO (makedumpfile then needs dom0's debug vmlinux).");
        if (xkd_host_acpi_rsdp(in->sysroot, &img->acpi_rsdp) < 0)
                img->acpi_rsdp = 0;

        loadinfo = malloc(XKD_NOTE_MAX_SIZE);
        if (!loadinfo) {
                r = log_error_errno(-ENOMEM, "Out of memory.");
                goto fail;
        }
        r = loadinfo_text(in, xen_cmdline, &img->crash, &dom0_vmci, loadinfo, XKD_NOTE_MAX_SIZE - 64);
        if (r < 0) {
                log_error_errno(r, "Cannot assemble the XEN_KDUMP note: %m.");
                goto fail;
        }

        r = xkd_elfcore_ram_ranges(machine, nr_machine, &img->crash, ram, XKD_ELFCORE_MAX_LOADS, &nr_ram);
        if (r < 0) {
                log_error_errno(r, "The machine memory map has too many RAM ranges: %m.");
                goto fail;
        }

        /* --- layout --- */
        uint64_t rs = img->crash.start, re = img->crash.start + img->crash.size;
        /* A relocatable kernel below LOAD_PHYSICAL_ADDR moves itself up to it: keep it there or above. */
        min_load = img->bz.pref_address && img->bz.pref_address <= 64 * MiB ? img->bz.pref_address : 16 * MiB;
        const bool unpacked = img->vmlinux.image != NULL;
        uint64_t kernel_align = img->bz.kernel_alignment, kernel_mem = img->bz.init_size;
        if (unpacked) {
                kernel_align = kernel_align > XKD_VMLINUX_ALIGN ? kernel_align : XKD_VMLINUX_ALIGN;
                kernel_mem = img->vmlinux.mem_size;
        }
        img->kernel_maddr = align_up(rs > min_load ? rs : min_load, kernel_align);
        p = img->kernel_maddr + align_up(kernel_mem, XKD_PAGE_SIZE);

        img->boot_params_maddr = p;
        img->cmdline_maddr = p + XKD_BOOT_PARAMS_SIZE;
        p = align_up(img->cmdline_maddr + XKD_CMDLINE_MAX, XKD_PAGE_SIZE);

        img->elfcorehdr_maddr = p;
        img->elfcorehdr_size = xkd_elfcore_size(nr_notes + 1, nr_ram);
        img->loadinfo_maddr = img->elfcorehdr_maddr + align_up(img->elfcorehdr_size, 8);
        long note_size = 12 + 12 + (long) align_up(strlen(loadinfo) + 1, 4);
        img->loadinfo_size = (uint64_t) note_size;
        uint64_t elf_seg_size = align_up(img->loadinfo_maddr + img->loadinfo_size - p, XKD_PAGE_SIZE);
        p += elf_seg_size;

        uint64_t stub_maddr = p;
        p += align_up(xkd_purgatory_mem_size(), XKD_PAGE_SIZE);

        img->initrd_maddr = in->initrd_size ? p : 0;
        p += align_up(in->initrd_size, XKD_PAGE_SIZE);
        end = p;

        /* Provisional segments, to size Xen's carve-out. */
        struct xkd_segment *s = img->segments;
        unsigned n = 0;
#define ADD_SEG(kind, b, bs, d, ds) do { img->index[kind] = (int) n; s[n++] = (struct xkd_segment) { (b), (bs), (d), (ds) }; } while (0)
        ADD_SEG(XKD_SEG_LOWMEM, NULL, 0, 0, XKD_LOW_MEMORY_END);
        if (unpacked)
                ADD_SEG(XKD_SEG_KERNEL, img->vmlinux.image, img->vmlinux.image_size, img->kernel_maddr, align_up(kernel_mem, XKD_PAGE_SIZE));
        else
                ADD_SEG(XKD_SEG_KERNEL, img->bz.kernel, img->bz.kernel_size, img->kernel_maddr, align_up(kernel_mem, XKD_PAGE_SIZE));
        ADD_SEG(XKD_SEG_BOOT_PARAMS, NULL, 0, img->boot_params_maddr, img->elfcorehdr_maddr - img->boot_params_maddr);
        ADD_SEG(XKD_SEG_ELFCOREHDR, NULL, 0, img->elfcorehdr_maddr, elf_seg_size);
        ADD_SEG(XKD_SEG_STUB, NULL, 0, stub_maddr, align_up(xkd_purgatory_mem_size(), XKD_PAGE_SIZE));
        if (in->initrd_size)
                ADD_SEG(XKD_SEG_INITRD, in->initrd, in->initrd_size, img->initrd_maddr, align_up(in->initrd_size, XKD_PAGE_SIZE));
#undef ADD_SEG
        img->nr_segments = n;

        if (img->crash.start < XKD_LOW_MEMORY_END) {
                r = log_error_errno(-EINVAL, "The crash region starts at 0x%llx, inside the first MiB the capture kernel needs; put crashkernel=<size>@<address above 16M> on Xen's command line.",
                                    (unsigned long long) img->crash.start);
                goto fail;
        }
        slack = 2 * xkd_xen_carve_pages(s, n) * XKD_PAGE_SIZE;
        /* What this kernel and initramfs need running (estimate.h); the fixed
         * allowance only when they cannot be measured. */
        uint64_t est;
        if (!in->known)
                est = xkd_estimate_image_need(in->kernel_path, in->initrd_path, machine, nr_machine);
        else if (in->known->measured)
                est = xkd_estimate_need_from_facts(&in->known->kernel_facts, in->initrd_size ? &in->known->initrd_facts : NULL,
                                                   machine, nr_machine);
        else
                est = xkd_estimate_image_need(NULL, NULL, machine, nr_machine);     /* unmeasurable */
        uint64_t runtime = est ? 0 : XKD_CAPTURE_RUNTIME_MIN;
        img->needed = (end - rs) + slack + runtime > est ? (end - rs) + slack + runtime : est;
        if (end > re || end + slack + runtime > re || rs + img->needed > re) {
                r = refuse_too_small(&img->crash, img->needed);
                goto fail;
        }

        /* --- contents --- */
        r = xkd_capture_cmdline(xen_cmdline, img->elfcorehdr_maddr, in->append, img->cmdline, sizeof(img->cmdline));
        if (r < 0)
                goto fail;
        if (strlen(img->cmdline) > img->bz.cmdline_size) {
                r = log_error_errno(-E2BIG, "The capture command line is %zu bytes, the kernel accepts %u; shorten --append.",
                                    strlen(img->cmdline), img->bz.cmdline_size);
                goto fail;
        }

        struct xkd_range reserved[] = {
                { img->elfcorehdr_maddr, elf_seg_size },
        };
        r = xkd_capture_e820(machine, nr_machine, &img->crash, reserved, 1, capture, XKD_BP_E820_MAX, &nr_capture);
        if (r < 0) {
                log_error_errno(r, "The capture kernel's memory map does not fit in boot_params: %m.");
                goto fail;
        }

        size_t bp_seg = img->elfcorehdr_maddr - img->boot_params_maddr;
        img->boot_params_buf = calloc(1, bp_seg);
        img->elfcorehdr_buf = calloc(1, elf_seg_size);
        if (!img->boot_params_buf || !img->elfcorehdr_buf) {
                r = log_error_errno(-ENOMEM, "Out of memory.");
                goto fail;
        }
        struct xkd_boot_params_input bpi = {
                .kernel = &img->bz,
                .cmdline_maddr = img->cmdline_maddr,
                .initrd_maddr = img->initrd_maddr,
                .initrd_size = in->initrd_size,
                .acpi_rsdp = img->acpi_rsdp,
                .e820 = capture,
                .nr_e820 = nr_capture,
        };
        r = xkd_boot_params_build(&bpi, img->boot_params_buf);
        if (r < 0)
                goto fail;
        memcpy(img->boot_params_buf + XKD_BOOT_PARAMS_SIZE, img->cmdline, strlen(img->cmdline) + 1);
        s[img->index[XKD_SEG_BOOT_PARAMS]].buf = img->boot_params_buf;
        s[img->index[XKD_SEG_BOOT_PARAMS]].buf_size = XKD_BOOT_PARAMS_SIZE + strlen(img->cmdline) + 1;

        notes[nr_notes++] = (struct xkd_range) { img->loadinfo_maddr, img->loadinfo_size };
        struct xkd_elfcore_input ei = {
                .notes = notes, .nr_notes = nr_notes,
                .machine = machine, .nr_machine = nr_machine,
                .crash = img->crash,
        };
        size_t used;
        r = xkd_elfcore_build(&ei, img->elfcorehdr_buf, img->elfcorehdr_size, &used);
        if (r < 0) {
                log_error_errno(r, "Cannot build the ELF core header: %m.");
                goto fail;
        }
        long k = xkd_elf_note(img->elfcorehdr_buf + (img->loadinfo_maddr - img->elfcorehdr_maddr),
                              (size_t) img->loadinfo_size, XKD_NOTE_NAME, XKD_NOTE_LOADINFO, loadinfo, strlen(loadinfo) + 1);
        if (k < 0) {
                r = log_error_errno((int) k, "Cannot write the XEN_KDUMP note: %m.");
                goto fail;
        }
        s[img->index[XKD_SEG_ELFCOREHDR]].buf = img->elfcorehdr_buf;
        s[img->index[XKD_SEG_ELFCOREHDR]].buf_size = img->loadinfo_maddr + img->loadinfo_size - img->elfcorehdr_maddr;

        /* --- the stub: digest over every other buffered segment, in order --- */
        struct xkd_purgatory_params pp = {
                /* The vmlinux's startup_64, or the decompressor's 64-bit entry. */
                .kernel_entry = img->kernel_maddr + (unpacked ? img->vmlinux.entry_offset : 0x200),
                .boot_params = img->boot_params_maddr,
                .serial_port = xkd_serial_port_from_xen(xen_cmdline),
        };
        /* The initrd first: its bytes alone give its own digest on the way. */
        struct xkd_sha256_ctx ctx, copy;
        int initrd_seg = img->index[XKD_SEG_INITRD];
        if (in->known && in->known->initrd_size == in->initrd_size && in->known->initrd == in->initrd) {
                ctx = in->known->after_initrd;
                memcpy(img->initrd_sha256, in->known->initrd_sha256, sizeof(img->initrd_sha256));
        } else {
                xkd_sha256_init(&ctx);
                if (initrd_seg >= 0) {
                        xkd_sha256_update(&ctx, s[initrd_seg].buf, s[initrd_seg].buf_size);
                        copy = ctx;
                        xkd_sha256_final(&copy, img->initrd_sha256);
                }
        }
        if (initrd_seg >= 0)
                pp.regions[pp.nr_regions++] = (struct xkd_purgatory_region) { s[initrd_seg].dest_maddr, s[initrd_seg].buf_size };
        for (unsigned i = 0; i < n; i++) {
                if ((int) i == img->index[XKD_SEG_STUB] || (int) i == initrd_seg || !s[i].buf_size)
                        continue;
                pp.regions[pp.nr_regions++] = (struct xkd_purgatory_region) { s[i].dest_maddr, s[i].buf_size };
                xkd_sha256_update(&ctx, s[i].buf, s[i].buf_size);
        }
        xkd_sha256_final(&ctx, pp.sha256);

        size_t stub_size, stub_mem;
        r = xkd_purgatory_build(&pp, stub_maddr, &img->stub_buf, &stub_size, &stub_mem);
        if (r < 0) {
                log_error_errno(r, "Cannot build the entry stub: %m.");
                goto fail;
        }
        if (align_up(stub_mem, XKD_PAGE_SIZE) > s[img->index[XKD_SEG_STUB]].dest_size) {
                r = log_error_errno(-EINVAL, "The entry stub needs %zu bytes, %zu were laid out; this is a xen-kdump bug.",
                                    stub_mem, xkd_purgatory_mem_size());
                goto fail;
        }
        s[img->index[XKD_SEG_STUB]].buf = img->stub_buf;
        s[img->index[XKD_SEG_STUB]].buf_size = stub_size;
        img->entry = stub_maddr;

        static const char *const names[_XKD_SEG_MAX] = { "low memory map", "kernel", "boot_params", "ELF core header", "entry stub", "initramfs" };
        for (int kind = 0; kind < _XKD_SEG_MAX; kind++)
                if (img->index[kind] >= 0) {
                        const struct xkd_segment *g = &s[img->index[kind]];
                        log_info("segment %d %-15s 0x%09llx-0x%09llx %8llu KiB, %llu bytes of data", img->index[kind], names[kind],
                                 (unsigned long long) g->dest_maddr, (unsigned long long) (g->dest_maddr + g->dest_size),
                                 (unsigned long long) (g->dest_size >> 10), (unsigned long long) g->buf_size);
                }
        if (unpacked)
                log_info("kernel unpacked in dom0: %llu KiB of vmlinux (%llu KiB of data), entered at +0x%llx",
                         (unsigned long long) (img->vmlinux.mem_size >> 10), (unsigned long long) (img->vmlinux.image_size >> 10),
                         (unsigned long long) img->vmlinux.entry_offset);
        else
                log_info("kernel entered through its decompressor (%s)",
                         in->decompressor_entry ? "kernel_entry decompressor" : "its payload cannot be unpacked here");
        log_info("crash region 0x%llx, %llu MiB; the image needs %llu MiB of it (with Xen's pages and 48 MiB to run)",
                 (unsigned long long) img->crash.start, (unsigned long long) (img->crash.size >> 20),
                 (unsigned long long) ((img->needed + MiB - 1) / MiB));

        if (in->known && in->known->kernel == in->kernel && in->known->kernel_size == in->kernel_size)
                memcpy(img->kernel_sha256, in->known->kernel_sha256, sizeof(img->kernel_sha256));
        else
                xkd_sha256(in->kernel, in->kernel_size, img->kernel_sha256);

        free(loadinfo);
        *ret = img;
        return 0;
fail:
        free(loadinfo);
        xkd_image_free(img);
        return r;
}

int xkd_image_check_rules(const struct xkd_image *img) {
        return xkd_kexec_rules_check(XKD_KEXEC_TYPE_CRASH, EM_X86_64, img->entry, &img->crash,
                                     img->segments, img->nr_segments);
}

int xkd_image_load(xkd_hv *hv, const struct xkd_image *img) {
        int r;

        r = xkd_image_check_rules(img);
        if (r < 0)
                return r;
        r = xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, img->entry, img->segments, img->nr_segments);
        if (r < 0)
                return log_error_errno(r, "Xen refused the crash image: %m.");
        return 0;
}
