/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The estimate for a capture image on disk: what `load` checks the crash
 * region against, instead of a fixed run-time allowance.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "initrd-size.h"
#include "kernel-facts.h"
#include "log.h"

static bool runtime_check_off(void) {
        /* Minimum searches (crashkernel/find-min-vm) must see what really fails,
         * so they switch the run-time part of load's check off. */
        const char *e_off = getenv("XKD_LOAD_UNCHECKED_RUNTIME");
        if (e_off && strcmp(e_off, "1") == 0) {
                log_warning("XKD_LOAD_UNCHECKED_RUNTIME=1: not checking that the capture fits at run time.");
                return true;
        }
        return false;
}

static uint64_t need_from(const struct xkd_kernel_facts *kf, const struct xkd_initrd_size *is,
                          const struct xkd_e820 *map, unsigned nr_map) {
        struct xkd_estimate_input in = {};
        struct xkd_estimate e;

        for (unsigned i = 0; i < nr_map; i++)
                if (map[i].type == XKD_E820_RAM &&
                    (map[i].addr + map[i].size) / XKD_EST_PAGE > in.host_max_pfn)
                        in.host_max_pfn = (map[i].addr + map[i].size) / XKD_EST_PAGE;
        in.kernel_init_size = kf->init_size;
        in.kernel_alignment = kf->kernel_alignment;
        in.kernel_payload = kf->payload;
        in.kernel_static = kf->static_size;
        in.kernel_resident = kf->resident_size;
        in.minimal_kernel = kf->minimal;
        in.initrd_packed = is ? is->packed : 0;
        in.initrd_unpacked = is ? is->unpacked.footprint : 0;
        xkd_estimate_compute(&in, &e);
        log_debug("estimate: the image needs %llu KiB, at least %llu KiB (at load %llu KiB, running %llu KiB)",
                  (unsigned long long) (e.needed >> 10), (unsigned long long) (e.minimum >> 10),
                  (unsigned long long) (e.at_load >> 10), (unsigned long long) (e.at_run >> 10));
        return e.minimum;
}

uint64_t xkd_estimate_image_need(const char *kernel_path, const char *initrd_path,
                                 const struct xkd_e820 *map, unsigned nr_map) {
        struct xkd_kernel_facts kf;
        struct xkd_initrd_size is = {};

        if (runtime_check_off())
                return 1;       /* nonzero: no fixed allowance either */
        if (!kernel_path || xkd_kernel_facts_read(kernel_path, &kf) < 0)
                return 0;
        if (initrd_path && initrd_path[0] && xkd_initrd_measure_quiet(initrd_path, &is) < 0)
                return 0;
        return need_from(&kf, &is, map, nr_map);
}

uint64_t xkd_estimate_need_from_facts(const struct xkd_kernel_facts *kf, const struct xkd_initrd_size *is,
                                      const struct xkd_e820 *map, unsigned nr_map) {
        if (runtime_check_off())
                return 1;
        return need_from(kf, is, map, nr_map);
}
