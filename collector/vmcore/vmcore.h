/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Read-only access to a Xen whole-machine vmcore: the ELF file the capture
 * kernel exposes as /proc/vmcore, or a saved copy.  This is the only code that
 * parses the vmcore's ELF (libelf); everything else in the collector asks here.
 *
 * Addresses are MACHINE addresses and frame numbers are machine frame numbers
 * (MFNs), since a Xen dump covers the whole host.
 *
 * Contract between the reader (vmcore.c, xen.c, report*.c) and the dump writer
 * (filter*.c, kdump*.c, save*.c): the writer uses only what is declared here
 * and in xen.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XKD_PAGE_SIZE 4096u

struct xkd_vmcore;

struct xkd_ram_range {
        uint64_t start;         /* machine address, page aligned */
        uint64_t size;          /* bytes present in the file */
        uint64_t file_offset;
};

/* Opens and validates the ELF headers; truncation is detected here and noted
 * (xkd_vmcore_truncated), not fatal: a partial vmcore still yields a report. */
int xkd_vmcore_open(const char *path, struct xkd_vmcore **ret);
struct xkd_vmcore *xkd_vmcore_free(struct xkd_vmcore *vm);

size_t xkd_vmcore_nr_ranges(const struct xkd_vmcore *vm);
const struct xkd_ram_range *xkd_vmcore_range(const struct xkd_vmcore *vm, size_t i);
/* One past the highest MFN any range covers. */
uint64_t xkd_vmcore_max_pfn(const struct xkd_vmcore *vm);
bool xkd_vmcore_is_ram(const struct xkd_vmcore *vm, uint64_t mfn);
/* True when the file is shorter than its program headers promise. */
bool xkd_vmcore_truncated(const struct xkd_vmcore *vm);
/* PT_LOADs left out because their physical range wraps past 2^64 or lies
 * above x86_64's 52-bit limit (a damaged header): how many, their bytes and
 * the first one's address.  A dump without them is never complete. */
size_t xkd_vmcore_dropped_ranges(const struct xkd_vmcore *vm, uint64_t *bytes, uint64_t *first_paddr);

/* -EFAULT: not inside any PT_LOAD; -EIO: short read (truncated file).
 * xkd_vmcore_is_ram() is true for a page any PT_LOAD covers part of, and
 * xkd_vmcore_read_page() then reads the uncovered bytes as zeros (the
 * first RAM range of a PC ends at 0x9fc00). */
int xkd_vmcore_read(struct xkd_vmcore *vm, uint64_t maddr, void *buf, size_t len);
int xkd_vmcore_read_page(struct xkd_vmcore *vm, uint64_t mfn, void *buf);

/* Memory reads so far and their bytes.  Each is a copy out of a mapped
 * window of /proc/vmcore or a pread, and in the emulated capture kernel a
 * dear one (a scattered read can cost a remap of the window): tests hold
 * the count down. */
void xkd_vmcore_read_stats(const struct xkd_vmcore *vm, uint64_t *reads, uint64_t *bytes);
/* Windows of the file mapped so far (each an mmap of 4 MiB of old memory). */
uint64_t xkd_vmcore_maps(const struct xkd_vmcore *vm);

/* The merged PT_NOTE bytes exactly as in the file (copied into dumps). */
const void *xkd_vmcore_notes(const struct xkd_vmcore *vm, size_t *size);

/* Iterate the ELF notes: returns 1 and fills *note while there is one, 0 at
 * the end, negative errno on a malformed note. Start with *cursor = 0. */
struct xkd_note {
        const char *name;       /* NUL-terminated, inside the notes buffer */
        uint32_t type;
        const void *desc;
        size_t desc_size;
        size_t offset;          /* of the note header within the notes bytes */
};
int xkd_vmcore_next_note(const struct xkd_vmcore *vm, size_t *cursor, struct xkd_note *note);
