/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen-kdump unload: disarm the crash image. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hv.h"
#include "log.h"
#include "state.h"
#include "verbs.h"

int verb_unload(int argc, char **argv) {
        struct xkd_state st;
        xkd_hv *hv = NULL;
        int r, had;

        if (argc > 1) {
                if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                        printf("Usage: xen-kdump unload\n\nUnload the crash-capture image from Xen.\n");
                        return 0;
                }
                log_error("Unexpected argument '%s' to unload; see 'xen-kdump unload --help'.", argv[1]);
                return 2;
        }

        r = xkd_hv_new(&hv);
        if (r < 0)
                return r;
        had = xkd_state_read(&st) == 0 && st.loaded;
        r = xkd_hv_unload(hv, XKD_KEXEC_TYPE_CRASH);
        if (r < 0) {
                log_error_errno(r, "Xen refused to unload the crash image: %m; check 'xl dmesg'.");
                goto out;
        }

        memset(&st, 0, sizeof(st));
        st.loaded = 0;
        st.time = time(NULL);
        st.xen_status_after = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        xkd_boot_id(st.boot_id, sizeof(st.boot_id));
        if (xkd_state_write(&st) < 0)
                log_warning("The crash image is unloaded, but the state file was not updated.");
        printf("%s\n", had ? "Unloaded the crash image." : "Unloaded (no crash image was recorded as loaded).");
        r = 0;
out:
        xkd_hv_free(hv);
        return r;
}
