/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Facts about the host that dom0 Linux (not Xen) knows.  Every path is taken
 * below a sysroot ("" for the real system) so tests can fake the files.
 */

#include <stddef.h>
#include <stdint.h>

#include "hv.h"

/* dom0 Linux's VMCOREINFO note from /sys/kernel/vmcoreinfo ("<addr> <size>",
 * both hex).  On a PV dom0 the address is a MACHINE address. */
int xkd_host_dom0_vmcoreinfo(const char *sysroot, struct xkd_range *ret);

/* "SYMBOL(name)=hex\n" for each XKD_XEN_SYMBOLS name found in
 * /proc/xen/xensyms, appended to buf.  Returns how many were found. */
int xkd_host_xen_symbols(const char *sysroot, char *buf, size_t size);

/* The ACPI RSDP's physical address: EFI systab (ACPI20=/ACPI=), else the
 * "ACPI: RSDP 0x..." line of the kernel log.  -ENOENT when unknown. */
int xkd_host_acpi_rsdp(const char *sysroot, uint64_t *ret);

/* The sysroot from $XKD_SYSROOT ("" when unset). */
const char *xkd_host_sysroot(void);
