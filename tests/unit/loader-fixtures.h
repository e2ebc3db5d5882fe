/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Test support for the loader: synthetic bzImages and a standard simulated host. */

#include <stddef.h>
#include <stdint.h>

#include "hv.h"

struct fake_kernel {
        uint16_t version;               /* boot protocol, default 0x020f */
        uint8_t relocatable;            /* default 1 */
        uint16_t xloadflags;            /* default XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
        uint32_t kernel_alignment;      /* default 2 MiB */
        uint32_t init_size;             /* default 4 * payload */
        size_t payload;                 /* protected-mode bytes, default 64 KiB */
        uint8_t loadflags;              /* default LOADED_HIGH */
        const void *vmlinux;            /* a payload (ELF, maybe compressed) at +0x100, named by 0x248/0x24c */
        size_t vmlinux_size;            /* 0: no payload fields, as in a pre-2.08 header */
};

/* malloc'd bzImage; fields left 0 take the defaults above. */
uint8_t *fake_bzimage(const struct fake_kernel *k, size_t *ret_size);

/* A vmlinux-like ELF: four PT_LOADs from 0x1000000 (text, a 2 MiB gap, data
 * with .bss past its file bytes, a zero-based percpu section, init + .bss
 * stored as zeros), entry 0x1000040.  malloc'd. */
#define FAKE_VMLINUX_BASE  0x1000000ULL
#define FAKE_VMLINUX_ENTRY 0x1000040ULL
#define FAKE_VMLINUX_MEM   0x209000ULL    /* 0x1209000 - base */
#define FAKE_VMLINUX_DATA  0x205000ULL    /* bytes up to the last nonzero one */
uint8_t *fake_vmlinux_elf(size_t *ret_size);
/* gzip of buf (malloc'd); the kernel's own payload format. */
uint8_t *gzip_bytes(const void *buf, size_t size, size_t *ret_size);

/* Simulator configuration of a 2 GiB, 2-CPU QEMU-like host, crash region 256 MiB at 0x69d8d000. */
#define FAKE_CRASH_START  0x69d8d000ULL
#define FAKE_CRASH_SIZE   0x10000000ULL
#define FAKE_CPU_NOTES    0x7fe00000ULL
#define FAKE_VMCOREINFO   0x7fd00000ULL
#define FAKE_DOM0_VMCI    0x654a8000ULL
extern const char fake_host_config[];

/* A temporary sysroot with /sys/kernel/vmcoreinfo, /proc/xen/xensyms,
 * /dev/kmsg (with an RSDP line) and a boot_id; returns its path (static). */
/* The files of a dom0 that the loader reads (xensyms, vmcoreinfo, kmsg, ...) under root. */
void fake_sysroot_write(const char *root);
const char *fake_sysroot(void);

/* One newc cpio entry at out + off (data NULL: len bytes of 'x'); returns the offset after it. */
int write_fake_kernel(const char *path);
int write_fake_initrd(const char *path);
size_t fake_cpio_entry(uint8_t *out, size_t off, const char *name, uint32_t mode, const void *data, size_t len);

/* Write text to path (creating parent directories). */
int write_text(const char *path, const char *text);

/* The environment the CLI tests run xen-kdump in: a fresh directory
 * /tmp/PREFIX-XXXXXX (into dir) holding a simulated Xen's config (XKD_HV) and
 * the state directory (XKD_STATE_DIR), the fake dom0 (XKD_SYSROOT), and a
 * config (XEN_KDUMP_CONF) saving to dumps_dir. */
void sim_host_env(const char *prefix, const char *dumps_dir, char *dir, size_t dir_size);

/* Capture what is written to stderr between begin and end (one test at a time). */
void stderr_capture_begin(void);
/* Returns the captured text (static buffer). */
const char *stderr_capture_end(void);
