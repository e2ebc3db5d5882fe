/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated Xen for tests.  It applies every check Xen's kexec_load makes
 * (xen/common/kexec.c, kimage.c), in Xen's order and with Xen's errno, copies
 * the segments into a sparse simulated machine memory, and keeps Xen's
 * status-op bug (the answer flips on every load and unload).  The load
 * hypercall, with Xen's order of checks and writes, is in hv-sim-load.c.
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
 *                               one directive per stage.  These are the conditions
 *                               Xen has there and the loader's own checks keep it
 *                               from creating (a bad guest buffer, a kexec in
 *                               progress, another architecture).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-sim-internal.h"
#include "log.h"

void xkd_sim_free_chunks(struct chunk *c, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                free(c[i].data);
        free(c);
}

void xkd_sim_save_state(struct hv_sim *s) {
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
static int sim_unload(xkd_hv *hv, uint8_t type) {
        struct hv_sim *s = sim_of(hv);

        if (type != XKD_KEXEC_TYPE_CRASH && type != XKD_KEXEC_TYPE_DEFAULT)
                return -EINVAL;
        s->hypercalls++;
        /* kexec_do_unload() -> kexec_swap_images(): -EBUSY while a kexec is in progress, nothing changed. */
        int r = injected(s, FAIL_UNLOAD);
        if (r < 0) {
                xkd_sim_save_state(s);
                return r;
        }
        /* Xen swaps in an empty slot even when nothing was loaded: the bit flips. */
        s->slot_bit ^= 1;
        s->loaded = 0;
        s->clobbered = 0;
        s->entry = 0;
        /* Xen does not clear the crash region on unload; the bytes stay. */
        xkd_sim_save_state(s);
        return 0;
}

static int sim_status(xkd_hv *hv, uint8_t type) {
        if (type != XKD_KEXEC_TYPE_CRASH && type != XKD_KEXEC_TYPE_DEFAULT)
                return -EINVAL;
        return sim_of(hv)->slot_bit;
}

static void sim_free(xkd_hv *hv) {
        struct hv_sim *s = sim_of(hv);

        xkd_sim_free_chunks(s->fixed, s->nr_fixed);
        xkd_sim_free_chunks(s->image, s->nr_image);
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
        .load = xkd_sim_load,
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
