/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump rebuild: build the capture initramfs with dracut and the
 * 99xen-kdump module into the configured initrd path.  --if-stale skips the
 * work when nothing it is built from changed (what the boot-time load and the
 * kernel hook want).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "initrd-drivers.h"
#include "initrd.h"
#include "log.h"
#include "verbs.h"

int verb_rebuild(int argc, char **argv) {
        enum { ARG_KVER = 0x100, ARG_KMODDIR, ARG_KERNEL, ARG_INITRD, ARG_CONFIG, ARG_IF_STALE,
               ARG_NO_HOSTONLY, ARG_OUTPUT };
        static const struct option options[] = {
                { "config",      required_argument, NULL, ARG_CONFIG },
                { "kver",        required_argument, NULL, ARG_KVER },
                { "kmoddir",     required_argument, NULL, ARG_KMODDIR },
                { "kernel",      required_argument, NULL, ARG_KERNEL },
                { "initrd",      required_argument, NULL, ARG_INITRD },
                { "output",      required_argument, NULL, ARG_OUTPUT },
                { "if-stale",    no_argument,       NULL, ARG_IF_STALE },
                { "no-hostonly", no_argument,       NULL, ARG_NO_HOSTONLY },
                { "help",        no_argument,       NULL, 'h' },
                {}
        };
        struct xkd_config_override ov[] = {
                { XKD_CONF_KERNEL, NULL, "--kernel" },
                { XKD_CONF_INITRD, NULL, "--initrd" },
        };
        struct xkd_initrd_options o = { 0 };
        bool if_stale = false;
        xkd_config *c;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case ARG_CONFIG: xkd_config_set_path(optarg); break;
                case ARG_KVER: o.kver = optarg; break;
                case ARG_KMODDIR: o.kmoddir = optarg; break;
                case ARG_KERNEL: ov[0].value = optarg; break;
                case ARG_INITRD: ov[1].value = optarg; break;
                case ARG_OUTPUT: o.output = optarg; break;
                case ARG_IF_STALE: if_stale = true; break;
                case ARG_NO_HOSTONLY: o.no_hostonly = 1; break;
                case 'h':
                        printf("Usage: xen-kdump rebuild [--config FILE] [--kver VERSION] [--kmoddir DIR]\n"
                               "                         [--kernel K] [--initrd I] [--output FILE]\n"
                               "                         [--if-stale] [--no-hostonly] [-- DRACUT-ARGS...]\n\n"
                               "Build the capture initramfs with dracut into the configured initrd path.\n");
                        return 0;
                default:
                        return 2;
                }
        o.extra_args = argv + optind;
        o.n_extra_args = (size_t) (argc - optind);

        r = xkd_config_open(&c, o.kver, ov, sizeof(ov) / sizeof(ov[0]));
        if (r < 0)
                return r;
        r = xkd_minimal_fit_refresh(&c, o.kver, ov, sizeof(ov) / sizeof(ov[0]));
        if (r < 0)
                return r;
        if (if_stale && !o.output) {
                char why[4352] = "";
                r = xkd_initrd_stale(c, NULL, why, sizeof(why));
                if (r == 0) {
                        if (why[0])
                                log_notice("Not rebuilding: %s.", why);
                        else
                                log_info("%s is up to date.", xkd_config_get(c, XKD_CONF_INITRD));
                        xkd_config_free(c);
                        return 0;
                }
                if (r > 0)
                        log_notice("Rebuilding: %s.", why);
        }
        r = xkd_initrd_build(c, &o);
        xkd_config_free(c);
        return r;
}
