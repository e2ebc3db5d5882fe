/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The automatic choice of capture kernel (capture-kernel.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture-kernel.h"
#include "initrd.h"
#include "kernel-facts.h"
#include "state.h"

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

char *xkd_minimal_unfit_path(void) {
        char *p = NULL;
        return asprintf(&p, "%s/%s", xkd_state_dir(), XKD_MINIMAL_UNFIT_NAME) < 0 ? NULL : p;
}

int xkd_minimal_kernel_unfit(char *why, size_t size) {
        char *path = xkd_minimal_unfit_path();
        FILE *f = path ? fopen(path, "re") : NULL;
        size_t n = 0;

        free(path);
        if (!f)
                return 0;
        if (size > 1)
                n = fread(why, 1, size - 1, f);
        fclose(f);
        if (size)
                why[n] = '\0';
        /* One line, printable: it is shown by 'show' and in the journal. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) why[i] < 0x20 || why[i] == 0x7f)
                        why[i] = why[i] == '\n' && i + 1 == n ? '\0' : ' ';
        return n > 0;
}
