/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump announce: one journal entry per dump not announced before
 * (lib/dump-announce.h).  xen-kdump.service runs it at every boot, before
 * loading, so the morning after a crash the journal says what happened.
 * Dumps on an ssh or NFS server are not seen from here: only the local
 * directory (the path target, or local_path's fallbacks).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dump-announce.h"
#include "dumplist.h"
#include "log.h"
#include "verbs.h"

int verb_announce(int argc, char **argv) {
        static const struct option options[] = {
                { "dir",  required_argument, NULL, 'd' },
                { "help", no_argument,       NULL, 'h' },
                {}
        };
        const char *dir_opt = NULL;
        char dir[PATH_MAX];
        unsigned n;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'd': dir_opt = optarg; break;
                case 'h':
                        printf("Usage: xen-kdump announce [--dir DIR]\n\n"
                               "Log one journal entry (MESSAGE_ID=" XKD_DUMP_MESSAGE_ID ") per saved dump\n"
                               "not announced before. xen-kdump.service runs it at boot.\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump announce --help'.", argv[optind]);
                return 2;
        }
        if (!dir_opt) {
                /* A network target without local_path: nothing of it is here to announce. */
                r = xkd_dumps_default_dir(dir, sizeof(dir));
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
        } else
                snprintf(dir, sizeof(dir), "%s", dir_opt);

        r = xkd_dumps_announce(dir, &n);
        if (r == -ENOENT) {
                log_debug("No dump directory %s yet: nothing to announce", dir);
                return 0;
        }
        if (n)
                log_info("Announced %u new dump%s in %s.", n, n == 1 ? "" : "s", dir);
        return r < 0 ? 1 : 0;
}
