/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one seam between xen-kdump and the hypervisor.  Nothing outside
 * hv-*.c talks to Xen.  Two implementations:
 *   hv-xen.c  the real thing, over libxenctrl (KEXEC_CMD_kexec_load, never v1);
 *   hv-sim.c  a simulated Xen for tests: it enforces every load rule Xen has,
 *             copies segments into a simulated machine memory tests can read,
 *             and reproduces the status-op bug.
 * xkd_hv_new() picks one: XKD_HV=sim:<config file> selects the simulator
 * (for CLI tests), anything else the real hypervisor.
 */

#include <stddef.h>
#include <stdint.h>

/* Same numbers as <xen/kexec.h>; pinned there by hv-xen.c. */
#define XKD_KEXEC_TYPE_DEFAULT   0
#define XKD_KEXEC_TYPE_CRASH     1
#define XKD_RANGE_MA_CRASH       0
#define XKD_RANGE_MA_XEN         1
#define XKD_RANGE_MA_CPU         2
#define XKD_RANGE_MA_VMCOREINFO  6

#define XKD_E820_RAM        1
#define XKD_E820_RESERVED   2
#define XKD_E820_ACPI       3
#define XKD_E820_NVS        4
#define XKD_E820_UNUSABLE   5

#define XKD_MAX_SEGMENTS    15          /* Xen refuses nr_segments >= 16 */
#define XKD_MAX_E820        128

#define XKD_PAGE_SIZE       4096ULL

struct xkd_range {
        uint64_t start;
        uint64_t size;
};

struct xkd_e820 {
        uint64_t addr;
        uint64_t size;
        uint32_t type;
};

/* One kexec segment as Xen sees it: buf_size bytes copied to dest_maddr,
 * the rest of dest_size zeroed.  buf may be NULL (buffer-less segment). */
struct xkd_segment {
        const void *buf;
        uint64_t buf_size;
        uint64_t dest_maddr;
        uint64_t dest_size;
};

typedef struct xkd_hv xkd_hv;

struct xkd_hv_ops {
        const char *name;
        int (*get_range)(xkd_hv *hv, int range, int nr, struct xkd_range *ret);
        int (*memory_map)(xkd_hv *hv, struct xkd_e820 *entries, unsigned max, unsigned *ret_n);
        int (*nr_cpus)(xkd_hv *hv, unsigned *ret);
        int (*xen_cmdline)(xkd_hv *hv, char *buf, size_t size);
        int (*xen_version)(xkd_hv *hv, unsigned *major, unsigned *minor);
        int (*load)(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                    const struct xkd_segment *segments, unsigned nr_segments);
        int (*unload)(xkd_hv *hv, uint8_t type);
        int (*status)(xkd_hv *hv, uint8_t type);
        void (*free)(xkd_hv *hv);
};

/* Every implementation embeds this first. */
struct xkd_hv {
        const struct xkd_hv_ops *ops;
};

/* Constructors return 0 or a negative errno (and have logged why). */
int xkd_hv_new(xkd_hv **ret);                  /* XKD_HV env var decides */
int xkd_hv_new_xen(xkd_hv **ret);
int xkd_hv_new_sim(const char *config_path, xkd_hv **ret);
int xkd_hv_new_sim_from_string(const char *config, xkd_hv **ret);
xkd_hv *xkd_hv_free(xkd_hv *hv);

const char *xkd_hv_name(xkd_hv *hv);
int xkd_hv_get_crash_range(xkd_hv *hv, struct xkd_range *ret);
int xkd_hv_get_cpu_note(xkd_hv *hv, unsigned cpu, struct xkd_range *ret);
int xkd_hv_get_vmcoreinfo(xkd_hv *hv, struct xkd_range *ret);
int xkd_hv_memory_map(xkd_hv *hv, struct xkd_e820 *entries, unsigned max, unsigned *ret_n);
int xkd_hv_nr_cpus(xkd_hv *hv, unsigned *ret);
int xkd_hv_xen_cmdline(xkd_hv *hv, char *buf, size_t size);
int xkd_hv_xen_version(xkd_hv *hv, unsigned *major, unsigned *minor);
int xkd_hv_load(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                const struct xkd_segment *segments, unsigned nr_segments);
int xkd_hv_unload(xkd_hv *hv, uint8_t type);
/* Xen's own answer: 1 loaded, 0 not, <0 error.  Known to lie; see status.h. */
int xkd_hv_status(xkd_hv *hv, uint8_t type);

/* Is this dom0 with privcmd?  Checked before opening the real hypervisor so
 * the error names the fix.  Paths are taken below sysroot ("" for /). */
int xkd_hv_check_dom0(const char *sysroot);

/* --- simulator only ---------------------------------------------------- */
int xkd_hv_is_sim(xkd_hv *hv);
/* Copy simulated machine memory [maddr, maddr+len) into buf; unwritten memory reads as 0. */
int xkd_hv_sim_read(xkd_hv *hv, uint64_t maddr, void *buf, size_t len);
/* Write simulated machine memory (e.g. Xen's crash notes, dom0's VMCOREINFO). */
int xkd_hv_sim_write(xkd_hv *hv, uint64_t maddr, const void *buf, size_t len);
/* How many load/unload hypercalls reached the simulated hypervisor. */
unsigned xkd_hv_sim_hypercalls(xkd_hv *hv);
/* Is an image really loaded (the truth the status op fails to tell)? */
int xkd_hv_sim_loaded(xkd_hv *hv, uint8_t type);
/* Apply one more configuration line (e.g. "fail swap 16") to a running simulator. */
int xkd_hv_sim_configure(xkd_hv *hv, const char *line);
/* Is the loaded image's memory overwritten (by a load that failed after Xen
 * began writing: see hv-sim-load.c)?  A crash would then run a broken image. */
int xkd_hv_sim_clobbered(xkd_hv *hv);
/* The pages Xen carved out of free holes at the last successful load. */
unsigned xkd_hv_sim_carved_pages(xkd_hv *hv);

/* Pages Xen takes from free holes of the crash region at load time: control
 * page, indirection page and the page tables that identity-map the segments.
 * The layout leaves at least twice this as slack. */
uint64_t xkd_xen_carve_pages(const struct xkd_segment *segments, unsigned nr_segments);
