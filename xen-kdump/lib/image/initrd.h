/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The capture initramfs: built by dracut with the 99xen-kdump module into the
 * configured `initrd` path (0600: it may hold an ssh key), with a sidecar
 * "<initrd>.config" recording the validated config it was built from.  Stale
 * when that config differs (dracut_args and extra_modules included), or the
 * capture kernel, ssh identity, hooks (pre.d/ and post.d/ too) or dracut
 * module are newer; an image without the sidecar is not ours and is
 * never rebuilt behind the administrator's back.
 */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define XKD_DRACUT_MODULE_DIR "/usr/lib/dracut/modules.d/99xen-kdump"
/* pre.d/ and post.d/: executables the capture runs before and after saving. */
#define XKD_HOOKS_DIR "/etc/xen-kdump"

/* XKD_HOOKS_DIR, or $XKD_HOOKS_DIR (the tests' seam, which module-setup.sh reads too). */
const char *xkd_initrd_hooks_dir(void);

struct xkd_initrd_options {
        const char *kver;               /* NULL: the kernel image's own release */
        const char *kmoddir;            /* dracut --kmoddir; NULL: /lib/modules/KVER */
        const char *dracut;             /* NULL: $XKD_DRACUT or "dracut" */
        const char *output;             /* NULL: the config's initrd */
        char *const *extra_args;        /* passed to dracut last */
        size_t n_extra_args;
        int no_hostonly;                /* every driver, not just this host's */
        const char *module_dir;         /* NULL: XKD_DRACUT_MODULE_DIR (its network plan script) */
};

/* The release string a bzImage carries in its setup header (e.g. "6.1.0-18-amd64"). */
int xkd_kernel_image_release(const char *path, char *buf, size_t size);

/* 1 and why when the initrd must be rebuilt, 0 (and why, maybe) when not, < 0 on error. */
int xkd_initrd_stale(const xkd_config *c, const char *module_dir, char *why, size_t size);

/* Run dracut and put the image in place atomically.  Logs. */
int xkd_initrd_build(const xkd_config *c, const struct xkd_initrd_options *o);

/* The validated config as sh assignments for the dracut module and its
 * scripts, in a new 0600 file under $TMPDIR (path); the caller unlinks it. */
enum {
        XKD_IMAGE_NO_MODULES = 1 << 0,  /* the kernel has every driver built in */
        XKD_IMAGE_SMALL = 1 << 1,       /* our /init on dash, no systemd or udev */
};
int xkd_initrd_env_file(const xkd_config *c, unsigned image_flags, char *path, size_t size);
