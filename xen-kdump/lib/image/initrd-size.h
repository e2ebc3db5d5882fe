/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * How much memory an initramfs takes once the capture kernel has unpacked it
 * into its rootfs (tmpfs/ramfs: every file occupies whole pages and an inode,
 * and none of it can be reclaimed).
 *
 * An initramfs is one or more newc cpio archives, each raw or compressed,
 * concatenated (dracut puts an uncompressed early-microcode archive first).
 * The counter below is a streaming newc parser: feed it raw bytes, or the
 * output of a decompressor, in any chunk sizes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"

#define XKD_TMPFS_INODE_COST 1024ULL    /* inode + dentry, rounded up */

struct xkd_cpio_stats {
        uint64_t entries;               /* files, dirs, links, nodes (no trailers) */
        uint64_t archives;              /* TRAILER!!! seen */
        uint64_t data_bytes;            /* sum of file sizes */
        uint64_t footprint;             /* page-rounded data + XKD_TMPFS_INODE_COST per entry */
};

struct xkd_cpio_counter {
        struct xkd_cpio_stats stats;
        uint64_t offset;                /* bytes consumed so far (for 4-byte alignment) */
        int state;
        char header[110];
        size_t have;                    /* header bytes collected */
        uint64_t skip;                  /* bytes left in the current name or data */
        bool trailer;                   /* the entry being skipped is TRAILER!!! */
        char name[11];                  /* start of the current entry's name */
        size_t name_have;
        uint64_t name_left, data_left;
        uint32_t mode;
};

void xkd_cpio_counter_init(struct xkd_cpio_counter *c);
/*
 * Consume up to len bytes.  Returns how many were consumed: fewer than len
 * only when, between archives, a byte starts something that is not a cpio
 * archive (a compressed one, typically); -EBADMSG on a corrupt header.
 */
int64_t xkd_cpio_counter_feed(struct xkd_cpio_counter *c, const void *buf, size_t len);
/* True when the input so far ends cleanly between archives (not mid-entry). */
bool xkd_cpio_counter_complete(const struct xkd_cpio_counter *c);

struct xkd_initrd_size {
        uint64_t packed;                /* file size: what the loader puts in the region */
        struct xkd_cpio_stats unpacked;
        enum xkd_compression_kind compression;  /* of the compressed part, NONE if all raw */
};

/* Measure an initramfs file.  Decompresses with the system's tools (gzip, zstd,
 * xz, ...), like the kernel's own unpacker would.  Logs and fails on garbage. */
int xkd_initrd_measure(const char *path, struct xkd_initrd_size *ret);
/* The same without logging (a non-cpio initrd is the loader's business, not ours). */
int xkd_initrd_measure_quiet(const char *path, struct xkd_initrd_size *ret);
/* The same for an initramfs already in memory (path names it), logging what is
 * wrong with it; -EOPNOTSUPP (silently)
 * when its compression needs a tool (decompress.h). */
int xkd_initrd_measure_data(const void *data, size_t size, const char *path, struct xkd_initrd_size *ret);
/* The same, also giving the fstat() of the file it measured (to tell whether
 * that was the very file the caller read). */
struct stat;
int xkd_initrd_measure_quiet_stat(const char *path, struct xkd_initrd_size *ret, struct stat *st);
