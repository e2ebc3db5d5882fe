/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where the dump bytes go.  The writer produces (offset, bytes) pieces; a sink
 * either pwrite()s them into a regular file or, for streaming targets (ssh),
 * emits them as makedumpfile "flattened" records that `makedumpfile -R`
 * reassembles and crash reads directly.  Every target takes the same stream.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xkd_sink {
        /* 0 or negative errno; a short write is an error (-ENOSPC when the
         * filesystem is full or the free-space reserve is reached). */
        int (*write_at)(struct xkd_sink *s, uint64_t offset, const void *buf, size_t len);
        int (*sync)(struct xkd_sink *s);
        /* Ends a stream (flattened end marker); no-op for files. */
        int (*finish)(struct xkd_sink *s);
        void (*free)(struct xkd_sink *s);
        uint64_t bytes_written;
        /* A stream cannot rewrite: every offset must be written exactly once
         * (crash's flattened reader picks any of two overlapping records). */
        bool write_once;
};

/*
 * A regular file.  reserve_bytes > 0: before every 16 MiB written, check the
 * filesystem keeps at least that much free after the write, else -ENOSPC.
 */
int xkd_sink_file_new(int fd, uint64_t reserve_bytes, struct xkd_sink **ret);

/* makedumpfile's flattened format on any fd (pipe, socket, file). */
int xkd_sink_flat_new(int fd, struct xkd_sink **ret);

static inline int xkd_sink_write_at(struct xkd_sink *s, uint64_t off, const void *buf, size_t len) {
        return s->write_at(s, off, buf, len);
}
