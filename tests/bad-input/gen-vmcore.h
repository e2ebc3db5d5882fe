/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The bad-input generator's vmcore helpers (gen.c), shared with gen-xen.c. */

#include <stdarg.h>
#include <stdint.h>

#include "vmcore-gen.h"

struct bytes {
        uint8_t *p;
        size_t n;
};

/* A sparse 2-CPU host from the unit tests' generator (base: with dom0, the
 * loader's note, a domU and console text). */
struct vmgen *base_cfg(struct vmgen_config c);
struct vmgen *base(void);
/* Replaces KEY's line in one info note (value NULL: removes it; absent: appends). */
void info_set(struct vmgen *g, enum xkd_info_source src, const char *key, const char *value);
void info_setf(struct vmgen *g, enum xkd_info_source src, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Replaces one info note's whole text (raw bytes, NULs allowed). */
void info_raw(struct vmgen *g, enum xkd_info_source src, const void *text, size_t n);
/* The vmcore's bytes (g is freed). */
struct bytes render(struct vmgen *g);
void vm_emit(const char *name, struct bytes b);
void vm_plain(const char *name, struct vmgen *g);
/* The file offset of the first note NAME/TYPE's header, and its descriptor. */
size_t note_at(struct bytes *b, const char *name, uint32_t type);
void *note_desc(struct bytes *b, size_t at);
/* 64-bit words at w + 8i (note descriptors are only 4-byte aligned). */
void set64(uint8_t *w, int i, uint64_t v);
uint64_t get64(const uint8_t *w, int i);
/* A symbol's value from VMCOREINFO_XEN, and a word written at a Xen image address. */
uint64_t sym(struct vmgen *g, const char *key);
void put_image64(struct vmgen *g, uint64_t vaddr, uint64_t v);

void gen_vmcores_xen(void);
