/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The whole collection: open the vmcore, create the dump directory, write
 * the report, filter and write the dump (or run makedumpfile), and only
 * then declare it complete.  xen-kdump-collect is argument parsing around
 * this; the tests drive it directly.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kdump-writer.h"

enum xkd_engine {
        XKD_ENGINE_NATIVE,
        XKD_ENGINE_MAKEDUMPFILE,        /* makedumpfile -E -X -d 1 */
};

struct xkd_collect_options {
        const char *vmcore;             /* default /proc/vmcore */
        const char *output;             /* DIR, or "-" for a flattened stream on stdout */
        unsigned level;
        enum xkd_engine engine;
        enum xkd_compress compress;
        unsigned keep;
        uint64_t reserve_bytes;
        const char *host;
        bool quiet;                     /* no progress */
        time_t now;                     /* 0: time(NULL) */
        int stream_fd;                  /* for output "-": default stdout */
        unsigned time_limit;            /* seconds for the whole collection; 0 = none */
};

struct xkd_collect_result {
        int error;                      /* first problem, negative errno */
        char reason[512];               /* one line: what is wrong and the fix; "" = complete */
        char path[PATH_MAX];            /* the dump directory */
        char filter_note[512];          /* what the filter could not apply and why; "" = all applied */
};

/* 0 when the dump is complete; otherwise a negative errno with
 * res->reason set (the dump, if any, is marked incomplete). */
int xkd_collect(const struct xkd_collect_options *o, struct xkd_collect_result *res);
