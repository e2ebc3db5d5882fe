/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump list: the saved dumps, oldest first, one line each.  The columns
 * (and the --json keys) are a stable interface: scripts and the VM scenarios
 * read them.  Exit 0 also when there is none; 1 when the directory cannot be read.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumplist.h"
#include "log.h"
#include "verbs.h"

/* One word a terminal can show: a directory name is bytes off a disk, a version Xen's text. */
static const char *word(const char *in, char *buf, size_t size) {
        snprintf(buf, size, "%s", in[0] ? in : "-");
        xkd_dump_sanitize(buf, false);
        for (char *p = buf; *p; p++)
                if (*p == ' ')
                        *p = '_';
        return buf;
}

/* One line; TIME is the only column with a space in it. */
static void print_line(const struct xkd_dump *d) {
        char size[16], fmt[32], cpu[12], xen[64], name[256];

        xkd_human_size(d->size, size, sizeof(size));
        xkd_dump_format_name(&d->header, fmt, sizeof(fmt));
        if (d->report.crashing_cpu >= 0)
                snprintf(cpu, sizeof(cpu), "%d", d->report.crashing_cpu);
        else
                snprintf(cpu, sizeof(cpu), "-");
        printf("%3u  %-19s  %-9s  %-10s  %-3s  %7s  %-10s  %-10s  %s\n", d->index, d->time, d->what,
               word(d->report.xen_version, xen, sizeof(xen)), cpu, d->file[0] ? size : "-", fmt,
               xkd_dump_state_name(d->state), word(d->name, name, sizeof(name)));
}

int verb_list(int argc, char **argv) {
        static const struct option options[] = {
                { "dir",  required_argument, NULL, 'd' },
                { "json", no_argument,       NULL, 'j' },
                { "help", no_argument,       NULL, 'h' },
                {}
        };
        const char *dir_opt = NULL;
        char dir[PATH_MAX];
        struct xkd_dump *v = NULL;
        bool json = false;
        size_t n = 0;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "d:jh", options, NULL)) >= 0)
                switch (opt) {
                case 'd': dir_opt = optarg; break;
                case 'j': json = true; break;
                case 'h':
                        printf("Usage: xen-kdump list [--dir DIR] [--json]\n\n"
                               "List the saved dumps, oldest first (default DIR: the config's target path).\n"
                               "Columns: # TIME WHAT XEN CPU SIZE FORMAT STATE DIRECTORY\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump list --help'.", argv[optind]);
                return 2;
        }
        r = xkd_dumps_dir_option(dir_opt, dir, sizeof(dir));
        if (r < 0)
                return r;

        r = xkd_dumps_scan(dir, &v, &n);
        if (r == -ENOENT && !dir_opt)
                /* The default directory appears with the first dump. */
                n = 0;
        else if (r < 0)
                return log_error_errno(r, "Cannot read the dump directory %s: %m%s", dir,
                                       (r == -EACCES || r == -EPERM) && geteuid() != 0 ?
                                       ": dumps are root-only (0700 directories), run as root" :
                                       r == -ENOENT ? ": check the path given to --dir" : "");

        bool unreadable = false;
        for (size_t i = 0; i < n; i++)
                unreadable |= v[i].state == XKD_DUMP_UNREADABLE;
        if (json) {
                printf("{\"dir\": ");
                xkd_json_string(stdout, dir);
                printf(", \"dumps\": [");
                for (size_t i = 0; i < n; i++) {
                        printf("%s\n  ", i ? "," : "");
                        xkd_dump_print_json(stdout, &v[i]);
                }
                printf("%s]}\n", n ? "\n" : "");
        } else if (n == 0)
                printf("No dumps in %s.\n", dir);
        else {
                printf("%3s  %-19s  %-9s  %-10s  %-3s  %7s  %-10s  %-10s  %s\n", "#", "TIME", "WHAT", "XEN", "CPU",
                       "SIZE", "FORMAT", "STATE", "DIRECTORY");
                for (size_t i = 0; i < n; i++)
                        print_line(&v[i]);
        }
        if (unreadable && geteuid() != 0)
                log_warning("Some dumps are UNREADABLE: dumps are root-only (0600 files in 0700 directories); run as root.");
        free(v);
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write the list: %m");
        return 0;
}
