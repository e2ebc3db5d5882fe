/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump show: the effective configuration and where each value came from.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "verbs.h"

int verb_show(int argc, char **argv) {
        enum { ARG_KVER = 0x100, ARG_KERNEL, ARG_INITRD, ARG_APPEND, ARG_CONFIG };
        static const struct option options[] = {
                { "json",   no_argument,       NULL, 'j' },
                { "shell",  no_argument,       NULL, 's' },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "kver",   required_argument, NULL, ARG_KVER },
                { "kernel", required_argument, NULL, ARG_KERNEL },
                { "initrd", required_argument, NULL, ARG_INITRD },
                { "append", required_argument, NULL, ARG_APPEND },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        struct xkd_config_override ov[] = {
                { XKD_CONF_KERNEL, NULL, "--kernel" },
                { XKD_CONF_INITRD, NULL, "--initrd" },
                { XKD_CONF_APPEND, NULL, "--append" },
        };
        const char *kver = NULL;
        bool json = false, shell = false;
        xkd_config *c;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "jsh", options, NULL)) >= 0)
                switch (opt) {
                case 'j': json = true; break;
                case 's': shell = true; break;
                case ARG_CONFIG: xkd_config_set_path(optarg); break;
                case ARG_KVER: kver = optarg; break;
                case ARG_KERNEL: ov[0].value = optarg; break;
                case ARG_INITRD: ov[1].value = optarg; break;
                case ARG_APPEND: ov[2].value = optarg; break;
                case 'h':
                        printf("Usage: xen-kdump show [--json|--shell] [--config FILE] [--kver VERSION]\n"
                               "                      [--kernel K] [--initrd I] [--append ARGS]\n\n"
                               "Print the effective configuration and where each value came from.\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump show --help'.", argv[optind]);
                return 2;
        }
        if (json && shell) {
                log_error("--json and --shell exclude each other; pick one.");
                return 2;
        }

        r = xkd_config_open(&c, kver, ov, sizeof(ov) / sizeof(ov[0]));
        if (r < 0)
                return r;
        if (json)
                xkd_config_print_json(c, stdout);
        else if (shell)
                xkd_config_print_shell(c, stdout);
        else
                xkd_config_print_text(c, stdout);
        xkd_config_free(c);
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write the configuration: %m");
        return 0;
}
