/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What load learned about its input files, kept in the state directory
 * ($XKD_STATE_DIR/load-cache, 0600) so that the next load skips the work:
 *   - an initramfs's unpacked size (initrd-size.h), keyed by the initramfs's
 *     SHA-256, which load computes anyway for the entry stub: content
 *     addressed, it cannot go stale;
 *   - a kernel's SHA-256 (the state file's record) and its decompressed span
 *     (kernel-facts.h), keyed by the identity of the bytes load read: device,
 *     inode, size, mtime and ctime in nanoseconds, and the SHA-256 of the
 *     file's first and last 64 KiB.  Every write to a file moves its ctime,
 *     which no system call sets back; and an identity is only cached when the
 *     file's times are XKD_FILE_ID_SETTLE_NS older than the read, so a write
 *     within the same clock tick (or a filesystem's 2 s granule) cannot hide.
 * The cache only ever saves time: a file that cannot be read or written is a
 * debug line and a miss, never a failure; a line that does not parse is
 * ignored.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "initrd-size.h"
#include "sha256.h"

#define XKD_LOAD_CACHE_FILE "load-cache"
#define XKD_LOAD_CACHE_MAX_ENTRIES 16
#define XKD_FILE_ID_SAMPLE (64u << 10)
#define XKD_FILE_ID_SETTLE_NS (3LL * 1000000000LL)

/* How old a file's times must be; unit tests lower it for files they just wrote. */
extern int64_t xkd_file_id_settle_ns;

struct xkd_file_id {
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns;
        uint8_t sample[XKD_SHA256_DIGEST_SIZE];  /* SHA-256 of the first and last 64 KiB */
};

/*
 * The identity of size bytes of data read from a file between two fstat()s
 * (before, after), the read having started at read_start (CLOCK_REALTIME).
 * Returns true when it may key a cache entry: the two stats agree with each
 * other and with size, and the file's times are settled.
 */
bool xkd_file_id_make(const struct stat *before, const struct stat *after,
                      const struct timespec *read_start, const void *data, size_t size,
                      struct xkd_file_id *ret);

/* True when st (say, of the file a measurement opened) is the file id was made from. */
bool xkd_file_id_matches(const struct xkd_file_id *id, const struct stat *st);

struct xkd_kernel_cached {
        uint8_t sha256[XKD_SHA256_DIGEST_SIZE];
        uint64_t static_size, resident_size;    /* kernel-facts.h; 0 = unknown */
};

/* 0 and the entry, or -ENOENT. */
int xkd_load_cache_get_kernel(const struct xkd_file_id *id, struct xkd_kernel_cached *ret);
int xkd_load_cache_get_initrd(const uint8_t sha256[XKD_SHA256_DIGEST_SIZE], struct xkd_initrd_size *ret);
/* Add or replace an entry (the newest XKD_LOAD_CACHE_MAX_ENTRIES are kept). */
int xkd_load_cache_put_kernel(const struct xkd_file_id *id, const struct xkd_kernel_cached *v);
int xkd_load_cache_put_initrd(const uint8_t sha256[XKD_SHA256_DIGEST_SIZE], const struct xkd_initrd_size *v);
