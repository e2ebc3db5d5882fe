/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The dump writer's small synthetic vmcore: a real ELF64 core file with one
 * PT_NOTE and PT_LOADs whose page contents come from a callback.  Used by
 * the filter / writer / save tests.
 */

#include <stddef.h>
#include <stdint.h>

#define WGEN_MAX_RANGES 8

struct wgen_range {
        uint64_t start_mfn;
        uint64_t pages;
        uint64_t short_bytes;           /* the PT_LOAD ends this much before the last page's end */
};

struct wgen {
        struct wgen_range ranges[WGEN_MAX_RANGES];
        unsigned nr_ranges;
        void (*fill)(uint64_t mfn, uint8_t *page, void *userdata);
        void *userdata;
        uint8_t *notes;
        size_t notes_size;
};

/* Appends one ELF note (4-byte aligned name and descriptor). */
int wgen_add_note(struct wgen *g, const char *name, uint32_t type, const void *desc, size_t desc_size);
/* Two CPUs' NT_PRSTATUS (336 bytes, rip set), a CRASH_INFO and a VMCOREINFO_XEN. */
int wgen_add_xen_notes(struct wgen *g, unsigned xen_major, unsigned xen_minor);
int wgen_write(const struct wgen *g, const char *path);
void wgen_done(struct wgen *g);

/* A deterministic, not very compressible pattern unique to mfn. */
void wgen_pattern(uint64_t mfn, uint8_t *page);
