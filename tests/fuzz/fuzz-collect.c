/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arbitrary bytes as a vmcore through the dump path: the Xen frame-table
 * adapter, the page filter at every level (page_info layouts, dom0's struct
 * pages and p2m from untrusted memory) and the kdump writer into a sink that
 * only counts.  Must refuse or finish, never crash or hang.  Seeds: the
 * generated vmcores of fuzz-vmcore (corpus/fuzz-collect links there), in the
 * zero-run encoding of vmcore-input.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "filter-xen.h"
#include "filter.h"
#include "kdump-writer.h"
#include "log.h"
#include "vmcore-input.h"
#include "vmcore.h"
#include "xen.h"

static int count_write_at(struct xkd_sink *s, uint64_t off, const void *buf, size_t len) {
        (void) off;
        (void) buf;
        s->bytes_written += len;
        return 0;
}

static int nop(struct xkd_sink *s) {
        (void) s;
        return 0;
}

static void run(struct xkd_vmcore *vm, unsigned level, bool stream) {
        struct xkd_sink sink = { .write_at = count_write_at, .sync = nop, .finish = nop, .write_once = stream };
        struct xkd_frame_source src, *srcp = NULL;
        struct xkd_frame_reader *fr = NULL;
        /* 512 dedup slots: 16 KiB stays in ASan's primary allocator (the
         * default 1 MiB table was mapped and poisoned per input, two thirds of
         * an execution), and 4096 frames still evict and collide. */
        struct xkd_kdump_options opt = { .compress = XKD_COMPRESS_ZSTD, .dump_level = level, .dedup_slots_log2 = 9 };
        struct xkd_kdump_writer *w;
        struct xkd_kdump_result res;
        struct xkd_filter_stats st;
        struct xkd_bitmap ram = { 0 }, dump = { 0 }, first = { 0 }, second = { 0 };
        const struct xkd_bitmap *tiers[2] = { &first, &second };
        struct xkd_xen *x = NULL;

        if (xkd_xen_open(vm, &x) == 0 && xkd_frame_source_from_xen(x, &src, &fr) == 0)
                srcp = &src;
        if (xkd_filter_build(vm, srcp, level, &ram, &dump, &st) == 0) {
                if (srcp && (st.level_applied & XKD_DL_XEN))
                        (void) xkd_filter_priority(vm, srcp, st.layout, &dump, &first, &second);
                if (xkd_kdump_writer_new(vm, &sink, &opt, &w) == 0) {
                        (void) xkd_kdump_write_ordered(w, &ram, &dump, tiers, first.bits && second.bits ? 2 : 0, &res);
                        (void) xkd_kdump_set_complete(w, true);
                        xkd_kdump_writer_free(w);
                }
                xkd_bitmap_done(&ram);
                xkd_bitmap_done(&dump);
                xkd_bitmap_done(&first);
                xkd_bitmap_done(&second);
        }
        xkd_frame_reader_free(fr);
        xkd_xen_free(x);
}

/* A smaller quarantine than ASan's 256 MiB: with it every allocation of an
 * iteration landed on fresh pages (page faults were a third of the time).
 * Use after free within an iteration is still caught. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_vmcore *vm = NULL;
        char path[64];
        int fd;

        log_set_max_level(LOG_LEVEL_ERROR);
        fd = vmcore_input_fd(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        /* The filter and the writer visit every frame, so an iteration costs
         * in proportion to the machine: keep fuzzed machines at most 4096
         * frames, 16 MiB (the seeds have 5).  Larger ones run the same code:
         * the writer's limits (64-frame read batches, 64 raw pages of data
         * buffer, 2048 pending descriptors) are all crossed below that, and a
         * bitmap chunk (32768 frames) and dom0's memory section (2^27 bytes on
         * x86_64, the only value the filter accepts) stay one either way. */
        if (xkd_vmcore_open(path, &vm) == 0) {
                /* One writer per input: the input's last byte picks the full
                 * filter into a seekable sink or Xen-only into a stream. */
                if (xkd_vmcore_max_pfn(vm) <= (UINT64_C(1) << 12)) {
                        if (size && (data[size - 1] & 1))
                                run(vm, XKD_DL_ZERO | XKD_DL_XEN, true);
                        else
                                run(vm, XKD_DL_MAX, false);
                }
                xkd_vmcore_free(vm);
        }
        return 0;
}
