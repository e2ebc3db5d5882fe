/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The compressions Linux accepts for its payload and its initramfs, and a way
 * to stream one through a decoder: in process for gzip, xz, lzma and zstd,
 * the system's tool for the others (bzip2, lz4, lzo).  We only ever need to
 * look at the output, never to keep it.
 */

#include <stdbool.h>
#include <stddef.h>

enum xkd_compression_kind {
        XKD_COMP_NONE, XKD_COMP_GZIP, XKD_COMP_ZSTD, XKD_COMP_XZ, XKD_COMP_LZMA,
        XKD_COMP_BZIP2, XKD_COMP_LZ4, XKD_COMP_LZO, XKD_COMP_UNKNOWN,
};

/* Recognise a compressed stream by its first bytes (at least 6 wanted). */
enum xkd_compression_kind xkd_compression_detect(const void *buf, size_t len);
const char *xkd_compression_name(enum xkd_compression_kind k);

/* Gets each chunk of output; returns 0 to go on, 1 to stop early (the
 * decompressor is then killed), or a negative errno to fail. */
typedef int (*xkd_decompress_sink)(const void *buf, size_t len, void *userdata);

/*
 * Decompress what fd reads from its current position to the end.  Neither a
 * decoder's complaint at the end nor a tool's exit status is judged (kernel images and
 * initramfs files carry trailing bytes some tools complain about): the sink
 * decides whether the output made sense.  -ENOENT (logged) when the tool is
 * missing; what names the input in messages.
 */
int xkd_decompress_fd(int fd, enum xkd_compression_kind kind, const char *what,
                      xkd_decompress_sink sink, void *userdata);

/* Whether kind is decoded in process (else through a tool). */
bool xkd_decompress_in_process(enum xkd_compression_kind kind);
/* The same from memory; -EOPNOTSUPP for the kinds that need a tool. */
int xkd_decompress_buf(const void *data, size_t len, enum xkd_compression_kind kind, const char *what,
                       xkd_decompress_sink sink, void *userdata);
/* One stream that must be whole: its end reached and its checksum right
 * (gzip's CRC, xz's checks, zstd's when the frame has one), else -EBADMSG;
 * what follows it is ignored (a kernel payload's appended size word).  The
 * sink must not stop early (that also gives -EBADMSG). */
int xkd_decompress_buf_whole(const void *data, size_t len, enum xkd_compression_kind kind, const char *what,
                             xkd_decompress_sink sink, void *userdata);
