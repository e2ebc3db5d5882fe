/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump-collect: saves a Xen host's crash dump from the capture kernel
 * (or from a saved vmcore file) as DIR/<host>-<stamp>/{vmcore,report.*}.
 * Two more modes for the capture script, so that its other paths follow the
 * same rules: --evidence DIR (the report and logs, no dump) and --prune DIR
 * (retention, save.c's rules: the shell keeps no copy of them).
 * Exit status: 0 complete, 1 failed or incomplete (the reason is printed on
 * one line and kept in the INCOMPLETE marker), 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "evidence.h"
#include "filter.h"
#include "log.h"
#include "save.h"

static void usage(FILE *f) {
        fprintf(f,
                "Usage: xen-kdump-collect [--vmcore FILE] --output DIR [options]\n"
                "       xen-kdump-collect [--vmcore FILE] --evidence DIR\n"
                "       xen-kdump-collect --prune DIR --keep N --host NAME [--newest NAME]\n"
                "Save a Xen host's crash dump (kdump-compressed, zstd), a crash report and the\n"
                "logs (report.txt, report.json, dmesg.txt, xen-console.txt).\n\n"
                "  --vmcore FILE        the dump to read (default /proc/vmcore)\n"
                "  --output DIR         save into DIR/<host>-<YYYYmmdd-HHMMSS>/; '-' streams the\n"
                "                       dump to stdout in makedumpfile's flattened format\n"
                "  --level N            exclusion mask: 1 zero pages, 32 Xen free and domU pages,\n"
                "                       2/4/8/16 dom0 cache/private/user/free (default %u)\n"
                "  --engine E           native (default) or makedumpfile (-E -X -d 1)\n"
                "  --compress C         zstd (default) or none\n"
                "  --keep N             after a complete dump, keep this host's N newest complete dumps\n"
                "                       in DIR and delete its older ones (only xen-kdump's own, with\n"
                "                       xen-kdump.id; incomplete ones are never deleted; default 0:\n"
                "                       never delete)\n"
                "  --reserve MB         stop before DIR's filesystem has less than MB free (default 64)\n"
                "  --host NAME          host name for the directory (default: hostname)\n"
                "  --time-limit S       stop after S seconds, keep what was written and mark the dump\n"
                "                       INCOMPLETE (exit 1); 0 = no limit (default)\n"
                "  --evidence DIR       only the report and logs into DIR (no dump): for a dump\n"
                "                       that makedumpfile writes or ssh streams\n"
                "  --prune DIR          only retention: apply --keep to --host's dumps in DIR\n"
                "  --newest NAME        with --prune: the new dump, counted as kept, never deleted\n"
                "  --quiet              no progress output\n"
                "  --verbose            debug messages\n",
                XKD_DL_DEFAULT);
}

static int parse_uint(const char *s, const char *what, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno || end == s || *end || v > max || s[0] == '-')
                return log_error_errno(-EINVAL, "Invalid %s '%s': give a number from 0 to %llu", what, s,
                                       (unsigned long long) max);
        *ret = v;
        return 0;
}

enum mode { MODE_DUMP, MODE_EVIDENCE, MODE_PRUNE };

struct args {
        enum mode mode;
        const char *dir;                /* --evidence or --prune */
        const char *newest;
        bool keep_given, host_given;
};

static int set_mode(struct args *m, enum mode mode, const char *dir) {
        if (m->mode != MODE_DUMP)
                return log_error_errno(-EINVAL, "--evidence and --prune exclude each other: give one");
        m->mode = mode;
        m->dir = dir;
        return 0;
}

static int parse_args(int argc, char **argv, struct xkd_collect_options *a, struct args *m) {
        static const struct option opts[] = {
                { "vmcore", required_argument, NULL, 'v' },
                { "output", required_argument, NULL, 'o' },
                { "level", required_argument, NULL, 'd' },
                { "engine", required_argument, NULL, 'e' },
                { "compress", required_argument, NULL, 'c' },
                { "keep", required_argument, NULL, 'k' },
                { "reserve", required_argument, NULL, 'r' },
                { "host", required_argument, NULL, 'H' },
                { "time-limit", required_argument, NULL, 't' },
                { "evidence", required_argument, NULL, 'E' },
                { "prune", required_argument, NULL, 'P' },
                { "newest", required_argument, NULL, 'N' },
                { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        uint64_t v;
        int c;

        *a = (struct xkd_collect_options) { .vmcore = "/proc/vmcore", .level = XKD_DL_DEFAULT, .reserve_bytes = 64u << 20 };
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'v': a->vmcore = optarg; break;
                case 'o': a->output = optarg; break;
                case 'd':
                        if (parse_uint(optarg, "--level", XKD_DL_MAX, &v) < 0)
                                return -EINVAL;
                        a->level = (unsigned) v;
                        break;
                case 'e':
                        if (strcmp(optarg, "native") == 0)
                                a->engine = XKD_ENGINE_NATIVE;
                        else if (strcmp(optarg, "makedumpfile") == 0)
                                a->engine = XKD_ENGINE_MAKEDUMPFILE;
                        else
                                return log_error_errno(-EINVAL, "Unknown --engine '%s': use native or makedumpfile", optarg);
                        break;
                case 'c':
                        if (strcmp(optarg, "zstd") == 0)
                                a->compress = XKD_COMPRESS_ZSTD;
                        else if (strcmp(optarg, "none") == 0)
                                a->compress = XKD_COMPRESS_NONE;
                        else
                                return log_error_errno(-EINVAL, "Unknown --compress '%s': use zstd or none", optarg);
                        break;
                case 'k':
                        if (parse_uint(optarg, "--keep", 100000, &v) < 0)
                                return -EINVAL;
                        a->keep = (unsigned) v;
                        m->keep_given = true;
                        break;
                case 'r':
                        if (parse_uint(optarg, "--reserve", UINT64_C(1) << 40, &v) < 0)
                                return -EINVAL;
                        a->reserve_bytes = v << 20;
                        break;
                case 'H': a->host = optarg; m->host_given = true; break;
                case 'E':
                        if (set_mode(m, MODE_EVIDENCE, optarg) < 0)
                                return -EINVAL;
                        break;
                case 'P':
                        if (set_mode(m, MODE_PRUNE, optarg) < 0)
                                return -EINVAL;
                        break;
                case 'N': m->newest = optarg; break;
                case 't':
                        if (parse_uint(optarg, "--time-limit", 7 * 24 * 3600, &v) < 0)
                                return -EINVAL;
                        a->time_limit = (unsigned) v;
                        break;
                case 'q': a->quiet = true; break;
                case 'V': log_set_max_level(LOG_LEVEL_DEBUG); break;
                case 'h': usage(stdout); exit(0);
                default: usage(stderr); return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s': see --help", argv[optind]);
        if (m->mode != MODE_DUMP && a->output)
                return log_error_errno(-EINVAL, "--output writes a dump; --evidence and --prune write none: give one of them");
        if (m->mode == MODE_PRUNE && (!m->keep_given || !m->host_given))
                return log_error_errno(-EINVAL, "--prune needs --keep N and --host NAME: whose dumps, and how many to keep");
        if (m->newest && m->mode != MODE_PRUNE)
                return log_error_errno(-EINVAL, "--newest only goes with --prune");
        if (m->newest && (strchr(m->newest, '/') || m->newest[0] == '.'))
                return log_error_errno(-EINVAL, "--newest '%s' is not a dump directory name: give the name inside DIR",
                                       m->newest);
        if (m->mode != MODE_DUMP)
                return 0;
        if (!a->output)
                return log_error_errno(-EINVAL, "No --output DIR given: say where to save the dump (or '-' for stdout)");
        if (strcmp(a->output, "-") == 0 && a->engine != XKD_ENGINE_NATIVE)
                return log_error_errno(-EINVAL, "--output - (streaming) needs --engine native");
        return 0;
}

int main(int argc, char **argv) {
        struct xkd_collect_options a;
        struct xkd_collect_result res;
        struct args m = { .mode = MODE_DUMP };
        int r;

        log_set_program("xen-kdump-collect");
        log_set_max_level(LOG_LEVEL_INFO);
        if (parse_args(argc, argv, &a, &m) < 0)
                return 2;
        if (a.quiet && log_get_max_level() == LOG_LEVEL_INFO)
                log_set_max_level(LOG_LEVEL_WARNING);
        if (m.mode == MODE_EVIDENCE)
                return xkd_evidence_only(a.vmcore, m.dir) < 0 ? 1 : 0;
        if (m.mode == MODE_PRUNE) {
                char host[128];
                xkd_save_clean_host(a.host, host, sizeof(host));
                return xkd_save_apply_retention(m.dir, host, a.keep, m.newest) < 0 ? 1 : 0;
        }
        if (strcmp(a.output, "-") == 0 && isatty(STDOUT_FILENO)) {
                log_error("Refusing to write a dump to a terminal: pipe stdout to ssh or a file");
                return 2;
        }
        /* A closed ssh pipe must be an error code, not a signal. */
        signal(SIGPIPE, SIG_IGN);

        r = xkd_collect(&a, &res);
        if (r < 0) {
                if (res.path[0])
                        log_error("Dump incomplete, kept in %s: %s", res.path, res.reason);
                else
                        log_error("Dump failed: %s", res.reason);
                return 1;
        }
        return 0;
}
