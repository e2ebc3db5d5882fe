/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xen-internal.h"

#define PTE_PRESENT     UINT64_C(0x1)
#define PTE_PSE         UINT64_C(0x80)
#define PTE_ADDR_MASK   UINT64_C(0x000ffffffffff000)
#define PAGE_MASK_4K    (XKD_PAGE_SIZE - 1)
#define LINUX_START_KERNEL_MAP UINT64_C(0xffffffff80000000)
#define LINUX_KERNEL_IMAGE_MAX UINT64_C(0x40000000)     /* KERNEL_IMAGE_SIZE with KASLR */
#define P2M_PER_PAGE    512u
#define P2M_INVALID     UINT64_MAX
#define P2M_FLAG_BITS   (UINT64_C(3) << 62)     /* Linux FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT */

int xkd_xen_read_maddr(struct xkd_xen *x, uint64_t maddr, void *buf, size_t len) {
        uint64_t mfn = maddr / XKD_PAGE_SIZE, in = maddr & PAGE_MASK_4K;

        if (len == 0)
                return 0;
        if (in + len > XKD_PAGE_SIZE)
                return xkd_vmcore_read(x->vm, maddr, buf, len);
        for (unsigned i = 0; i < XKD_PCACHE_SIZE; i++)
                if (x->pcache[i].valid && x->pcache[i].mfn == mfn) {
                        memcpy(buf, x->pcache[i].data + in, len);
                        return 0;
                }
        struct xkd_page_cache_entry *e = &x->pcache[x->pcache_next];
        int r = xkd_vmcore_read_page(x->vm, mfn, e->data);
        if (r < 0) {
                /* A page cut by truncation may still hold the bytes asked for. */
                e->valid = false;
                return xkd_vmcore_read(x->vm, maddr, buf, len);
        }
        e->valid = true;
        e->mfn = mfn;
        x->pcache_next = (x->pcache_next + 1) % XKD_PCACHE_SIZE;
        memcpy(buf, e->data + in, len);
        return 0;
}

static bool canonical(uint64_t v) {
        uint64_t top = v >> 47;
        return top == 0 || top == 0x1ffff;
}

int xkd_xen_walk(struct xkd_xen *x, uint64_t l4_maddr, uint64_t vaddr, uint64_t *ret) {
        uint64_t vpage = vaddr & ~(uint64_t) PAGE_MASK_4K;
        unsigned slot = (unsigned) ((vpage >> 12) ^ (l4_maddr >> 12)) % XKD_TLB_SIZE;
        uint64_t table = l4_maddr & PTE_ADDR_MASK, e = 0;

        if (!canonical(vaddr))
                return -EADDRNOTAVAIL;
        if (x->tlb[slot].l4 == l4_maddr + 1 && x->tlb[slot].vpage == vpage) {
                *ret = x->tlb[slot].mpage | (vaddr & PAGE_MASK_4K);
                return 0;
        }
        for (int level = 4; level >= 1; level--) {
                unsigned idx = (unsigned) (vaddr >> (12 + 9 * (level - 1))) & 511;
                int r = xkd_xen_read_maddr(x, table + idx * 8, &e, sizeof(e));
                if (r < 0)
                        return r;
                if (!(e & PTE_PRESENT))
                        return -EADDRNOTAVAIL;
                if ((level == 3 || level == 2) && (e & PTE_PSE)) {
                        uint64_t span = UINT64_C(1) << (12 + 9 * (level - 1));
                        uint64_t base = e & PTE_ADDR_MASK & ~(span - 1);
                        *ret = base | (vaddr & (span - 1));
                        goto cache;
                }
                if (level == 4 && (e & PTE_PSE))
                        return -EADDRNOTAVAIL;  /* reserved at L4 */
                table = e & PTE_ADDR_MASK;
        }
        *ret = table | (vaddr & PAGE_MASK_4K);
cache:
        x->tlb[slot] = (struct xkd_tlb_entry) {
                .l4 = l4_maddr + 1, .vpage = vpage, .mpage = *ret & ~(uint64_t) PAGE_MASK_4K,
        };
        return 0;
}

static int linear_virt_to_maddr(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret) {
        if (vaddr >= x->directmap_start && vaddr < XKD_XEN_DIRECTMAP_END) {
                /* directmapoff_to_maddr(): the pdx rule at page granularity. */
                uint64_t off = vaddr - x->directmap_start;
                *ret = (xkd_xen_pdx_to_pfn(x, off >> 12) << 12) | (off & PAGE_MASK_4K);
                return 0;
        }
        if (x->image_known && vaddr >= x->image_start && vaddr - x->image_start < XKD_XEN_IMAGE_SIZE) {
                *ret = vaddr - x->image_start + x->xen_phys_start;
                return 0;
        }
        return -EADDRNOTAVAIL;
}

int xkd_xen_virt_to_maddr(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret) {
        if (x->l4_known && !x->in_l4_lookup)
                return xkd_xen_walk(x, x->l4_maddr, vaddr, ret);
        return linear_virt_to_maddr(x, vaddr, ret);
}

bool xkd_xen_uses_page_tables(const struct xkd_xen *x) {
        return x->l4_known;
}

typedef int (*virt_to_maddr_fn)(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret);

/* One read covers at most this much: the dump writer's batch size. */
#define READ_RUN_MAX    (UINT64_C(64) * XKD_PAGE_SIZE)

/* How many bytes of whole pages from vaddr (page aligned, backed by maddr) are
 * machine-contiguous, up to len.  Each read of /proc/vmcore is a syscall in
 * the capture kernel (dear under emulation): a frame table or vmemmap is
 * mostly contiguous and goes in a few reads instead of one per page. */
static size_t contiguous_run(struct xkd_xen *x, virt_to_maddr_fn to_maddr, uint64_t vaddr, uint64_t maddr, size_t len) {
        size_t run = XKD_PAGE_SIZE;

        if (len > READ_RUN_MAX)
                len = READ_RUN_MAX;
        while (len - run >= XKD_PAGE_SIZE) {
                uint64_t next;
                if (to_maddr(x, vaddr + run, &next) < 0 || next != maddr + run)
                        break;
                run += XKD_PAGE_SIZE;
        }
        return run;
}

/* Translates page by page: virtually contiguous pages need not be contiguous
 * in machine memory.  Whole pages bypass the small page cache, which is for
 * page tables and fields: a scan of data pages would evict the tables its
 * own translations need.  A run that cannot be read in one piece (a page
 * missing from the dump, a PT_LOAD ending mid-page) is read page by page as
 * before, so the bytes returned and the errors are the same either way. */
static int read_virt_with(struct xkd_xen *x, virt_to_maddr_fn to_maddr, uint64_t vaddr, void *buf, size_t len) {
        uint8_t *p = buf;

        while (len > 0) {
                uint64_t maddr;
                size_t n = XKD_PAGE_SIZE - (vaddr & PAGE_MASK_4K);
                if (n > len)
                        n = len;
                int r = to_maddr(x, vaddr, &maddr);
                if (r < 0)
                        return r;
                if (n == XKD_PAGE_SIZE) {
                        size_t run = contiguous_run(x, to_maddr, vaddr, maddr, len);
                        if (xkd_vmcore_read(x->vm, maddr, p, run) == 0)
                                n = run;
                        else if ((r = xkd_xen_read_maddr(x, maddr, p, n)) < 0)
                                return r;
                } else if ((r = xkd_xen_read_maddr(x, maddr, p, n)) < 0)
                        return r;
                p += n;
                vaddr += n;
                len -= n;
        }
        return 0;
}

int xkd_xen_read_virt(struct xkd_xen *x, uint64_t vaddr, void *buf, size_t len) {
        return read_virt_with(x, xkd_xen_virt_to_maddr, vaddr, buf, len);
}

static int read_sym_u64(struct xkd_xen *x, const char *name, uint64_t *ret) {
        uint64_t a;
        int r = xkd_xen_symbol(x, name, &a);
        if (r < 0)
                return r;
        return xkd_xen_read_virt(x, a, ret, sizeof(*ret));
}

/* Finds what the linear fallback needs and Xen's idle page table. */
void xkd_xen_mm_setup(struct xkd_xen *x) {
        const struct xkd_xen_crash_info *ci;
        uint64_t pgd_l4, v;

        x->directmap_start = XKD_XEN_DIRECTMAP_START;
        x->domain_pdx_bytes = 4;

        if (xkd_xen_crash_info(x, &ci) == 0 && ci->has_xen_phys_start) {
                x->xen_phys_start = ci->xen_phys_start;
                /* Any image symbol tells which 1 GiB window the image is linked at. */
                if (xkd_xen_symbol(x, "pgd_l4", &v) == 0 || xkd_xen_symbol(x, "domain_list", &v) == 0) {
                        if (v >= XKD_XEN_IMAGE_START_414 && v < XKD_XEN_IMAGE_START_414 + XKD_XEN_IMAGE_SIZE)
                                x->image_start = XKD_XEN_IMAGE_START_414, x->image_known = true;
                        else if (v >= XKD_XEN_IMAGE_START_44 && v < XKD_XEN_IMAGE_START_44 + XKD_XEN_IMAGE_SIZE)
                                x->image_start = XKD_XEN_IMAGE_START_44, x->image_known = true;
                }
        }

        /* Both read Xen's image variables through its linear map. */
        x->in_l4_lookup = true;
        (void) xkd_xen_pdx_setup(x);
        if (read_sym_u64(x, "frame_table", &v) == 0 && v == XKD_XEN_BIGMEM_FRAMETABLE_START) {
                x->directmap_start = XKD_XEN_BIGMEM_DIRECTMAP_START;
                x->domain_pdx_bytes = 8;        /* __pdx_t is unsigned long (asm/mm.h) */
        }
        x->in_l4_lookup = false;

        if (xkd_xen_symbol(x, "pgd_l4", &pgd_l4) == 0 && linear_virt_to_maddr(x, pgd_l4, &v) == 0) {
                uint64_t e;
                /* idle_pg_table must map the direct map (slot 262, 265 with BIGMEM) for it to be the real one. */
                if (xkd_xen_read_maddr(x, v + ((x->directmap_start >> 39) & 511) * 8, &e, sizeof(e)) == 0 &&
                    (e & PTE_PRESENT)) {
                        x->l4_maddr = v;
                        x->l4_known = true;
                }
        }
}

int xkd_xen_max_page(struct xkd_xen *x, uint64_t *ret) {
        uint64_t v;
        int r = read_sym_u64(x, "max_page", &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

bool xkd_xen_pdx_known(const struct xkd_xen *x) {
        return xkd_xen_pdx_state(x, NULL) == 0;
}

uint64_t xkd_xen_directmap_start(const struct xkd_xen *x) {
        return x->directmap_start;
}

unsigned xkd_xen_domain_pdx_bytes(const struct xkd_xen *x) {
        return x->domain_pdx_bytes;
}

/* pdx_to_virt() (asm/x86_64/page.h): direct-map offset, not a frame number. */
uint64_t xkd_xen_owner_from_pdx(const struct xkd_xen *x, uint64_t pdx) {
        return pdx ? x->directmap_start + (pdx << 12) : 0;
}

static int frame_setup(struct xkd_xen *x) {
        uint64_t sym;
        int r;

        if (x->frame_known)
                return 0;
        if (x->frame_error)
                return x->frame_error;
        /* SYMBOL(frame_table) is the address of a pointer to the table: the
         * variable itself, or (x86, where frame_table is a macro) a static
         * const copy Xen's kexec code keeps for the purpose. */
        r = xkd_xen_symbol(x, "frame_table", &sym);
        if (r == 0)
                r = read_sym_u64(x, "frame_table", &x->frame_table);
        if (r == 0)
                r = xkd_xen_info_get(x, "SIZE(page_info)", &x->page_info_size);
        if (r == 0)
                r = xkd_xen_info_get(x, "OFFSET(page_info.count_info)", &x->off_count_info);
        if (r == 0)
                r = xkd_xen_info_get(x, "OFFSET(page_info._domain)", &x->off_domain);
        /* Offsets come from the crashed machine: a huge one must not wrap the check. */
        if (r == 0 && (x->page_info_size < 16 || x->page_info_size > 256 ||
                       x->off_count_info > x->page_info_size - 8 || x->off_domain > x->page_info_size - x->domain_pdx_bytes))
                r = -EBADMSG;
        if (r < 0) {
                x->frame_error = r;
                return r;
        }
        x->frame_max_pdx = (UINT64_MAX - x->frame_table) / x->page_info_size;
        x->frame_known = true;
        return 0;
}

/* Scans of the frame table (the filter's, the report's owner count) go entry
 * by entry; one read per page would be thousands of syscalls per GiB of RAM.
 * The window holds up to XKD_FT_WINDOW_PAGES pages from the one asked for,
 * as far as the table is mapped.  It never answers for bytes it could not
 * read: the caller then reads the entry as before, so results do not change. */
const uint8_t *xkd_xen_frame_table_at(struct xkd_xen *x, uint64_t vaddr, size_t len) {
        uint64_t vpage = vaddr & ~(uint64_t) PAGE_MASK_4K, maddr;
        unsigned pages = 0;

        if ((vaddr & PAGE_MASK_4K) + len > XKD_PAGE_SIZE)
                return NULL;
        /* The window holds whole pages, so an entry inside one page is all in it. */
        if (x->ft_len && vaddr - x->ft_start < x->ft_len)
                return x->ft_window + (vaddr - x->ft_start);
        if (x->ft_failed == vpage + 1)
                return NULL;
        if (!x->ft_window && !(x->ft_window = malloc((size_t) XKD_FT_WINDOW_PAGES * XKD_PAGE_SIZE)))
                return NULL;
        x->ft_len = 0;
        while (pages < XKD_FT_WINDOW_PAGES && vpage + (uint64_t) pages * XKD_PAGE_SIZE >= vpage &&
               xkd_xen_virt_to_maddr(x, vpage + (uint64_t) pages * XKD_PAGE_SIZE, &maddr) == 0)
                pages++;
        /* A page of the window missing from the dump fails the whole read: then this page alone. */
        if (pages == 0 || (xkd_xen_read_virt(x, vpage, x->ft_window, (size_t) pages * XKD_PAGE_SIZE) < 0 &&
                           (pages = 1, xkd_xen_read_virt(x, vpage, x->ft_window, XKD_PAGE_SIZE) < 0))) {
                x->ft_failed = vpage + 1;
                return NULL;
        }
        x->ft_start = vpage;
        x->ft_len = (uint64_t) pages * XKD_PAGE_SIZE;
        return x->ft_window + (vaddr - vpage);
}

int xkd_xen_page_info(struct xkd_xen *x, uint64_t mfn, uint64_t *count_info, uint64_t *owner) {
        uint8_t buf[256];
        const uint8_t *pi;
        int r = frame_setup(x);

        if (r < 0)
                return r;
        if (xkd_xen_pdx_state(x, NULL) < 0)
                return -EDOM;
        if (!xkd_xen_pfn_has_pdx(x, mfn))
                return -EADDRNOTAVAIL;  /* no frame-table entry of its own: not RAM */
        uint64_t pdx = xkd_xen_pfn_to_pdx(x, mfn);
        if (pdx > x->frame_max_pdx)
                return -EFAULT;
        uint64_t va = x->frame_table + pdx * x->page_info_size;
        if (!(pi = xkd_xen_frame_table_at(x, va, x->page_info_size))) {
                if ((r = xkd_xen_read_virt(x, va, buf, x->page_info_size)) < 0)
                        return r;
                pi = buf;
        }
        if (count_info)
                memcpy(count_info, pi + x->off_count_info, sizeof(*count_info));
        /* x86_64 Xen >= 4.0: the pdx of the struct domain's page, 0 = none (little-endian). */
        if (owner)
                *owner = xkd_xen_owner_from_pdx(x, xkd_xen_domain_field(pi + x->off_domain, x->domain_pdx_bytes));
        return 0;
}

uint64_t xkd_xen_dom_xen(struct xkd_xen *x) {
        uint64_t v;
        return read_sym_u64(x, "dom_xen", &v) == 0 ? v : 0;
}

uint64_t xkd_xen_dom_io(struct xkd_xen *x) {
        uint64_t v;
        return read_sym_u64(x, "dom_io", &v) == 0 ? v : 0;
}

int xkd_xen_domains(struct xkd_xen *x, struct xkd_xen_domain *doms, size_t max) {
        uint64_t off_id, off_next, d, saved = 0;
        size_t n = 0, window = 1, since_saved = 0;
        int r;

        r = xkd_xen_info_get(x, "OFFSET(domain.domain_id)", &off_id);
        if (r == 0)
                r = xkd_xen_info_get(x, "OFFSET(domain.next_in_list)", &off_next);
        if (r < 0)
                return r;
        r = read_sym_u64(x, "domain_list", &d);
        if (r < 0)
                return r;
        while (d && n < max) {
                uint16_t id;
                r = xkd_xen_read_virt(x, d + off_id, &id, sizeof(id));
                if (r < 0)
                        return n > 0 ? (int) n : r;
                /* Brent's cycle check: O(n), however long a corrupted list is. */
                if (d == saved)
                        return -ELOOP;
                if (++since_saved == window) {
                        saved = d;
                        window *= 2;
                        since_saved = 0;
                }
                doms[n++] = (struct xkd_xen_domain) { .vaddr = d, .id = id };
                r = xkd_xen_read_virt(x, d + off_next, &d, sizeof(d));
                if (r < 0)
                        return (int) n;
        }
        return (int) n;
}

/* ---- dom0 through its p2m ------------------------------------------- */

int xkd_xen_dom0_pfn_to_mfn(struct xkd_xen *x, uint64_t pfn, uint64_t *ret) {
        const struct xkd_xen_crash_info *ci;
        uint64_t fl_mfn, p2m_mfn, mfn;
        int r = xkd_xen_crash_info(x, &ci);

        if (r < 0)
                return r;
        if (!ci->has_dom0_p2m || ci->dom0_pfn_to_mfn_frame_list_list == 0)
                return -ENOENT;
        uint64_t top = pfn / (P2M_PER_PAGE * P2M_PER_PAGE);
        if (top >= P2M_PER_PAGE)
                return -EFAULT;
        if (ci->dom0_pfn_to_mfn_frame_list_list > UINT64_MAX / XKD_PAGE_SIZE)
                return -EFAULT;
        r = xkd_xen_read_maddr(x, ci->dom0_pfn_to_mfn_frame_list_list * XKD_PAGE_SIZE + top * 8, &fl_mfn, 8);
        if (r < 0)
                return r;
        if (fl_mfn == 0 || fl_mfn == P2M_INVALID || fl_mfn > UINT64_MAX / XKD_PAGE_SIZE)
                return -EFAULT;
        r = xkd_xen_read_maddr(x, fl_mfn * XKD_PAGE_SIZE + ((pfn / P2M_PER_PAGE) % P2M_PER_PAGE) * 8, &p2m_mfn, 8);
        if (r < 0)
                return r;
        if (p2m_mfn == 0 || p2m_mfn == P2M_INVALID || p2m_mfn > UINT64_MAX / XKD_PAGE_SIZE)
                return -EFAULT;
        r = xkd_xen_read_maddr(x, p2m_mfn * XKD_PAGE_SIZE + (pfn % P2M_PER_PAGE) * 8, &mfn, 8);
        if (r < 0)
                return r;
        if (mfn == P2M_INVALID)
                return -EFAULT;
        *ret = mfn & ~P2M_FLAG_BITS;
        return 0;
}

static int dom0_image_to_maddr(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret) {
        uint64_t mfn;
        uint64_t pa = vaddr - LINUX_START_KERNEL_MAP + x->dom0_phys_base;
        int r = xkd_xen_dom0_pfn_to_mfn(x, pa >> 12, &mfn);
        if (r < 0)
                return r;
        *ret = (mfn << 12) | (pa & PAGE_MASK_4K);
        return 0;
}

static int dom0_setup(struct xkd_xen *x) {
        uint64_t v, l4;
        int r;

        if (x->dom0_known)
                return 0;
        if (x->dom0_error)
                return x->dom0_error;
        r = xkd_xen_key_get(x, XKD_INFO_DOM0, "NUMBER(phys_base)", &v);
        if (r == 0) {
                x->dom0_phys_base = v;
                r = xkd_xen_key_get(x, XKD_INFO_DOM0, "SYMBOL(init_top_pgt)", &l4);
        }
        if (r == 0)
                r = dom0_image_to_maddr(x, l4, &x->dom0_l4_maddr);
        if (r < 0) {
                x->dom0_error = r;
                return r;
        }
        x->dom0_known = true;
        return 0;
}

int xkd_xen_dom0_virt_to_maddr(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret) {
        int r = dom0_setup(x);
        if (r < 0)
                return r;
        /* A PV guest's page tables hold machine frames: the same walk as Xen's.
         * The kernel image's linear rule (phys_base + p2m) only bootstraps
         * init_top_pgt and stands in where the tables do not answer. */
        r = xkd_xen_walk(x, x->dom0_l4_maddr, vaddr, ret);
        if (r == -EADDRNOTAVAIL && vaddr >= LINUX_START_KERNEL_MAP && vaddr < LINUX_START_KERNEL_MAP + LINUX_KERNEL_IMAGE_MAX)
                return dom0_image_to_maddr(x, vaddr, ret);
        return r;
}

int xkd_xen_dom0_read_virt(struct xkd_xen *x, uint64_t vaddr, void *buf, size_t len) {
        return read_virt_with(x, xkd_xen_dom0_virt_to_maddr, vaddr, buf, len);
}

/* Where struct vcpu's `domain` pointer is (xen/include/xen/sched.h): after
 * `int vcpu_id; int processor;` comes `vcpu_info_t *vcpu_info` up to 4.17
 * (RELEASE-4.17.0), then `struct guest_area vcpu_info_area` (two pointers,
 * xen/include/xen/domain.h) from RELEASE-4.18.0 through 4.22.0.
 * VMCOREINFO_XEN exports no OFFSET(vcpu.domain) (xen/common/kexec.c,
 * crash_save_vmcoreinfo(), 4.17-4.22); honoured should a Xen ever add it.
 * Without a version the cross-check in the caller decides. */
static int vcpu_domain_offset(const struct xkd_xen *x, uint64_t *ret) {
        const struct xkd_xen_crash_info *ci;

        if (xkd_xen_info_get(x, "OFFSET(vcpu.domain)", ret) == 0 && *ret < 4096)
                return 0;
        if (xkd_xen_crash_info(x, &ci) < 0)
                return -ENODATA;
        *ret = ci->major > 4 || (ci->major == 4 && ci->minor >= 18) ? 24 : 16;
        return 0;
}

int xkd_xen_cpu_vcpu(struct xkd_xen *x, unsigned cpu, struct xkd_xen_cpu_vcpu *ret) {
        uint64_t curr_sym, offsets, idle_arr, off, vcpu, idle, dom, dom_off;
        struct { int32_t vcpu_id, processor; } head;
        int r;

        if ((r = xkd_xen_symbol(x, "per_cpu__curr_vcpu", &curr_sym)) < 0 ||
            (r = xkd_xen_symbol(x, "__per_cpu_offset", &offsets)) < 0 ||
            (r = xkd_xen_symbol(x, "idle_vcpu", &idle_arr)) < 0)
                return r;
        if ((r = xkd_xen_read_virt(x, offsets + (uint64_t) cpu * 8, &off, 8)) < 0 ||
            (r = xkd_xen_read_virt(x, curr_sym + off, &vcpu, 8)) < 0 ||
            (r = xkd_xen_read_virt(x, idle_arr + (uint64_t) cpu * 8, &idle, 8)) < 0)
                return r;
        *ret = (struct xkd_xen_cpu_vcpu) { .vcpu = vcpu, .idle = vcpu == idle, .vcpu_id = -1 };
        if (ret->idle)
                return 0;
        if ((r = vcpu_domain_offset(x, &dom_off)) < 0 ||
            (r = xkd_xen_read_virt(x, vcpu, &head, sizeof(head))) < 0 ||
            (r = xkd_xen_read_virt(x, vcpu + dom_off, &dom, 8)) < 0)
                return r;
        if (head.processor != (int32_t) cpu || head.vcpu_id < 0)
                return -EBADMSG;
        if (!x->domains && x->nr_domains == 0) {
                /* Xen allows 32752 domain ids; most hosts run a handful, so
                 * grow the table instead of zeroing 512 KiB per open. */
                for (size_t cap = 64;; cap *= 2) {
                        struct xkd_xen_domain *d = realloc(x->domains, cap * sizeof(*d));
                        if (!d)
                                return -ENOMEM;
                        x->domains = d;
                        x->nr_domains = xkd_xen_domains(x, d, cap);
                        if (x->nr_domains < 0 || (size_t) x->nr_domains < cap || cap >= 32768)
                                break;
                }
        }
        for (int i = 0; i < x->nr_domains; i++)
                if (x->domains[i].vaddr == dom) {
                        ret->domain_id = x->domains[i].id;
                        ret->vcpu_id = head.vcpu_id;
                        return 0;
                }
        return x->nr_domains < 0 ? x->nr_domains : -EBADMSG;
}
