/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Pages compressed on several CPUs: the calling thread and threads-1 workers
 * each take every threads-th page of a batch, each with its own zstd context.
 * The result depends only on the pages, never on the number of threads, so a
 * dump is byte for byte the same whatever the CPUs (the writer still decides
 * zero pages, duplicates and order, one page after another).
 */

#include <stdbool.h>
#include <stdint.h>

#define XKD_COMPRESS_POOL_MAX_THREADS 64u

struct xkd_compress_pool;

/* threads >= 2; level as zstd's. */
int xkd_compress_pool_new(unsigned threads, int level, struct xkd_compress_pool **ret);
struct xkd_compress_pool *xkd_compress_pool_free(struct xkd_compress_pool *p);

/* Compresses the pages i < n with skip[i] false: out + i*4096 gets the zstd
 * frame and sizes[i] its size when that is under 4096 bytes, else sizes[i] = 0
 * (store raw).  Skipped pages get sizes[i] = 0. */
void xkd_compress_pool_run(struct xkd_compress_pool *p, const uint8_t *pages, unsigned n, const bool *skip,
                           uint8_t *out, uint32_t *sizes);

/* The CPUs this process may run on (at least 1). */
unsigned xkd_usable_cpus(void);
