/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The vmcore fuzzers' input encoding: the vmcore's bytes, except that
 * 0xFE 0xED N stands for N * 64 zero bytes (N = 0: the two bytes 0xFE 0xED
 * themselves).  A synthetic vmcore is mostly zero pages (page tables, the
 * frame table, struct pages): encoded, a 200 KiB seed is a few KiB, and
 * libFuzzer's per-input costs (copies, hashing, mutation) follow the encoded
 * size.  Every vmcore has an encoding, so nothing is out of reach; one
 * without 0xFE 0xED is its own encoding.  The decoded bytes go into one
 * memfd reused for the whole run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define VMCORE_INPUT_ESC0 0xfe
#define VMCORE_INPUT_ESC1 0xed
#define VMCORE_INPUT_RUN 64u
#define VMCORE_INPUT_MAX (8u << 20)     /* decoded; larger inputs are cut there */

/* Decodes data into a memfd; returns its fd (kept open) and its /proc path, or -1.
 * Not instrumented: its branches are the encoding's, not the code under test. */
#if defined(__clang__)
__attribute__((no_sanitize("coverage"), noinline))      /* inlined, it was instrumented: a fifth of the time */
#endif
static inline int vmcore_input_fd(const uint8_t *data, size_t size, char *path, size_t path_size) {
        static int fd = -1;
        static uint8_t *lit;
        size_t n = 0, lit_n = 0, lit_at = 0;

        if (!lit && !(lit = malloc(VMCORE_INPUT_MAX)))
                return -1;
        if (fd < 0 && (fd = memfd_create("vmcore", MFD_CLOEXEC)) < 0)
                return -1;
        /* Zero runs become holes: memset and shmem pages for up to 8 MiB of
         * zeros per input were half of an execution's time. */
        if (ftruncate(fd, 0) < 0)
                return -1;
#define VMCORE_INPUT_FLUSH() do { \
                if (lit_n && pwrite(fd, lit, lit_n, (off_t) lit_at) != (ssize_t) lit_n) \
                        return -1; \
                lit_n = 0; \
        } while (0)
#define VMCORE_INPUT_PUT(b) do { \
                if (!lit_n) \
                        lit_at = n; \
                lit[lit_n++] = (b); \
                n++; \
        } while (0)
        for (size_t i = 0; i < size && n < VMCORE_INPUT_MAX;) {
                if (i + 2 < size && data[i] == VMCORE_INPUT_ESC0 && data[i + 1] == VMCORE_INPUT_ESC1) {
                        size_t run = data[i + 2] ? (size_t) data[i + 2] * VMCORE_INPUT_RUN : 0;
                        if (!run) {
                                VMCORE_INPUT_PUT(VMCORE_INPUT_ESC0);
                                if (n < VMCORE_INPUT_MAX)
                                        VMCORE_INPUT_PUT(VMCORE_INPUT_ESC1);
                        } else {
                                if (run > VMCORE_INPUT_MAX - n)
                                        run = VMCORE_INPUT_MAX - n;
                                VMCORE_INPUT_FLUSH();
                                n += run;
                        }
                        i += 3;
                } else
                        VMCORE_INPUT_PUT(data[i++]);
        }
        VMCORE_INPUT_FLUSH();
#undef VMCORE_INPUT_FLUSH
#undef VMCORE_INPUT_PUT
        if (ftruncate(fd, (off_t) n) < 0)
                return -1;
        snprintf(path, path_size, "/proc/self/fd/%d", fd);
        return fd;
}

/* The encoding of n bytes at p into out (at most 2n + 3 bytes); returns its size. */
static inline size_t vmcore_input_encode(const uint8_t *p, size_t n, uint8_t *out) {
        size_t o = 0;

        for (size_t i = 0; i < n;) {
                size_t z = 0;
                while (i + z < n && p[i + z] == 0 && z < 255 * VMCORE_INPUT_RUN)
                        z++;
                if (z >= VMCORE_INPUT_RUN) {
                        z -= z % VMCORE_INPUT_RUN;
                        out[o++] = VMCORE_INPUT_ESC0;
                        out[o++] = VMCORE_INPUT_ESC1;
                        out[o++] = (uint8_t) (z / VMCORE_INPUT_RUN);
                        i += z;
                } else if (i + 1 < n && p[i] == VMCORE_INPUT_ESC0 && p[i + 1] == VMCORE_INPUT_ESC1) {
                        out[o++] = VMCORE_INPUT_ESC0;
                        out[o++] = VMCORE_INPUT_ESC1;
                        out[o++] = 0;
                        i += 2;
                } else
                        out[o++] = p[i++];
        }
        return o;
}
