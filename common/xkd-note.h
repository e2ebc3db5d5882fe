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
 *        CRASH_REGION=<start hex> <size hex>
 *        KERNEL=<capture kernel path>      as given to xen-kdump load
 *        INITRD=<capture initramfs path>   empty with --no-initrd
 *        DOM0_VMCOREINFO=<maddr hex> <size decimal>   absent without /sys/kernel/vmcoreinfo
 *        SYMBOL(<name>)=<hex address>      one per symbol in XKD_XEN_SYMBOLS
 *                                          found in /proc/xen/xensyms (xen-kdump
 *                                          mounts xenfs if needed); Xen lists
 *                                          file-local symbols as "file.c#name",
 *                                          the note uses the bare name.  A symbol
 *                                          Xen does not have (frame_table is a
 *                                          macro on x86) is simply absent.
 *        XEN_SYMBOL_SET=2                  after the SYMBOL lines, when xensyms
 *                                          was read: every name of XKD_XEN_SYMBOLS
 *                                          (revision 2, which added Xen 4.21's PDX
 *                                          offset-compression variables) was looked
 *                                          for, so a missing one is not in Xen.
 *                                          Absent: revision 1 (up to the PDX
 *                                          mask variables).
 *    The note's PT_NOTE comes last; its text is NUL-terminated, desc size
 *    includes the NUL.  Keys may be added; readers skip unknown keys.
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
        "pfn_pdx_bottom_mask", "pfn_top_mask", "pfn_pdx_hole_shift",           \
        "pfn_pdx_lookup", "pdx_pfn_lookup", "pfn_bases", "pfn_index_shift",    \
        "pdx_index_shift", "pdx_region_size"

/* Bump when XKD_XEN_SYMBOLS grows (the XEN_SYMBOL_SET line above). */
#define XKD_XEN_SYMBOL_SET      2
