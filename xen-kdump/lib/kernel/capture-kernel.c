/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The automatic choice of capture kernel (capture-kernel.h).
 */
#include <stdlib.h>
#include <string.h>

#include "capture-kernel.h"
#include "initrd.h"
#include "kernel-facts.h"

const char *xkd_minimal_kernel_path(void) {
        const char *p = getenv(XKD_MINIMAL_KERNEL_ENV);

        return p && p[0] == '/' ? p : XKD_MINIMAL_KERNEL_PATH;
}

bool xkd_kernel_is_minimal(const char *path) {
        char release[128];
        size_t n, tag = sizeof(XKD_MINIMAL_KERNEL_TAG) - 1;

        if (!path || !path[0] || xkd_kernel_image_release(path, release, sizeof(release)) < 0)
                return false;
        n = strlen(release);
        return n >= tag && memcmp(release + n - tag, XKD_MINIMAL_KERNEL_TAG, tag) == 0;
}
