/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The two files `load` hands to Xen, read once, with what the crash-region
 * check and the state file need to know about them: their SHA-256 and their
 * measurements (kernel-facts.h, initrd-size.h), taken from the load cache
 * (load-cache.h) when the same bytes were seen before.
 *
 * The initramfs is hashed here as the FIRST region of the entry stub's
 * digest: the context after exactly its bytes gives both the initramfs's own
 * SHA-256 (finalise a copy) and the start of the stub's digest (continue it),
 * so the biggest file is hashed once.  The stub digest itself is always
 * computed from the bytes handed to Xen, never cached.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "initrd-size.h"
#include "kernel-facts.h"
#include "sha256.h"

#define XKD_MAX_KERNEL_SIZE (256u << 20)
#define XKD_MAX_INITRD_SIZE (2048u << 20)

struct xkd_load_inputs {
        void *kernel;                   /* the bzImage file */
        size_t kernel_size;
        void *initrd;                   /* NULL without an initramfs */
        size_t initrd_size;
        uint8_t kernel_sha256[XKD_SHA256_DIGEST_SIZE];
        uint8_t initrd_sha256[XKD_SHA256_DIGEST_SIZE];  /* zero without an initramfs */
        struct xkd_sha256_ctx after_initrd;     /* fed exactly the initramfs bytes */
        bool measured;                  /* kernel_facts and initrd_facts hold */
        struct xkd_kernel_facts kernel_facts;
        struct xkd_initrd_size initrd_facts;
        unsigned cache_hits;            /* of the two files' entries */
};

/* Read and hash both files (initrd_path NULL: none).  Logs one line and fails
 * when a file cannot be read; a file that cannot be measured only leaves
 * measured false (the image builder then says what is wrong with it). */
int xkd_load_inputs_read(const char *kernel_path, const char *initrd_path, struct xkd_load_inputs *ret);
/* The same, checking first that the crash region can hold the kernel and an
 * initramfs of this file size (image.h: xkd_image_check_region()): the
 * initramfs is read only after that, so a huge one costs no memory. */
struct xkd_range;
int xkd_load_inputs_read_for(const char *kernel_path, const char *initrd_path, const struct xkd_range *crash,
                             struct xkd_load_inputs *ret);
void xkd_load_inputs_done(struct xkd_load_inputs *in);
