/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump-collect: saves a Xen host's crash dump from the capture kernel
 * (or from a saved vmcore file) as DIR/<host>-<stamp>/{vmcore,report.*}.
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
#include "filter.h"
#include "log.h"

static void usage(FILE *f) {
        fprintf(f,
                "Usage: xen-kdump-collect [--vmcore FILE] --output DIR [options]\n"
                "Save a Xen host's crash dump (kdump-compressed, zstd) and a crash report.\n\n"
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

static int parse_args(int argc, char **argv, struct xkd_collect_options *a) {
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
                        break;
                case 'r':
                        if (parse_uint(optarg, "--reserve", UINT64_C(1) << 40, &v) < 0)
                                return -EINVAL;
                        a->reserve_bytes = v << 20;
                        break;
                case 'H': a->host = optarg; break;
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
        if (!a->output)
                return log_error_errno(-EINVAL, "No --output DIR given: say where to save the dump (or '-' for stdout)");
        if (strcmp(a->output, "-") == 0 && a->engine != XKD_ENGINE_NATIVE)
                return log_error_errno(-EINVAL, "--output - (streaming) needs --engine native");
        return 0;
}

int main(int argc, char **argv) {
        struct xkd_collect_options a;
        struct xkd_collect_result res;
        int r;

        log_set_program("xen-kdump-collect");
        log_set_max_level(LOG_LEVEL_INFO);
        if (parse_args(argc, argv, &a) < 0)
                return 2;
        if (a.quiet && log_get_max_level() == LOG_LEVEL_INFO)
                log_set_max_level(LOG_LEVEL_WARNING);
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
