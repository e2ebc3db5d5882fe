/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Console progress while dumping: percent, MiB/s and ETA.  On a terminal one
 * line is redrawn at most 4 times a second; elsewhere (serial console, log
 * file) a new line at most every 5 seconds.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct xkd_progress {
        FILE *out;
        bool tty;
        bool quiet;
        struct timespec start, last;
        bool drawn;
};

void xkd_progress_init(struct xkd_progress *p, FILE *out, bool quiet);
/* Matches xkd_kdump_options.progress: done/total are pages. */
void xkd_progress_update(void *p, uint64_t done, uint64_t total);
/* Final line: pages, bytes written, time, rate. */
void xkd_progress_finish(struct xkd_progress *p, uint64_t pages, uint64_t bytes_out);
/* "45% 812/1800 MiB, 310 MiB/s, ETA 3s" for the given state (for tests). */
void xkd_progress_format(char *buf, size_t size, uint64_t done, uint64_t total, double seconds);
