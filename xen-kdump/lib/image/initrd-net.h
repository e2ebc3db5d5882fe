/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The network a network target's capture image brings up, as the dracut
 * module's xen-kdump-netplan.sh reads it from the running dom0 (ip -j): its
 * plan text is kept beside the image as "<initrd>.network", and a plan that
 * differs later (an address, a route, a bond, a bridge port changed) makes
 * the image stale, as a changed config does.
 */

#include "config.h"

#define XKD_NETPLAN_SCRIPT "xen-kdump-netplan.sh"

/* The plan now: 0 with *ret malloc'd, or 0 with *ret NULL when there is none
 * (a local target, or no plan script in module_dir); < 0 when the script failed. */
int xkd_initrd_net_plan(const xkd_config *c, const char *module_dir, char **ret);

/* The plan now, in a new 0600 file under $TMPDIR (path, for dracut and the
 * module's scripts; the caller unlinks it); path "" when there is none.
 * Logs its errors. */
int xkd_initrd_net_plan_file(const xkd_config *c, const char *module_dir, char *path, size_t size);

/* "<initrd>.network", malloc'd. */
char *xkd_initrd_net_sidecar(const char *initrd);

/* 1 and why when the network changed since initrd was built, 0 when not (or
 * when dom0 has no route to the target now: an image built while it had one
 * is kept), < 0 on error. */
int xkd_initrd_net_stale(const xkd_config *c, const char *module_dir, const char *initrd,
                         char *why, size_t size);
