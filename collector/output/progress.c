/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <unistd.h>

#include "progress.h"

#define PAGE_MIB(pages) ((double) (pages) * 4096.0 / (1024.0 * 1024.0))

static double seconds_between(const struct timespec *a, const struct timespec *b) {
        return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}

void xkd_progress_init(struct xkd_progress *p, FILE *out, bool quiet) {
        p->out = out;
        p->tty = isatty(fileno(out));
        p->quiet = quiet;
        p->drawn = false;
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->last = p->start;
}

void xkd_progress_format(char *buf, size_t size, uint64_t done, uint64_t total, double seconds) {
        double rate = seconds > 0 ? PAGE_MIB(done) / seconds : 0;
        unsigned pct = total ? (unsigned) (done * 100 / total) : 100;

        if (rate > 0 && done < total)
                snprintf(buf, size, "%3u%% %.0f/%.0f MiB, %.0f MiB/s, ETA %.0fs", pct, PAGE_MIB(done),
                         PAGE_MIB(total), rate, PAGE_MIB(total - done) / rate);
        else
                snprintf(buf, size, "%3u%% %.0f/%.0f MiB", pct, PAGE_MIB(done), PAGE_MIB(total));
}

void xkd_progress_update(void *userdata, uint64_t done, uint64_t total) {
        struct xkd_progress *p = userdata;
        struct timespec now;
        char line[128];

        if (p->quiet)
                return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (seconds_between(&p->last, &now) < (p->tty ? 0.25 : 5.0) && done < total)
                return;
        p->last = now;
        xkd_progress_format(line, sizeof(line), done, total, seconds_between(&p->start, &now));
        fprintf(p->out, p->tty ? "\rDumping: %-60s" : "Dumping: %s\n", line);
        fflush(p->out);
        p->drawn = true;
}

void xkd_progress_finish(struct xkd_progress *p, uint64_t pages, uint64_t bytes_out) {
        struct timespec now;
        double s;

        if (p->quiet)
                return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        s = seconds_between(&p->start, &now);
        if (p->tty && p->drawn)
                fputc('\n', p->out);
        fprintf(p->out, "Dumped %.0f MiB of memory into %.1f MiB in %.1fs (%.0f MiB/s)\n", PAGE_MIB(pages),
                (double) bytes_out / (1024.0 * 1024.0), s, s > 0 ? PAGE_MIB(pages) / s : 0);
        fflush(p->out);
}
