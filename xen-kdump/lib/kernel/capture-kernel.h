/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which capture kernel the config's default picks: the minimal kernel from
 * crashkernel/ when it is installed (`make install` puts it at
 * XKD_MINIMAL_KERNEL_PATH), because it captures in a third of the region a
 * distribution kernel needs; else the running kernel's /boot/vmlinuz-%r.
 * A minimal kernel has every driver built in, so its initramfs is built
 * without kernel modules (initrd.h) and kept apart from the distribution one.
 */

#include <stdbool.h>

#define XKD_MINIMAL_KERNEL_PATH  "/usr/lib/xen-kdump/vmlinuz-minimal"
/* Tests (and unusual layouts) point this at another file. */
#define XKD_MINIMAL_KERNEL_ENV   "XKD_MINIMAL_KERNEL"
#define XKD_DISTRO_KERNEL_FMT    "/boot/vmlinuz-%r"
#define XKD_DISTRO_INITRD_FMT    "/var/lib/xen-kdump/initrd-%r.img"
#define XKD_MINIMAL_INITRD_PATH  "/var/lib/xen-kdump/initrd-minimal.img"

/* Where the installed minimal kernel is looked for. */
const char *xkd_minimal_kernel_path(void);

/* Whether the bzImage at path is a minimal kernel (its release ends in
 * XKD_MINIMAL_KERNEL_TAG).  A file that cannot be read is not. */
bool xkd_kernel_is_minimal(const char *path);

/*
 * A host whose dump target needs a driver the minimal kernel lacks (a RAID
 * controller, a NIC, a filesystem) captures with the distribution kernel:
 * 'xen-kdump rebuild' and 'load' compare what the dracut module's
 * xen-kdump-drivers.sh finds with the minimal kernel's built-in drivers
 * (XKD_MINIMAL_MODULES_SUFFIX beside it) and keep the verdict in
 * $XKD_STATE_DIR/minimal-kernel-unfit, which the automatic choice obeys.
 */
#define XKD_MINIMAL_MODULES_SUFFIX ".modules"
#define XKD_MINIMAL_UNFIT_NAME     "minimal-kernel-unfit"

/* "$XKD_STATE_DIR/minimal-kernel-unfit", malloc'd. */
char *xkd_minimal_unfit_path(void);

/* 1 with what it lacks in why (one line) when the last check found the
 * minimal kernel unfit for this host, else 0. */
int xkd_minimal_kernel_unfit(char *why, size_t size);
