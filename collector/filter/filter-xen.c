/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter-xen.h"
#include "log.h"

#define MAX_DOMAINS 4096u

/*
 * The filter asks for every RAM frame's page_info; going through a full
 * page-table walk per frame would cost five reads each.  The frame table is
 * an array indexed by pdx (= mfn without PDX compression, piecewise mfn
 * minus a constant with it), so its entries come from the decoder's window
 * of frame-table pages read ahead (xkd_xen_frame_table_at); where that
 * cannot be filled, one page at a time as before.
 */
struct xkd_frame_reader {
        struct xkd_xen *xen;
        unsigned domain_bytes;
        uint64_t frame_table, size, off_count, off_domain, max_page;
        uint64_t max_pdx;               /* beyond it an entry's address wraps (a division, once) */
        uint64_t cached_vpage;          /* frame-table page in buf; UINT64_MAX none */
        uint8_t buf[4096];
        struct xkd_dom0_source dom0;
};

static int dom0_info_get(void *ctx, const char *key, uint64_t *ret) {
        return xkd_xen_key_get(((struct xkd_frame_reader *) ctx)->xen, XKD_INFO_DOM0, key, ret);
}

static int dom0_info_string(void *ctx, const char *key, char *buf, size_t size) {
        return xkd_xen_key_get_string(((struct xkd_frame_reader *) ctx)->xen, XKD_INFO_DOM0, key, buf, size);
}

static int dom0_read_virt(void *ctx, uint64_t vaddr, void *buf, size_t len) {
        return xkd_xen_dom0_read_virt(((struct xkd_frame_reader *) ctx)->xen, vaddr, buf, len);
}

static int dom0_pfn_to_mfn(void *ctx, uint64_t pfn, uint64_t *mfn) {
        return xkd_xen_dom0_pfn_to_mfn(((struct xkd_frame_reader *) ctx)->xen, pfn, mfn);
}

static int page_info_cached(void *ctx, uint64_t mfn, uint64_t *ci, uint64_t *owner) {
        struct xkd_frame_reader *fr = ctx;
        uint64_t va, vpage, dom = 0, pdx;
        const uint8_t *entry;

        if (fr->max_page && mfn >= fr->max_page)
                return -ENOENT;
        if (!xkd_xen_pdx_known(fr->xen))
                return -EDOM;
        /* A frame the pdx rule gives no entry of its own reads another's: none. */
        if (!xkd_xen_pfn_has_pdx(fr->xen, mfn))
                return -ENOENT;
        pdx = xkd_xen_pfn_to_pdx(fr->xen, mfn);
        if (pdx > fr->max_pdx)
                return -ENOENT;
        va = fr->frame_table + pdx * fr->size;
        vpage = va & ~UINT64_C(4095);
        /* An entry straddling two frame-table pages: let the decoder handle it. */
        if (((va + fr->size - 1) & ~UINT64_C(4095)) != vpage)
                return xkd_xen_page_info(fr->xen, mfn, ci, owner);
        if ((entry = xkd_xen_frame_table_at(fr->xen, va, fr->size))) {
                memcpy(ci, entry + fr->off_count, sizeof(*ci));
                *owner = xkd_xen_owner_from_pdx(fr->xen, xkd_xen_domain_field(entry + fr->off_domain, fr->domain_bytes));
                return 0;
        }
        if (vpage != fr->cached_vpage) {
                int r = xkd_xen_read_virt(fr->xen, vpage, fr->buf, sizeof(fr->buf));
                if (r < 0) {
                        fr->cached_vpage = UINT64_MAX;
                        /* Unmapped frame-table pages are holes in the machine's memory. */
                        return (r == -EFAULT || r == -EADDRNOTAVAIL) ? -ENOENT : r;
                }
                fr->cached_vpage = vpage;
        }
        memcpy(ci, fr->buf + (va - vpage) + fr->off_count, sizeof(*ci));
        memcpy(&dom, fr->buf + (va - vpage) + fr->off_domain, fr->domain_bytes);
        *owner = xkd_xen_owner_from_pdx(fr->xen, dom);
        return 0;
}

struct xkd_frame_reader *xkd_frame_reader_free(struct xkd_frame_reader *fr) {
        free(fr);
        return NULL;
}

int xkd_frame_source_from_xen(struct xkd_xen *x, struct xkd_frame_source *src, struct xkd_frame_reader **ret) {
        const struct xkd_xen_crash_info *ci;
        struct xkd_xen_domain *doms;
        struct xkd_frame_reader *fr;
        int r, n;

        memset(src, 0, sizeof(*src));
        *ret = NULL;
        r = xkd_xen_crash_info(x, &ci);
        if (r < 0)
                return log_warning_errno(r, "No Xen version in the dump (%s): Xen free and domU pages are kept",
                                         xkd_xen_strerror(r));
        fr = calloc(1, sizeof(*fr));
        if (!fr)
                return -ENOMEM;
        fr->xen = x;
        fr->cached_vpage = UINT64_MAX;
        r = xkd_xen_info_get(x, "SYMBOL(frame_table)", &fr->frame_table);
        if (r == 0)
                r = xkd_xen_info_get(x, "SIZE(page_info)", &fr->size);
        if (r == 0)
                r = xkd_xen_info_get(x, "OFFSET(page_info.count_info)", &fr->off_count);
        if (r == 0)
                r = xkd_xen_info_get(x, "OFFSET(page_info._domain)", &fr->off_domain);
        /* Offsets come from the crashed machine: a huge one must not wrap the check. */
        fr->domain_bytes = xkd_xen_domain_pdx_bytes(x);
        if (r == 0 && (fr->size < 16 || fr->size > 256 || fr->off_count > fr->size - 8 ||
                       fr->off_domain > fr->size - fr->domain_bytes))
                r = -EBADMSG;
        if (r < 0) {
                free(fr);
                return log_warning_errno(r, "Xen's frame table is not described in VMCOREINFO_XEN (%s): "
                                         "Xen free and domU pages are kept", xkd_xen_strerror(r));
        }
        /* On x86 frame_table is a macro, so Xen exports the address of a
         * pointer to it (kexec.c's _frame_table alias), not the table. */
        if (r == 0 && fr->frame_table < XKD_XEN_FRAMETABLE_START) {
                uint64_t base;
                if (xkd_xen_read_virt(x, fr->frame_table, &base, sizeof(base)) == 0)
                        fr->frame_table = base;
        }
        if (xkd_xen_max_page(x, &fr->max_page) < 0)
                fr->max_page = 0;
        fr->max_pdx = (UINT64_MAX - fr->frame_table) / fr->size;

        src->ctx = fr;
        src->page_info = page_info_cached;
        if (ci->has_dom0_p2m)
                src->dom0_p2m_fll_mfn = ci->dom0_pfn_to_mfn_frame_list_list;
        src->xen_major = (unsigned) ci->major;
        src->xen_minor = (unsigned) ci->minor;
        src->system_owners[0] = xkd_xen_dom_xen(x);
        src->system_owners[1] = xkd_xen_dom_io(x);
        src->n_system_owners = 2;
        if (xkd_xen_info_text(x, XKD_INFO_DOM0, &(size_t) { 0 })) {
                fr->dom0 = (struct xkd_dom0_source) { .ctx = fr, .info_get = dom0_info_get,
                                                      .info_string = dom0_info_string,
                                                      .read_virt = dom0_read_virt, .pfn_to_mfn = dom0_pfn_to_mfn };
                src->dom0_src = &fr->dom0;
        }

        doms = calloc(MAX_DOMAINS, sizeof(*doms));
        if (!doms) {
                free(fr);
                return -ENOMEM;
        }
        n = xkd_xen_domains(x, doms, MAX_DOMAINS);
        for (int i = 0; i < n; i++)
                if (doms[i].id == 0)
                        src->dom0 = doms[i].vaddr;
        if (n < 0)
                log_warning_errno(n, "Cannot walk Xen's domain list (%s)", xkd_xen_strerror(n));
        free(doms);
        *ret = fr;
        return 0;
}

/*
 * Frames whose owner is known without the frame table, read through it
 * before anything is excluded by owner.  A frame table read with the wrong
 * pdx rule (a table size or variable misread) or the wrong page_info
 * answers for some other frame: then dom0's pages could
 * read as free or domU pages.  Facts (xen-project/xen, RELEASE-4.17.0 to
 * RELEASE-4.22.0): alloc_domain_struct() (xen/arch/x86/domain.c) takes
 * struct domain from alloc_xenheap_pages(), so its frame has PGC_xen_heap
 * (PG_mask(1, 2), bit 62, asm/mm.h); Xen's image is not a domain's; the
 * p2m frame-list-list CRASH_INFO names is dom0's own page.
 */
#define PGC_XEN_HEAP_BIT 62

static bool owner_is_system(const struct xkd_frame_source *src, uint64_t owner) {
        for (unsigned i = 0; i < src->n_system_owners; i++)
                if (src->system_owners[i] && owner == src->system_owners[i])
                        return true;
        return false;
}

int xkd_frame_source_guard(struct xkd_xen *x, const struct xkd_frame_source *src, char *why, size_t size) {
        uint64_t maddr, ci, owner, v;
        const char *pdx_why;
        int r;

        /* Checked first: a guess would read right for low frames only. */
        if (xkd_xen_pdx_state(x, &pdx_why) < 0) {
                snprintf(why, size, "%s", pdx_why);
                return -EBADMSG;
        }
        if (!src->dom0)
                return 0;       /* the filter refuses the Xen bit on its own, saying why */
        r = xkd_xen_virt_to_maddr(x, src->dom0, &maddr);
        if (r < 0 || (r = src->page_info(src->ctx, maddr >> 12, &ci, &owner)) < 0) {
                snprintf(why, size, "the frame table entry of dom0's struct domain (%#llx) cannot be read (%s)",
                         (unsigned long long) src->dom0, xkd_xen_strerror(r));
                return -EBADMSG;
        }
        if (!((ci >> PGC_XEN_HEAP_BIT) & 1)) {
                snprintf(why, size, "the frame table does not show dom0's struct domain (mfn %#llx) as Xen heap "
                         "(count_info %#llx): its index is not this Xen's (PDX compression or CONFIG_BIGMEM not decoded)",
                         (unsigned long long) (maddr >> 12), (unsigned long long) ci);
                return -EBADMSG;
        }
        if (xkd_xen_symbol(x, "domain_list", &v) == 0 && xkd_xen_virt_to_maddr(x, v, &maddr) == 0 &&
            src->page_info(src->ctx, maddr >> 12, &ci, &owner) == 0 && owner && !owner_is_system(src, owner)) {
                snprintf(why, size, "the frame table gives Xen's own image frame %#llx an owner (%#llx): its index "
                         "is not this Xen's (PDX compression or CONFIG_BIGMEM not decoded)",
                         (unsigned long long) (maddr >> 12), (unsigned long long) owner);
                return -EBADMSG;
        }
        if (src->dom0_p2m_fll_mfn && src->page_info(src->ctx, src->dom0_p2m_fll_mfn, &ci, &owner) == 0 &&
            owner != src->dom0) {
                snprintf(why, size, "the frame table does not give dom0's p2m page (mfn %#llx) to dom0: its index "
                         "is not this Xen's (PDX compression or CONFIG_BIGMEM not decoded)",
                         (unsigned long long) src->dom0_p2m_fll_mfn);
                return -EBADMSG;
        }
        return 0;
}
