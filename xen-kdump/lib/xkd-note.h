/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The contract between the loader (dom0, at load time) and the collector
 * (capture kernel, after the crash): what the loader saves for the capture
 * side that the dump itself does not carry.
 *
 * The loader adds PT_NOTE program headers to the ELF core header it passes
 * with elfcorehdr=, so the capture kernel merges them into /proc/vmcore's
 * notes and every tool that copies notes (our writer, makedumpfile) keeps them:
 *
 *  - "VMCOREINFO" type 0: dom0 Linux's own VMCOREINFO note, in place at the
 *    machine address /sys/kernel/vmcoreinfo names (dom0 memory).
 *  - "XEN_KDUMP" type XKD_NOTE_LOADINFO: text, one "KEY=VALUE" per line, kept
 *    in the crash region next to the ELF core header (a range the capture
 *    kernel's E820 marks reserved, so it survives the capture boot):
 *        XKD_VERSION=0.1
 *        LOAD_TIME=<unix seconds>
 *        HOSTNAME=<dom0 host name>
 *        XEN_CMDLINE=<Xen's command line>
 *        DOM0_VMCOREINFO=<maddr hex> <size>
 *        SYMBOL(<name>)=<hex address>      one per symbol in XKD_XEN_SYMBOLS,
 *                                          read from /proc/xen/xensyms
 */

#define XKD_NOTE_NAME           "XEN_KDUMP"
#define XKD_NOTE_LOADINFO       1
#define XKD_NOTE_MAX_SIZE       16384

/* Xen symbols the crash report needs that VMCOREINFO_XEN does not export. */
#define XKD_XEN_SYMBOLS                                                        \
        "conring", "conring_size", "conringp", "conringc",                     \
        "domain_list", "frame_table", "max_page", "xen_phys_start",            \
        "__per_cpu_offset", "per_cpu__curr_vcpu", "idle_vcpu",                 \
        "kexec_crash_area", "saved_cmdline", "total_pages",                    \
        "pfn_pdx_bottom_mask", "pfn_top_mask", "pfn_pdx_hole_shift"
