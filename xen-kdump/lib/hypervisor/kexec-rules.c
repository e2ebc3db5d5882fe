/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>

#include "kexec-rules.h"
#include "log.h"

#define BUG_HINT "this is a xen-kdump bug, please report it"

static int aligned(uint64_t x) {
        return !(x & (XKD_PAGE_SIZE - 1));
}

int xkd_kexec_rules_check(uint8_t type, uint16_t arch, uint64_t entry_maddr,
                          const struct xkd_range *crash,
                          const struct xkd_segment *seg, unsigned n) {
        uint64_t rs = crash->start, re = crash->start + crash->size, used = 0;

        if (arch != EM_X86_64 && arch != EM_386)
                return log_error_errno(-EINVAL, "Refusing to load: image architecture %u is neither EM_X86_64 nor EM_386, Xen accepts only those; %s.", arch, BUG_HINT);
        if (n > XKD_MAX_SEGMENTS)
                return log_error_errno(-EINVAL, "Refusing to load: %u segments, Xen accepts at most %d; %s.", n, XKD_MAX_SEGMENTS, BUG_HINT);
        if (type == XKD_KEXEC_TYPE_CRASH && (entry_maddr < rs || entry_maddr >= re))
                return log_error_errno(-EADDRNOTAVAIL, "Refusing to load: entry point 0x%llx lies outside the crash region 0x%llx-0x%llx; %s.",
                                       (unsigned long long) entry_maddr, (unsigned long long) rs, (unsigned long long) re, BUG_HINT);

        for (unsigned i = 0; i < n; i++) {
                uint64_t s = seg[i].dest_maddr, e = s + seg[i].dest_size;

                if (!aligned(s) || !aligned(e))
                        return log_error_errno(-EADDRNOTAVAIL, "Refusing to load: segment %u (0x%llx+0x%llx) is not page aligned at both ends, Xen requires it; %s.",
                                               i, (unsigned long long) s, (unsigned long long) seg[i].dest_size, BUG_HINT);
                if (e < s)
                        return log_error_errno(-EINVAL, "Refusing to load: segment %u wraps around the address space; %s.", i, BUG_HINT);
                if (seg[i].buf_size > seg[i].dest_size)
                        return log_error_errno(-EINVAL, "Refusing to load: segment %u has %llu bytes of data for %llu bytes of destination; %s.",
                                               i, (unsigned long long) seg[i].buf_size, (unsigned long long) seg[i].dest_size, BUG_HINT);
                if (seg[i].buf_size && !seg[i].buf)
                        return log_error_errno(-EINVAL, "Refusing to load: segment %u claims %llu bytes but has no buffer; %s.",
                                               i, (unsigned long long) seg[i].buf_size, BUG_HINT);
                for (unsigned j = 0; j < i; j++) {
                        uint64_t os = seg[j].dest_maddr, oe = os + seg[j].dest_size;
                        if (s < oe && os < e)
                                return log_error_errno(-EINVAL, "Refusing to load: segments %u (0x%llx-0x%llx) and %u (0x%llx-0x%llx) overlap; %s.",
                                                       j, (unsigned long long) os, (unsigned long long) oe,
                                                       i, (unsigned long long) s, (unsigned long long) e, BUG_HINT);
                }
                if (type == XKD_KEXEC_TYPE_CRASH && seg[i].buf_size && (s < rs || e > re))
                        return log_error_errno(-EADDRNOTAVAIL, "Refusing to load: segment %u (0x%llx-0x%llx) is not wholly inside the crash region 0x%llx-0x%llx; %s.",
                                               i, (unsigned long long) s, (unsigned long long) e,
                                               (unsigned long long) rs, (unsigned long long) re, BUG_HINT);
                if (e > rs && s < re)
                        used += (e < re ? e : re) - (s > rs ? s : rs);
        }
        if (arch == EM_386 && re > (1ULL << 32))
                return log_error_errno(-EINVAL, "Refusing to load: a 32-bit image needs the crash region below 4 GiB; put crashkernel=<size>,below=4G on Xen's command line.");

        if (type == XKD_KEXEC_TYPE_CRASH) {
                uint64_t need = xkd_xen_carve_pages(seg, n), free_pages = (crash->size - used) / XKD_PAGE_SIZE;
                if (free_pages < need)
                        return log_error_errno(-ENOMEM, "Refusing to load: the segments leave %llu free pages in the crash region, Xen needs %llu for its control page and page tables; put a larger crashkernel= on Xen's command line.",
                                               (unsigned long long) free_pages, (unsigned long long) need);
        }
        return 0;
}
