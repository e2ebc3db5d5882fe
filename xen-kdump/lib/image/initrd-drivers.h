/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Whether the minimal kernel can reach this host's dump target: the drivers
 * the dracut module's xen-kdump-drivers.sh finds on the way (disk controller,
 * dm/md, filesystem, NICs, bridge/bond/VLAN/IPv6) against the minimal
 * kernel's built-in drivers (capture-kernel.h).  When one is missing the
 * verdict file makes the automatic choice the distribution kernel, loudly;
 * a host never finds out at crash time that its capture kernel cannot see
 * the disk.
 */

#include <stdbool.h>

#include "config.h"

#define XKD_DRIVERS_SCRIPT "xen-kdump-drivers.sh"

/* Checks when c picks the minimal kernel automatically (or did until the
 * last check found it unfit), and records the verdict; *changed tells the
 * caller to open the config again.  Warns and returns 0 when it cannot
 * check (no module list, no script); < 0 only on memory or state-file errors. */
int xkd_minimal_fit_update(const xkd_config *c, const char *module_dir, bool *changed);

/* The same for a verb: when the verdict changed, *c is opened again with
 * the same arguments (freed on error). */
int xkd_minimal_fit_refresh(xkd_config **c, const char *kver, const struct xkd_config_override *ov, size_t n_ov);

/* 1 when the small image (our /init on dash, modprobe, no systemd or udev)
 * can reach the dump target with a kernel that has modules: a local path on
 * plain disks.  LVM and md need udev and their tools (the systemd image), a
 * network target systemd-networkd; 0 then, or when the target's drivers
 * cannot be told (said).  < 0 only on memory errors. */
int xkd_initrd_small_image_fits(const xkd_config *c, const char *module_dir);
