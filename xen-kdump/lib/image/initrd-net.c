/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network plan of a network target (initrd-net.h).  The translation from
 * ip -j to systemd-networkd lives in the dracut module's script, which the
 * image build runs anyway; here it only runs, and its output is compared.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "initrd-net.h"
#include "initrd.h"
#include "log.h"
#include "module-script.h"

#define PLAN_MAX 65535         /* what initrd.c reads back */

char *xkd_initrd_net_sidecar(const char *initrd) {
        char *p = NULL;
        return asprintf(&p, "%s.network", initrd) < 0 ? NULL : p;
}

int xkd_initrd_net_plan(const xkd_config *c, const char *module_dir, char **ret) {
        const struct xkd_target *t = xkd_config_target(c);
        char script[4096];
        int r;

        *ret = NULL;
        if (t->kind != XKD_TARGET_SSH && t->kind != XKD_TARGET_NFS)
                return 0;
        r = xkd_module_script(module_dir, XKD_NETPLAN_SCRIPT, script, sizeof(script));
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = xkd_module_script_run(script, t->host, NULL, PLAN_MAX, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to work out the capture image's network to %s "
                                       "(%s; its messages are above).", t->host, script);
        return 0;
}

int xkd_initrd_net_plan_file(const xkd_config *c, const char *module_dir, char *path, size_t size) {
        const char *tmp = getenv("TMPDIR");
        char *plan = NULL;
        int fd, r;

        path[0] = '\0';
        r = xkd_initrd_net_plan(c, module_dir, &plan);
        if (r < 0 || !plan)
                return r;       /* logged */
        snprintf(path, size, "%s/xen-kdump-net.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        fd = mkstemp(path);     /* 0600 */
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        size_t len = strlen(plan);
        if (write(fd, plan, len) != (ssize_t) len)
                r = -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0)
                unlink(path);
out:
        if (r < 0) {
                path[0] = '\0';
                log_error_errno(r, "Failed to write dom0's network plan for dracut: %m");
        }
        free(plan);
        return r;
}

static bool is_fallback(const char *plan) {
        return strstr(plan, "\nfallback ") != NULL;
}

int xkd_initrd_net_stale(const xkd_config *c, const char *module_dir, const char *initrd,
                         char *why, size_t size) {
        char *now = NULL, *built = NULL, *side;
        int r;

        r = xkd_initrd_net_plan(c, module_dir, &now);
        if (r < 0 || !now)
                return r;
        side = xkd_initrd_net_sidecar(initrd);
        if (!side) {
                free(now);
                return -ENOMEM;
        }
        r = xkd_read_text_file(side, PLAN_MAX, &built);
        if (r == -ENOENT) {
                snprintf(why, size, "%s was built without a record of dom0's network", initrd);
                r = 1;
        } else if (r == 0) {
                if (strcmp(now, built) == 0)
                        r = 0;
                else if (is_fallback(now) && !is_fallback(built)) {
                        /* The network is down or not up yet: the image built while
                         * it was up knows more than a rebuild now would. */
                        snprintf(why, size, "dom0 has no route to %s now; keeping %s, built for the "
                                 "network dom0 had", xkd_config_target(c)->host, initrd);
                        r = 0;
                } else {
                        snprintf(why, size, "dom0's network to %s changed since %s was built",
                                 xkd_config_target(c)->host, initrd);
                        r = 1;
                }
        }
        free(now);
        free(built);
        free(side);
        return r;
}
