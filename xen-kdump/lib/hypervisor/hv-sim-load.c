/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated Xen's load hypercall (hv-sim.c has the rest).
 *
 * Xen's order (read in xen-project/xen, RELEASE-4.17.0 and RELEASE-4.20.0,
 * identical there): kexec.c kexec_load() refuses nr_segments >= 16, then
 *   1. kimage.c kimage_alloc() -> kimage_crash_alloc(): entry inside the
 *      region, buffered segments inside it (-EADDRNOTAVAIL); do_kimage_alloc():
 *      page-aligned ends (-EADDRNOTAVAIL), no overlaps, buf_size <= dest_size
 *      (-EINVAL); nothing written so far.  Then it takes the control code page
 *      and the indirection page with kimage_alloc_crash_control_page(): the
 *      lowest free page holes of the crash region, cleared, and maps them
 *      (machine_kexec_add_page(): L3/L2/L1 tables, more control pages; -ENOMEM).
 *   2. kimage.c kimage_load_segments(): per segment, kimage_load_crash_segment()
 *      copies buf into dest and zeroes the rest (-EFAULT on a bad buffer), then
 *      identity-maps it page by page (-ENOMEM when the holes run out).
 *   3. kexec.c kexec_load_slot(): x86 machine_kexec.c machine_kexec_load()
 *      checks the architecture (EM_386/EM_X86_64, else -EINVAL), copies
 *      kexec_reloc into the control code page and maps it (-ENOMEM); then
 *      kexec_swap_images() (-EBUSY while a kexec is in progress).  Only here
 *      does the new image replace the old one.
 * So every failure after step 1's checks leaves the OLD image armed in its
 * slot with the crash region under it overwritten: control pages cleared
 * where the old image lived, segments copied over it.  The simulator does
 * the same writes and marks the old image overwritten ("clobbered"); a crash
 * then would run a broken image.  The loader recovers (verb-load.c).
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hv-sim-internal.h"

static int page_aligned(uint64_t x) {
        return (x & (XKD_PAGE_SIZE - 1)) == 0;
}

/* A write into machine memory during a load: whatever of the loaded image
 * (its segments, its control pages) lies under it is overwritten. */
static void overwrite(struct hv_sim *s, uint64_t maddr, const uint8_t *buf, uint64_t len) {
        if (!s->loaded)
                return;
        if (!s->image_known) {
                /* Loaded by an earlier process: where it lies is unknown, and a
                 * load lays its segments and control pages out the same way. */
                if (maddr < s->crash.start + s->crash.size && maddr + len > s->crash.start)
                        s->clobbered = 1;
                return;
        }
        for (unsigned i = 0; i < s->nr_image; i++) {
                struct chunk *c = &s->image[i];
                if (!c->data || c->maddr + c->size <= maddr || c->maddr >= maddr + len)
                        continue;
                uint64_t from = c->maddr > maddr ? c->maddr : maddr;
                uint64_t to = c->maddr + c->size < maddr + len ? c->maddr + c->size : maddr + len;
                if (memcmp(c->data + (from - c->maddr), buf + (from - maddr), to - from) != 0) {
                        memcpy(c->data + (from - c->maddr), buf + (from - maddr), to - from);
                        s->clobbered = 1;
                }
        }
        for (unsigned i = 0; i < s->nr_ctl; i++)
                if (s->ctl[i] < maddr + len && s->ctl[i] + XKD_PAGE_SIZE > maddr)
                        s->clobbered = 1;       /* its jump code or page tables */
}

/* One load in progress: Xen's struct kexec_image as far as the simulation needs it. */
struct kimage {
        const struct xkd_segment *seg;
        unsigned n;
        uint64_t next_crash_page;
        uint64_t *ctl;                  /* control pages taken, in order */
        unsigned nr_ctl;
        uint64_t *tables;               /* (level << 56 | index) of page tables made */
        unsigned nr_tables;
        int have_l4;
        struct chunk *copied;           /* segment bytes written */
        unsigned nr_copied;
};

static const uint8_t zero_page[XKD_PAGE_SIZE];

/* kimage_alloc_crash_control_page(): the first page-sized hole at or after
 * next_crash_page that no segment's destination covers, cleared. */
static int alloc_control_page(struct hv_sim *s, struct kimage *k, uint64_t *ret) {
        uint64_t hole = (k->next_crash_page + XKD_PAGE_SIZE - 1) & ~(XKD_PAGE_SIZE - 1);
        uint64_t *ctl;

        for (;;) {
                unsigned i;
                if (hole + XKD_PAGE_SIZE > s->crash.start + s->crash.size)
                        return -ENOMEM;
                for (i = 0; i < k->n; i++) {
                        uint64_t ms = k->seg[i].dest_maddr, me = ms + k->seg[i].dest_size;
                        if (hole + XKD_PAGE_SIZE > ms && hole < me) {
                                hole = (me + XKD_PAGE_SIZE - 1) & ~(XKD_PAGE_SIZE - 1);
                                break;
                        }
                }
                if (i == k->n)
                        break;
        }
        ctl = realloc(k->ctl, (k->nr_ctl + 1) * sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        k->ctl = ctl;
        k->ctl[k->nr_ctl++] = hole;
        k->next_crash_page = hole + XKD_PAGE_SIZE;
        overwrite(s, hole, zero_page, XKD_PAGE_SIZE);
        *ret = hole;
        return 0;
}

static int have_table(struct kimage *k, uint64_t key) {
        for (unsigned i = 0; i < k->nr_tables; i++)
                if (k->tables[i] == key)
                        return 1;
        return 0;
}

/* machine_kexec_add_page() for every 2 MiB of [vaddr, vaddr + len): the L4
 * once, then an L3, L2 and L1 table wherever none exists yet. */
static int add_pages(struct hv_sim *s, struct kimage *k, uint64_t vaddr, uint64_t len) {
        uint64_t page;
        int r;

        if (!k->have_l4) {
                r = alloc_control_page(s, k, &page);
                if (r < 0)
                        return r;
                k->have_l4 = 1;
        }
        for (uint64_t v = vaddr & ~((1ULL << 21) - 1); v < vaddr + len; v += 1ULL << 21) {
                const uint64_t keys[] = { 3ULL << 56 | (v >> 39), 2ULL << 56 | (v >> 30), 1ULL << 56 | (v >> 21) };
                for (unsigned i = 0; i < 3; i++) {
                        uint64_t *t;
                        if (have_table(k, keys[i]))
                                continue;
                        r = alloc_control_page(s, k, &page);
                        if (r < 0)
                                return r;
                        t = realloc(k->tables, (k->nr_tables + 1) * sizeof(*t));
                        if (!t)
                                return -ENOMEM;
                        k->tables = t;
                        k->tables[k->nr_tables++] = keys[i];
                }
        }
        return 0;
}

/* kimage_load_crash_segment(): buf to dest, the rest of dest zeroed. */
static int copy_segment(struct hv_sim *s, struct kimage *k, const struct xkd_segment *seg) {
        struct chunk *c = &k->copied[k->nr_copied];

        c->maddr = seg->dest_maddr;
        c->size = seg->dest_size;
        c->data = calloc(1, seg->dest_size ? seg->dest_size : 1);
        if (!c->data)
                return -ENOMEM;
        memcpy(c->data, seg->buf, seg->buf_size);
        k->nr_copied++;
        overwrite(s, c->maddr, c->data, c->size);
        return 0;
}

int xkd_sim_load(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                 const struct xkd_segment *seg, unsigned n) {
        struct hv_sim *s = sim_of(hv);
        uint64_t rs = s->crash.start, re = s->crash.start + s->crash.size;
        struct kimage k = { .seg = seg, .n = n, .next_crash_page = rs };
        uint64_t page;
        int r;

        s->hypercalls++;
        xkd_sim_save_state(s);

        /* kexec_load() */
        if (n >= 16)
                return -EINVAL;
        /* kimage_alloc() */
        if (type != XKD_KEXEC_TYPE_CRASH && type != XKD_KEXEC_TYPE_DEFAULT)
                return -EINVAL;
        if (type == XKD_KEXEC_TYPE_CRASH) {
                /* kimage_crash_alloc(); with no region start == size == 0 refuses every entry but 0. */
                if (entry_maddr < rs || entry_maddr > re || !s->crash.size)
                        return -EADDRNOTAVAIL;
                for (unsigned i = 0; i < n; i++) {
                        if (!seg[i].buf_size)
                                continue;       /* buffer-less: only identity mapped */
                        if (seg[i].dest_maddr < rs || seg[i].dest_maddr + seg[i].dest_size > re)
                                return -EADDRNOTAVAIL;
                }
        }
        /* do_kimage_alloc() */
        for (unsigned i = 0; i < n; i++)
                if (!page_aligned(seg[i].dest_maddr) || !page_aligned(seg[i].dest_maddr + seg[i].dest_size))
                        return -EADDRNOTAVAIL;
        for (unsigned i = 0; i < n; i++)
                for (unsigned j = 0; j < i; j++) {
                        uint64_t a = seg[i].dest_maddr, ae = a + seg[i].dest_size;
                        uint64_t b = seg[j].dest_maddr, be = b + seg[j].dest_size;
                        if (a < be && b < ae)
                                return -EINVAL;
                }
        for (unsigned i = 0; i < n; i++)
                if (seg[i].buf_size > seg[i].dest_size)
                        return -EINVAL;
        if (type != XKD_KEXEC_TYPE_CRASH)
                return -EOPNOTSUPP;     /* the simulator arms crash images only */

        /* From here on Xen writes into the crash region. */
        k.copied = calloc(n ? n : 1, sizeof(*k.copied));
        if (!k.copied) {
                r = -ENOMEM;
                goto fail;
        }
        /* Control code page and indirection page, each mapped. */
        r = alloc_control_page(s, &k, &page);
        if (r >= 0)
                r = add_pages(s, &k, page, XKD_PAGE_SIZE);
        if (r >= 0)
                r = alloc_control_page(s, &k, &page);
        if (r >= 0)
                r = add_pages(s, &k, page, XKD_PAGE_SIZE);
        if (r >= 0)
                r = injected(s, FAIL_ALLOC);
        if (r < 0)
                goto fail;
        /* kimage_load_segments() */
        unsigned last_buffered = 0;
        for (unsigned i = 0; i < n; i++)
                if (seg[i].buf_size)
                        last_buffered = i;
        for (unsigned i = 0; i < n; i++) {
                if (seg[i].buf_size) {
                        r = copy_segment(s, &k, &seg[i]);
                        if (r >= 0 && i == last_buffered)
                                r = injected(s, FAIL_COPY);
                        if (r < 0)
                                goto fail;
                }
                r = add_pages(s, &k, seg[i].dest_maddr, seg[i].dest_size);
                if (r < 0)
                        goto fail;
        }
        /* kexec_load_slot() -> machine_kexec_load() */
        if (arch != EM_X86_64 && arch != EM_386) {
                r = -EINVAL;
                goto fail;
        }
        r = injected(s, FAIL_ARCH);
        if (r < 0)
                goto fail;
        {
                uint8_t reloc[XKD_PAGE_SIZE];
                memset(reloc, 0xcc, sizeof(reloc));     /* kexec_reloc into the control code page */
                overwrite(s, k.ctl[0], reloc, sizeof(reloc));
        }
        r = add_pages(s, &k, 0xffff82d040200000ULL, XKD_PAGE_SIZE);     /* kexec_reloc's own address */
        if (r < 0)
                goto fail;
        /* The calling process killed right after Xen overwrote the region
         * (before it could repair anything): the signal ERRNO. */
        r = injected(s, FAIL_DIE);
        if (r < 0) {
                if (s->loaded)
                        s->clobbered = 1;
                xkd_sim_save_state(s);
                raise(-r);
        }
        /* kexec_swap_images() */
        r = injected(s, FAIL_SWAP);
        if (r < 0)
                goto fail;

        /* Only now, as Xen swaps slots only here, is the old image gone. */
        xkd_sim_free_chunks(s->image, s->nr_image);
        s->image = k.copied;
        s->nr_image = k.nr_copied;
        free(s->ctl);
        s->ctl = k.ctl;
        s->nr_ctl = k.nr_ctl;
        free(k.tables);
        s->image_known = 1;
        s->loaded = 1;
        s->clobbered = 0;
        s->slot_bit ^= 1;
        s->carved = k.nr_ctl;
        s->entry = entry_maddr;
        xkd_sim_save_state(s);
        return 0;

fail:
        /* kimage_free(): the new image goes, the bytes it wrote stay in memory;
         * the old image stays in its slot, overwritten or not. */
        for (unsigned i = 0; i < k.nr_copied; i++) {
                struct chunk *c = realloc(s->fixed, (s->nr_fixed + 1) * sizeof(*c));
                if (!c) {
                        free(k.copied[i].data);
                        continue;
                }
                s->fixed = c;
                s->fixed[s->nr_fixed++] = k.copied[i];
        }
        free(k.copied);
        free(k.ctl);
        free(k.tables);
        xkd_sim_save_state(s);
        return r;
}
