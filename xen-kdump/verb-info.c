/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump info [N|DIR|latest]: the facts about one saved dump's files, then
 * its report.txt.  The report is bytes from a crashed machine's disk: shown
 * with control characters neutralised, so it cannot drive the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumplist.h"
#include "log.h"
#include "verbs.h"

#define REPORT_TXT_MAX  (4u << 20)

static void print_report_txt(const struct xkd_dump *d) {
        char path[PATH_MAX + 16], *buf;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/report.txt", d->path);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
                printf("\nNo report.txt (%s)%s\n", strerror(errno),
                       errno == ENOENT ? ": this dump was saved by makedumpfile or the capture stopped before the report" : "");
                return;
        }
        buf = malloc(REPORT_TXT_MAX + 1);
        n = buf ? read(fd, buf, REPORT_TXT_MAX) : -1;
        close(fd);
        if (n < 0) {
                printf("\nreport.txt is unreadable.\n");
                free(buf);
                return;
        }
        buf[n] = '\0';
        /* A NUL would end the text early: show it, like any other odd byte. */
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == '\0')
                        buf[i] = '?';
        xkd_dump_sanitize(buf, true);
        printf("\n%s%s", buf, n > 0 && buf[n - 1] != '\n' ? "\n" : "");
        free(buf);
}

int verb_info(int argc, char **argv) {
        static const struct option options[] = {
                { "dir",  required_argument, NULL, 'd' },
                { "json", no_argument,       NULL, 'j' },
                { "help", no_argument,       NULL, 'h' },
                {}
        };
        const char *dir_opt = NULL, *spec = NULL;
        char fmt[32], size[16];
        struct xkd_dump d;
        bool json = false;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "d:jh", options, NULL)) >= 0)
                switch (opt) {
                case 'd': dir_opt = optarg; break;
                case 'j': json = true; break;
                case 'h':
                        printf("Usage: xen-kdump info [--dir DIR] [--json] [N|DIR|latest]\n\n"
                               "Show one saved dump (default: the latest): its files and its crash report.\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc)
                spec = argv[optind++];
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump info --help'.", argv[optind]);
                return 2;
        }
        r = xkd_dumps_pick(dir_opt, spec, &d);
        if (r < 0)
                return r;

        if (json) {
                xkd_dump_print_json(stdout, &d);
                putchar('\n');
                return fflush(stdout) == 0 ? 0 : -EIO;
        }
        /* The directory's name is bytes off the disk too: shown, not obeyed. */
        char shown[PATH_MAX];
        snprintf(shown, sizeof(shown), "%s", d.path);
        xkd_dump_sanitize(shown, false);
        xkd_dump_format_name(&d.header, fmt, sizeof(fmt));
        xkd_human_size(d.size, size, sizeof(size));
        if (d.index)
                printf("Dump %u: %s\n", d.index, shown);
        else
                printf("Dump: %s\n", shown);
        printf("  State:        %s%s%s\n", xkd_dump_state_name(d.state), d.why[0] ? " - " : "", d.why);
        printf("  Time:         %s (%s)\n", d.time,
               strcmp(d.time_source, "xen-console") == 0 ? "Xen's console" : "when the capture started saving");
        printf("  Crashed:      %s%s%s\n", d.what, d.report.reason[0] ? ": " : "", d.report.reason);
        if (d.report.dom0_panic[0] || d.dmesg_panic[0])
                printf("  dom0 said:    %s%s\n", d.report.dom0_panic[0] ? d.report.dom0_panic : d.dmesg_panic,
                       d.report.dom0_panic[0] ? "" : " (dmesg.txt)");
        printf("  Xen:          %s\n", d.report.xen_version[0] ? d.report.xen_version : "unknown");
        printf("  dom0 Linux:   %s\n", d.header.release[0] ? d.header.release : "unknown");
        if (d.report.crashing_cpu >= 0)
                printf("  CPU:          %d\n", d.report.crashing_cpu);
        else
                printf("  CPU:          unknown\n");
        if (d.file[0])
                printf("  File:         %s/%s\n                %s (%llu bytes), %s, mode %04o\n", shown, d.file, size,
                       (unsigned long long) d.size, fmt, (unsigned) d.file_mode);
        else
                printf("  File:         none\n");
        printf("  Directory:    mode %04o, owner uid %u%s\n", (unsigned) d.dir_mode, (unsigned) d.dir_uid,
               (d.dir_mode & 077) || (d.file_mode & 077) ? "  (WARNING: readable by others; dumps hold secrets: chmod go= them)" : "");
        printf("  Report:       %s\n", d.report.valid ? "report.json read" :
               d.report.present ? "report.json is corrupt or not a xen-kdump report" : "none");
        if (d.state != XKD_DUMP_UNREADABLE)
                print_report_txt(&d);
        else if (geteuid() != 0)
                log_error("Cannot read %s: dumps are root-only (0700); run as root.", shown);
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write: %m");
        return d.state == XKD_DUMP_UNREADABLE ? 1 : 0;
}
