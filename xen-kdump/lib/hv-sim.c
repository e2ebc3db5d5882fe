/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated Xen for tests.  It applies every check Xen's kexec_load makes
 * (xen/common/kexec.c, kimage.c), in Xen's order and with Xen's errno, copies
 * the segments into a sparse simulated machine memory, and keeps Xen's
 * status-op bug (the answer flips on every load and unload).
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
 *
 * Configuration, one directive per line ('#' comments):
 *   crash START SIZE            the crash region (SIZE 0: none reserved)
 *   cpus N                      physical CPUs (max_cpu_id + 1)
 *   cpu_notes BASE              CPU n's note buffer at BASE + n * 4096
 *   vmcoreinfo START SIZE       VMCOREINFO_XEN buffer
 *   e820 START SIZE TYPE        one machine memory map entry (repeatable)
 *   xen_cmdline TEXT...         Xen's command line
 *   xen_version MAJOR.MINOR
 *   state PATH                  keep loaded/status/hypercall count across processes
 *   fail STAGE ERRNO [COUNT]    the next COUNT (default 1) loads fail at STAGE with
 *                               -ERRNO after doing all Xen does before it: alloc
 *                               (control pages), copy (the last buffered segment's copy),
 *                               arch (machine_kexec_load), swap (kexec_swap_images);
 *                               unload: the next COUNT unloads fail (kexec_swap_images);
 *                               die: the loading process is killed by signal ERRNO
 *                               just before the swap (it never learns the outcome);
 *                               one directive per stage
 *                               the conditions Xen has there and the loader's own
 *                               checks keep it from creating (a bad guest buffer,
 *                               a kexec in progress, another architecture)
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "log.h"

struct chunk {
        uint64_t maddr;
        uint64_t size;
        uint8_t *data;
};

struct hv_sim {
        struct xkd_hv hv;
        struct xkd_range crash;
        unsigned cpus;
        uint64_t cpu_notes;
        struct xkd_range vmcoreinfo;
        struct xkd_e820 map[XKD_MAX_E820];
        unsigned nr_map;
        char cmdline[1024];
        unsigned major, minor;
        char *state_path;

        /* Machine memory: 'fixed' holds what tests or Xen wrote, 'image' the
         * current crash image (replaced as a whole on a successful load). */
        struct chunk *fixed;
        unsigned nr_fixed;
        struct chunk *image;
        unsigned nr_image;

        int loaded;             /* the truth */
        int clobbered;          /* the loaded image's memory was overwritten by a failed load */
        int image_known;        /* image[] and ctl[] hold the loaded image (not just state file) */
        int slot_bit;           /* what Xen's status op reports */
        unsigned hypercalls;
        unsigned carved;
        uint64_t entry;
        /* Control pages of the loaded image (its jump code and page tables). */
        uint64_t *ctl;
        unsigned nr_ctl;

        /* Failure injection (see "fail" above), per stage. */
        int fail_errno[7];
        unsigned fail_count[7];
};

enum { FAIL_NONE, FAIL_ALLOC, FAIL_COPY, FAIL_ARCH, FAIL_SWAP, FAIL_UNLOAD, FAIL_DIE };

static struct hv_sim *sim_of(xkd_hv *hv) {
        return (struct hv_sim *) hv;
}

static void free_chunks(struct chunk *c, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                free(c[i].data);
        free(c);
}

static void sim_save_state(struct hv_sim *s) {
        FILE *f;

        if (!s->state_path)
                return;
        f = fopen(s->state_path, "we");
        if (!f)
                return;
        fprintf(f, "%d %d %u %" PRIu64 " %d\n", s->loaded, s->slot_bit, s->hypercalls, s->entry, s->clobbered);
        fclose(f);
}

static void sim_load_state(struct hv_sim *s) {
        FILE *f = fopen(s->state_path, "re");

        if (!f)
                return;
        if (fscanf(f, "%d %d %u %" SCNu64, &s->loaded, &s->slot_bit, &s->hypercalls, &s->entry) != 4)
                s->loaded = s->slot_bit = 0;
        else if (fscanf(f, "%d", &s->clobbered) != 1)
                s->clobbered = 0;
        fclose(f);
}

static int sim_get_range(xkd_hv *hv, int range, int nr, struct xkd_range *ret) {
        struct hv_sim *s = sim_of(hv);

        switch (range) {
        case XKD_RANGE_MA_CRASH:
                *ret = s->crash;
                return 0;
        case XKD_RANGE_MA_CPU:
                if (nr < 0 || (unsigned) nr >= s->cpus)
                        return -ERANGE;
                ret->start = s->cpu_notes + (uint64_t) nr * XKD_PAGE_SIZE;
                ret->size = nr == 0 ? 500 : 404;
                return 0;
        case XKD_RANGE_MA_VMCOREINFO:
                *ret = s->vmcoreinfo;
                return ret->size ? 0 : -EINVAL;
        default:
                return -EINVAL;
        }
}

static int sim_memory_map(xkd_hv *hv, struct xkd_e820 *entries, unsigned max, unsigned *ret_n) {
        struct hv_sim *s = sim_of(hv);

        if (s->nr_map > max)
                return -E2BIG;
        memcpy(entries, s->map, s->nr_map * sizeof(*entries));
        *ret_n = s->nr_map;
        return 0;
}

static int sim_nr_cpus(xkd_hv *hv, unsigned *ret) {
        *ret = sim_of(hv)->cpus;
        return 0;
}

static int sim_cmdline(xkd_hv *hv, char *buf, size_t size) {
        if (strlen(sim_of(hv)->cmdline) >= size)
                return -ENOBUFS;
        strcpy(buf, sim_of(hv)->cmdline);
        return 0;
}

static int sim_version(xkd_hv *hv, unsigned *major, unsigned *minor) {
        *major = sim_of(hv)->major;
        *minor = sim_of(hv)->minor;
        return 0;
}

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

static int injected(struct hv_sim *s, int stage) {
        if (!s->fail_count[stage])
                return 0;
        s->fail_count[stage]--;
        return -s->fail_errno[stage];
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

static int sim_load(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                    const struct xkd_segment *seg, unsigned n) {
        struct hv_sim *s = sim_of(hv);
        uint64_t rs = s->crash.start, re = s->crash.start + s->crash.size;
        struct kimage k = { .seg = seg, .n = n, .next_crash_page = rs };
        uint64_t page;
        int r;

        s->hypercalls++;
        sim_save_state(s);

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
                sim_save_state(s);
                raise(-r);
        }
        /* kexec_swap_images() */
        r = injected(s, FAIL_SWAP);
        if (r < 0)
                goto fail;

        /* Only now, as Xen swaps slots only here, is the old image gone. */
        free_chunks(s->image, s->nr_image);
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
        sim_save_state(s);
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
        sim_save_state(s);
        return r;
}

static int sim_unload(xkd_hv *hv, uint8_t type) {
        struct hv_sim *s = sim_of(hv);

        if (type != XKD_KEXEC_TYPE_CRASH && type != XKD_KEXEC_TYPE_DEFAULT)
                return -EINVAL;
        s->hypercalls++;
        /* kexec_do_unload() -> kexec_swap_images(): -EBUSY while a kexec is in progress, nothing changed. */
        int r = injected(s, FAIL_UNLOAD);
        if (r < 0) {
                sim_save_state(s);
                return r;
        }
        /* Xen swaps in an empty slot even when nothing was loaded: the bit flips. */
        s->slot_bit ^= 1;
        s->loaded = 0;
        s->clobbered = 0;
        s->entry = 0;
        /* Xen does not clear the crash region on unload; the bytes stay. */
        sim_save_state(s);
        return 0;
}

static int sim_status(xkd_hv *hv, uint8_t type) {
        if (type != XKD_KEXEC_TYPE_CRASH && type != XKD_KEXEC_TYPE_DEFAULT)
                return -EINVAL;
        return sim_of(hv)->slot_bit;
}

static void sim_free(xkd_hv *hv) {
        struct hv_sim *s = sim_of(hv);

        free_chunks(s->fixed, s->nr_fixed);
        free_chunks(s->image, s->nr_image);
        free(s->ctl);
        free(s->state_path);
        free(s);
}

static const struct xkd_hv_ops sim_ops = {
        .name = "sim",
        .get_range = sim_get_range,
        .memory_map = sim_memory_map,
        .nr_cpus = sim_nr_cpus,
        .xen_cmdline = sim_cmdline,
        .xen_version = sim_version,
        .load = sim_load,
        .unload = sim_unload,
        .status = sim_status,
        .free = sim_free,
};

static int parse_line(struct hv_sim *s, char *line, unsigned lineno) {
        char key[32];
        int off = 0;

        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, " %31s %n", key, &off) < 1 || key[0] == '#')
                return 0;
        const char *arg = line + off;

        if (strcmp(key, "crash") == 0) {
                if (sscanf(arg, "%" SCNi64 " %" SCNi64, &s->crash.start, &s->crash.size) == 2)
                        return 0;
        } else if (strcmp(key, "cpus") == 0) {
                if (sscanf(arg, "%u", &s->cpus) == 1)
                        return 0;
        } else if (strcmp(key, "cpu_notes") == 0) {
                if (sscanf(arg, "%" SCNi64, &s->cpu_notes) == 1)
                        return 0;
        } else if (strcmp(key, "vmcoreinfo") == 0) {
                if (sscanf(arg, "%" SCNi64 " %" SCNi64, &s->vmcoreinfo.start, &s->vmcoreinfo.size) == 2)
                        return 0;
        } else if (strcmp(key, "e820") == 0) {
                struct xkd_e820 *e = &s->map[s->nr_map];
                if (s->nr_map < XKD_MAX_E820 &&
                    sscanf(arg, "%" SCNi64 " %" SCNi64 " %" SCNu32, &e->addr, &e->size, &e->type) == 3) {
                        s->nr_map++;
                        return 0;
                }
        } else if (strcmp(key, "xen_cmdline") == 0) {
                snprintf(s->cmdline, sizeof(s->cmdline), "%s", arg);
                return 0;
        } else if (strcmp(key, "xen_version") == 0) {
                if (sscanf(arg, "%u.%u", &s->major, &s->minor) == 2)
                        return 0;
        } else if (strcmp(key, "fail") == 0) {
                static const char *const stages[] = { [FAIL_ALLOC] = "alloc", [FAIL_COPY] = "copy",
                                                      [FAIL_ARCH] = "arch", [FAIL_SWAP] = "swap",
                                                      [FAIL_UNLOAD] = "unload", [FAIL_DIE] = "die" };
                char stage[16];
                int e, got;
                unsigned count = 1;
                got = sscanf(arg, "%15s %d %u", stage, &e, &count);
                for (int i = FAIL_ALLOC; got >= 2 && e > 0 && i <= FAIL_DIE; i++)
                        if (strcmp(stage, stages[i]) == 0) {
                                s->fail_errno[i] = e;
                                s->fail_count[i] = count;
                                return 0;
                        }
        } else if (strcmp(key, "state") == 0) {
                free(s->state_path);
                s->state_path = strdup(arg);
                return s->state_path ? 0 : -ENOMEM;
        }
        return log_error_errno(-EINVAL, "Simulator configuration line %u is not understood: '%s'.", lineno, line);
}

static int sim_new(FILE *f, xkd_hv **ret) {
        struct hv_sim *s = calloc(1, sizeof(*s));
        char line[1280];
        unsigned lineno = 0;
        int r;

        if (!s)
                return -ENOMEM;
        s->hv.ops = &sim_ops;
        s->cpus = 1;
        s->cpu_notes = 0x1000000;
        s->major = 4;
        s->minor = 17;
        while (fgets(line, sizeof(line), f)) {
                r = parse_line(s, line, ++lineno);
                if (r < 0) {
                        sim_free(&s->hv);
                        return r;
                }
        }
        if (s->state_path)
                sim_load_state(s);
        *ret = &s->hv;
        return 0;
}

int xkd_hv_new_sim(const char *config_path, xkd_hv **ret) {
        FILE *f = fopen(config_path, "re");
        int r;

        if (!f)
                return log_error_errno(-errno, "Cannot open simulator configuration %s: %m.", config_path);
        r = sim_new(f, ret);
        fclose(f);
        return r;
}

int xkd_hv_new_sim_from_string(const char *config, xkd_hv **ret) {
        FILE *f = fmemopen((void *) config, strlen(config), "r");
        int r;

        if (!f)
                return -errno;
        r = sim_new(f, ret);
        fclose(f);
        return r;
}

int xkd_hv_is_sim(xkd_hv *hv) {
        return hv && hv->ops == &sim_ops;
}

static void read_chunks(const struct chunk *c, unsigned n, uint64_t maddr, uint8_t *buf, size_t len) {
        for (unsigned i = 0; i < n; i++) {
                uint64_t s = c[i].maddr, e = s + c[i].size;
                if (!c[i].data || e <= maddr || s >= maddr + len)
                        continue;
                uint64_t from = s > maddr ? s : maddr, to = e < maddr + len ? e : maddr + len;
                memcpy(buf + (from - maddr), c[i].data + (from - s), to - from);
        }
}

int xkd_hv_sim_read(xkd_hv *hv, uint64_t maddr, void *buf, size_t len) {
        struct hv_sim *s = sim_of(hv);

        if (!xkd_hv_is_sim(hv))
                return -EOPNOTSUPP;
        memset(buf, 0, len);
        read_chunks(s->fixed, s->nr_fixed, maddr, buf, len);
        read_chunks(s->image, s->nr_image, maddr, buf, len);
        return 0;
}

int xkd_hv_sim_write(xkd_hv *hv, uint64_t maddr, const void *buf, size_t len) {
        struct hv_sim *s = sim_of(hv);
        struct chunk *c;

        if (!xkd_hv_is_sim(hv))
                return -EOPNOTSUPP;
        /* Writes land in the loaded image too (that is how a stray write corrupts it). */
        for (unsigned i = 0; i < s->nr_image; i++) {
                struct chunk *ic = &s->image[i];
                if (!ic->data || ic->maddr + ic->size <= maddr || ic->maddr >= maddr + len)
                        continue;
                uint64_t from = ic->maddr > maddr ? ic->maddr : maddr;
                uint64_t to = ic->maddr + ic->size < maddr + len ? ic->maddr + ic->size : maddr + len;
                memcpy(ic->data + (from - ic->maddr), (const uint8_t *) buf + (from - maddr), to - from);
        }
        c = realloc(s->fixed, (s->nr_fixed + 1) * sizeof(*c));
        if (!c)
                return -ENOMEM;
        s->fixed = c;
        c = &s->fixed[s->nr_fixed];
        c->data = malloc(len ? len : 1);
        if (!c->data)
                return -ENOMEM;
        memcpy(c->data, buf, len);
        c->maddr = maddr;
        c->size = len;
        s->nr_fixed++;
        return 0;
}

unsigned xkd_hv_sim_hypercalls(xkd_hv *hv) {
        return xkd_hv_is_sim(hv) ? sim_of(hv)->hypercalls : 0;
}

int xkd_hv_sim_loaded(xkd_hv *hv, uint8_t type) {
        (void) type;
        return xkd_hv_is_sim(hv) ? sim_of(hv)->loaded : -EOPNOTSUPP;
}

int xkd_hv_sim_configure(xkd_hv *hv, const char *line) {
        char buf[1280];

        if (!xkd_hv_is_sim(hv))
                return -EOPNOTSUPP;
        snprintf(buf, sizeof(buf), "%s", line);
        return parse_line(sim_of(hv), buf, 0);
}

int xkd_hv_sim_clobbered(xkd_hv *hv) {
        return xkd_hv_is_sim(hv) ? sim_of(hv)->loaded && sim_of(hv)->clobbered : -EOPNOTSUPP;
}

unsigned xkd_hv_sim_carved_pages(xkd_hv *hv) {
        return xkd_hv_is_sim(hv) ? sim_of(hv)->carved : 0;
}
