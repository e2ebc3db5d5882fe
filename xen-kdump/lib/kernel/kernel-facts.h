/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What `estimate` needs to know about a capture kernel's bzImage: how much
 * room it wants to boot (init_size), how much it keeps once running (the
 * memory span of the decompressed vmlinux — for Debian's kernel about a third
 * of init_size), and whether it is the minimal kernel from crashkernel/.
 * The loader's own parser (bzimage.h) validates; this only measures.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CONFIG_LOCALVERSION of crashkernel/crashkernel.config. */
#define XKD_MINIMAL_KERNEL_TAG "-xkd"

struct xkd_kernel_facts {
        uint16_t protocol;
        uint64_t init_size;
        uint64_t kernel_alignment;
        uint64_t setup_size;            /* (setup_sects + 1) * 512 */
        uint64_t payload;               /* file size - setup_size */
        uint64_t payload_offset;        /* compressed vmlinux, from the protected-mode start */
        uint64_t payload_length;
        uint64_t static_size;           /* vmlinux memory span; 0 when unknown */
        uint64_t resident_size;         /* sum of its PT_LOADs: what stays once the gaps are freed */
        char version[128];              /* "6.1.0-xkd (root@host) #1 ..." */
        bool minimal;
};

/* Setup header fields only (no decompression).  -EINVAL for anything but a
 * bzImage with boot protocol >= 2.10 (init_size). */
int xkd_kernel_facts_parse_header(const void *data, size_t size, struct xkd_kernel_facts *ret);

/* Over the PT_LOADs of an ELF64 image whose first size bytes are given:
 * span = max(p_paddr + p_memsz) - min(p_paddr) (what the kernel reserves while
 * booting), sum = the sum of p_memsz (what it keeps after freeing the gaps
 * between its sections). */
int xkd_elf_load_span(const void *data, size_t size, uint64_t *span, uint64_t *sum);

/* Read a bzImage file: header facts, then static_size by decompressing the
 * start of the payload.  Logs; a payload it cannot decompress leaves
 * static_size 0 rather than failing. */
int xkd_kernel_facts_read(const char *path, struct xkd_kernel_facts *ret);
/* The same for a bzImage already in memory (path names it), without logging
 * a refusal; -EOPNOTSUPP when its payload's compression needs a tool. */
int xkd_kernel_facts_from_data(const void *data, size_t size, const char *path, struct xkd_kernel_facts *ret);
/* The same, also giving the fstat() of the file it read. */
struct stat;
int xkd_kernel_facts_read_stat(const char *path, struct xkd_kernel_facts *ret, struct stat *st);
