/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xen-internal.h"

/*
 * Frame-table index (pdx) <-> machine frame (pfn), per x86_64 Xen version
 * (facts from xen-project/xen, xen/include/xen/pdx.h, xen/common/pdx.c and
 * xen/common/Kconfig at RELEASE-4.17.0 ... RELEASE-4.22.0):
 *
 *  - up to 4.17: "mask" compression is always built on x86; a run of bits
 *    that is zero in every RAM frame is squeezed out of the index:
 *      pdx = (pfn & pfn_pdx_bottom_mask) | ((pfn & pfn_top_mask) >> pfn_pdx_hole_shift)
 *  - 4.18 to 4.20: CONFIG_PDX_COMPRESSION cannot be chosen on x86 (its prompt
 *    says `if EXPERT && !X86`, its default is ARM || PPC): pdx == pfn.
 *  - 4.21 on: a choice, x86's default "offset" compression
 *    (CONFIG_PDX_OFFSET_COMPRESSION), or mask, or none.  Offset:
 *      pdx = pfn - pfn_pdx_lookup[(pfn >> pfn_index_shift) & (N - 1)]
 *      pfn = pdx + pdx_pfn_lookup[(pdx >> pdx_index_shift) & (N - 1)]
 *    N = 2^CONFIG_PDX_OFFSET_TBL_ORDER (default 6, 0..9); a frame is valid
 *    only inside [pfn_bases[i], pfn_bases[i] + pdx_region_size).
 * When compression is off at run time (no SRAT, no gain, a RAM range not
 * covered) the variables keep values that make both formulas the identity,
 * so reading them is right whether Xen's alternatives skip them or not.
 * The direct map uses the same rule at page granularity.
 *
 * VMCOREINFO_XEN exports none of these: their addresses come from the
 * loader's XEN_KDUMP note (/proc/xen/xensyms at load time), their values
 * from the dump.  A Xen that may compress without them is "unknown", and
 * nothing is then excluded by owner (see xkd_xen_pdx_state()).
 */

#define OFFSET_TABLE_MAX 512u   /* CONFIG_PDX_OFFSET_TBL_ORDER <= 9 */

static int read_u64(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret) {
        return xkd_xen_read_virt(x, vaddr, ret, sizeof(*ret));
}

static int read_sym_u64(struct xkd_xen *x, const char *name, uint64_t *ret) {
        uint64_t a;
        int r = xkd_xen_symbol(x, name, &a);
        return r < 0 ? r : read_u64(x, a, ret);
}

static int read_sym_u32(struct xkd_xen *x, const char *name, uint64_t *ret) {
        uint64_t a;
        uint32_t v;
        int r = xkd_xen_symbol(x, name, &a);
        if (r == 0)
                r = xkd_xen_read_virt(x, a, &v, sizeof(v));
        if (r == 0)
                *ret = v;       /* an unsigned int in Xen */
        return r;
}

/* Always -EDOM, so that `return unknown(...)` ends a setup step. */
static int unknown(struct xkd_xen *x, const char *fmt, const char *arg) {
        x->pdx_scheme = XKD_PDX_UNKNOWN;
        snprintf(x->pdx_why, sizeof(x->pdx_why), fmt, arg);
        return -EDOM;
}

static int setup_mask(struct xkd_xen *x) {
        uint64_t bottom = 0, top = 0, shift = 0;

        if (read_sym_u64(x, "pfn_pdx_bottom_mask", &bottom) < 0 || read_sym_u32(x, "pfn_pdx_hole_shift", &shift) < 0 ||
            shift >= 64)
                return unknown(x, "%s: its PDX mask variables (pfn_pdx_bottom_mask, pfn_pdx_hole_shift) cannot be read",
                               x->pdx_version);
        /* pfn_pdx_hole_setup(): bottom = 2^b - 1, the hole is the next
         * `shift` bits and the top mask the rest. */
        if (read_sym_u64(x, "pfn_top_mask", &top) < 0) {
                unsigned b = 0;
                while (b < 64 && (bottom >> b) & 1)
                        b++;
                uint64_t hole = (shift && b < 64) ? (((UINT64_C(1) << shift) - 1) << b) : 0;
                top = b >= 64 ? 0 : ~(bottom | hole);
        }
        x->pfn_pdx_bottom_mask = bottom;
        x->pfn_top_mask = top;
        x->pfn_pdx_hole_shift = shift;
        x->pdx_scheme = (bottom == UINT64_MAX && shift == 0) ? XKD_PDX_IDENTITY : XKD_PDX_MASK;
        return 0;
}

/* Xen defines pfn_pdx_lookup, pdx_pfn_lookup and pfn_bases one after the
 * other, N longs each: the closest two start 8 * N bytes apart, or a little
 * more if the compiler put something between them.  N is a power of two. */
static unsigned offset_table_size(struct xkd_xen *x) {
        static const char *const names[] = { "pfn_pdx_lookup", "pdx_pfn_lookup", "pfn_bases" };
        uint64_t a[3], gap = UINT64_MAX;
        unsigned n = 0, size = 1;

        for (unsigned i = 0; i < 3; i++)
                if (xkd_xen_symbol(x, names[i], &a[n]) == 0)
                        n++;
        for (unsigned i = 0; i < n; i++)
                for (unsigned j = 0; j < n; j++)
                        if (a[i] > a[j] && a[i] - a[j] < gap)
                                gap = a[i] - a[j];
        if (gap == UINT64_MAX || gap < 8)
                return 0;
        while (size * 2 <= OFFSET_TABLE_MAX && size * 2 * 8 <= gap)
                size *= 2;
        return size;
}

static int setup_offset(struct xkd_xen *x) {
        uint64_t a_pfn = 0, a_pdx = 0, a_bases = 0, pfn_shift = 0, pdx_shift = 0, region = UINT64_MAX;
        unsigned n = offset_table_size(x);
        bool any = false;

        if (n == 0 || xkd_xen_symbol(x, "pfn_pdx_lookup", &a_pfn) < 0 || xkd_xen_symbol(x, "pdx_pfn_lookup", &a_pdx) < 0 ||
            read_sym_u32(x, "pfn_index_shift", &pfn_shift) < 0 || read_sym_u32(x, "pdx_index_shift", &pdx_shift) < 0 ||
            pfn_shift >= 64 || pdx_shift >= 64)
                return unknown(x, "%s: its PDX offset variables (pfn_pdx_lookup, pdx_pfn_lookup, pfn_index_shift, "
                               "pdx_index_shift) cannot be read", x->pdx_version);
        for (unsigned i = 0; i < n; i++) {
                if (read_u64(x, a_pfn + 8 * i, &x->pfn_pdx_lookup[i]) < 0 || read_u64(x, a_pdx + 8 * i, &x->pdx_pfn_lookup[i]) < 0)
                        return unknown(x, "%s: its PDX lookup tables cannot be read", x->pdx_version);
                any |= x->pfn_pdx_lookup[i] || x->pdx_pfn_lookup[i];
        }
        x->pdx_table_mask = n - 1;
        x->pfn_index_shift = (unsigned) pfn_shift;
        x->pdx_index_shift = (unsigned) pdx_shift;
        if (!any) {
                /* pfn_pdx_compression_reset() or never set up: the identity. */
                x->pdx_scheme = XKD_PDX_IDENTITY;
                return 0;
        }
        /* In use: the region size and the bases bound which frames are valid. */
        if (xkd_xen_symbol(x, "pfn_bases", &a_bases) < 0 || read_sym_u64(x, "pdx_region_size", &region) < 0 ||
            region != UINT64_C(1) << pdx_shift)
                return unknown(x, "%s: its PDX offset compression is in use but pfn_bases / pdx_region_size "
                               "cannot be read or disagree with pdx_index_shift", x->pdx_version);
        x->pdx_region_size = region;
        for (unsigned i = 0; i < n; i++) {
                uint64_t base;
                if (read_u64(x, a_bases + 8 * i, &base) < 0)
                        return unknown(x, "%s: its PDX lookup tables cannot be read", x->pdx_version);
                x->pfn_bases[i] = base;
                if (base == UINT64_MAX)
                        continue;       /* no range at this index */
                /* pfn_pdx_compression_setup(): a range's base sits at its own index,
                 * its pdx does not exceed its pfn, and it translates back. */
                uint64_t pdx = base - x->pfn_pdx_lookup[i];
                if (((base >> pfn_shift) & (n - 1)) != i || x->pfn_pdx_lookup[i] > base ||
                    pdx + x->pdx_pfn_lookup[(pdx >> pdx_shift) & (n - 1)] != base)
                        return unknown(x, "%s: its PDX lookup tables do not agree with each other (table size "
                                       "read from the symbols' spacing may be wrong)", x->pdx_version);
        }
        x->pdx_scheme = XKD_PDX_OFFSET;
        return 0;
}

/* Did the loader look up (in /proc/xen/xensyms) every variable this file
 * reads?  Then a missing one is missing from Xen, not from the note. */
static bool loader_sought_pdx_symbols(const struct xkd_xen *x) {
        uint64_t set, v;
        /* A data symbol: xensyms lists them only with --all-symbols builds. */
        return xkd_xen_key_get(x, XKD_INFO_LOAD, "XEN_SYMBOL_SET", &set) == 0 && set >= 2 &&
               xkd_xen_key_get(x, XKD_INFO_LOAD, "SYMBOL(max_page)", &v) == 0;
}

static bool loader_sought_mask_symbols(const struct xkd_xen *x) {
        uint64_t v;
        /* Every note since XKD_VERSION 0.1 asked for pfn_pdx_bottom_mask. */
        return xkd_xen_key_get(x, XKD_INFO_LOAD, "SYMBOL(max_page)", &v) == 0;
}

int xkd_xen_pdx_setup(struct xkd_xen *x) {
        const struct xkd_xen_crash_info *ci;
        uint64_t v;
        bool has_ci = xkd_xen_crash_info(x, &ci) == 0;
        unsigned major = has_ci ? (unsigned) ci->major : 0, minor = has_ci ? (unsigned) ci->minor : 0;

        if (has_ci)
                snprintf(x->pdx_version, sizeof(x->pdx_version), "Xen %u.%u", major, minor);
        else
                snprintf(x->pdx_version, sizeof(x->pdx_version), "Xen of unknown version");
        x->pdx_scheme = XKD_PDX_IDENTITY;
        x->pdx_why[0] = '\0';

        if (xkd_xen_symbol(x, "pfn_pdx_lookup", &v) == 0)
                return setup_offset(x);
        if (xkd_xen_symbol(x, "pfn_pdx_bottom_mask", &v) == 0)
                return setup_mask(x);
        if (has_ci && major == 4 && minor >= 18 && minor <= 20)
                return 0;       /* x86 cannot compress: Kconfig */
        /* Neither scheme touches the low MAX_ORDER (18 on x86) bits of a frame
         * number: with every RAM frame below 2^18 (1 GiB) pdx == pfn. */
        uint64_t top = xkd_vmcore_max_pfn(x->vm), max_page;
        if (read_sym_u64(x, "max_page", &max_page) == 0 && max_page > top)
                top = max_page;
        if (top <= UINT64_C(1) << 18)
                return 0;
        if (has_ci && (major < 4 || (major == 4 && minor <= 17)) && loader_sought_mask_symbols(x))
                return 0;       /* Xen has no PDX variables: built without compression */
        if (has_ci && (major > 4 || (major == 4 && minor >= 21)) && loader_sought_pdx_symbols(x))
                return 0;       /* CONFIG_PDX_NONE */
        return unknown(x, "%s may compress frame-table indexes (PDX) and the dump does not say how: the loader's "
                "XEN_KDUMP note lacks its PDX variables (load with this xen-kdump, /proc/xen/xensyms readable)",
                x->pdx_version);
}

uint64_t xkd_xen_pfn_to_pdx(const struct xkd_xen *x, uint64_t pfn) {
        switch (x->pdx_scheme) {
        case XKD_PDX_MASK:
                return (pfn & x->pfn_pdx_bottom_mask) | ((pfn & x->pfn_top_mask) >> x->pfn_pdx_hole_shift);
        case XKD_PDX_OFFSET:
                return pfn - x->pfn_pdx_lookup[(pfn >> x->pfn_index_shift) & x->pdx_table_mask];
        default:
                return pfn;
        }
}

uint64_t xkd_xen_pdx_to_pfn(const struct xkd_xen *x, uint64_t pdx) {
        switch (x->pdx_scheme) {
        case XKD_PDX_MASK:
                return (pdx & x->pfn_pdx_bottom_mask) | ((pdx << x->pfn_pdx_hole_shift) & x->pfn_top_mask);
        case XKD_PDX_OFFSET:
                return pdx + x->pdx_pfn_lookup[(pdx >> x->pdx_index_shift) & x->pdx_table_mask];
        default:
                return pdx;
        }
}

bool xkd_xen_pfn_has_pdx(const struct xkd_xen *x, uint64_t pfn) {
        switch (x->pdx_scheme) {
        case XKD_PDX_MASK:
                /* __mfn_valid(): no bit in the squeezed-out hole. */
                return (pfn & ~(x->pfn_pdx_bottom_mask | x->pfn_top_mask)) == 0;
        case XKD_PDX_OFFSET: {
                uint64_t base = x->pfn_bases[(pfn >> x->pfn_index_shift) & x->pdx_table_mask];
                return base != UINT64_MAX && pfn >= base && pfn - base < x->pdx_region_size;
        }
        default:
                return true;
        }
}

int xkd_xen_pdx_state(const struct xkd_xen *x, const char **why) {
        if (x->pdx_scheme != XKD_PDX_UNKNOWN)
                return 0;
        if (why)
                *why = x->pdx_why;
        return -EDOM;
}

const char *xkd_xen_pdx_scheme_name(const struct xkd_xen *x) {
        switch (x->pdx_scheme) {
        case XKD_PDX_IDENTITY:  return "none";
        case XKD_PDX_MASK:      return "mask";
        case XKD_PDX_OFFSET:    return "offset";
        default:                return "unknown";
        }
}
