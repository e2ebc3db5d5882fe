/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Running the dracut module's helper scripts (xen-kdump-netplan.sh,
 * xen-kdump-drivers.sh) from the loader: they read the host the way the
 * image build does, so the loader asks them instead of reading it twice.
 */

#include <stddef.h>

/* The script NAME of the dracut module dracut itself will use: module_dir,
 * else $dracutbasedir/modules.d/99xen-kdump (the tests), else the installed
 * one.  0, or -ENOENT when it is not there (an older install). */
int xkd_module_script(const char *module_dir, const char *name, char *buf, size_t size);

/* Runs script with arg (or none) and "NAME=VALUE" strings in env
 * (NULL-terminated, or NULL) added to its environment; *ret is its stdout,
 * malloc'd and NUL-terminated.  Its stderr (warnings) goes to ours.  -EPROTO
 * when it fails or writes max bytes or more. */
int xkd_module_script_run(const char *script, const char *arg, char *const env[], size_t max, char **ret);
