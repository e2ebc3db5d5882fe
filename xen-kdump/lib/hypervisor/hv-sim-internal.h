/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The simulated hypervisor's state, shared by hv-sim.c (configuration,
 * memory, status) and hv-sim-load.c (Xen's load path). */

#include <stdint.h>

#include "hv.h"

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

        /* Failure injection (the "fail" directive, hv-sim.c), per stage. */
        int fail_errno[7];
        unsigned fail_count[7];
};

enum { FAIL_NONE, FAIL_ALLOC, FAIL_COPY, FAIL_ARCH, FAIL_SWAP, FAIL_UNLOAD, FAIL_DIE };

static inline struct hv_sim *sim_of(xkd_hv *hv) {
        return (struct hv_sim *) hv;
}

/* 0, or the injected -errno of this stage (used up one at a time). */
static inline int injected(struct hv_sim *s, int stage) {
        if (!s->fail_count[stage])
                return 0;
        s->fail_count[stage]--;
        return -s->fail_errno[stage];
}

void xkd_sim_free_chunks(struct chunk *c, unsigned n);
void xkd_sim_save_state(struct hv_sim *s);
/* Xen's kexec_load for a crash image (hv-sim-load.c). */
int xkd_sim_load(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                 const struct xkd_segment *seg, unsigned n);
