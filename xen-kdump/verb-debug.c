/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump debug [N|DIR|latest] [-- CRASH-ARGS]: runs Debian's crash(8) on a
 * saved dump with dom0's debug vmlinux.  The kernel release comes from the
 * dump itself (dom0's VMCOREINFO, or report.json), never from the running
 * kernel: the host may have been upgraded since the crash.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumplist.h"
#include "log.h"
#include "verbs.h"

#define DEBUG_VMLINUX_DIR "/usr/lib/debug/boot"

/* The release goes into a path and a package name: only what Debian puts in one. */
static bool release_is_sane(const char *r) {
        size_t n = strlen(r);
        if (n == 0 || n > 64 || strstr(r, "..") || r[0] == '-' || r[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~-", r[i]))
                        return false;
        return true;
}

/* "6.12.118+deb13-amd64" -> 6, 12; false when it does not start with N.N. */
static bool release_version(const char *r, unsigned *major, unsigned *minor) {
        return sscanf(r, "%u.%u", major, minor) == 2;
}

/* The installed crash's version ("crash 8.0.2" on its first line), or false
 * when it cannot be told (not installed, prints something else). */
static bool crash_version(unsigned v[3]) {
        char line[128] = "";
        FILE *p = popen("crash --version </dev/null 2>/dev/null", "re");
        bool ok;

        if (!p)
                return false;
        ok = fgets(line, sizeof(line), p) != NULL;
        while (ok && fgetc(p) != EOF)
                ;
        pclose(p);
        return ok && sscanf(line, "crash %u.%u.%u", &v[0], &v[1], &v[2]) == 3;
}

/* A Linux 6.12 dom0 dump needs crash 8.0.6 (Debian 13's; proven in the
 * trixie VM); Debian 12's 8.0.2 stops at "invalid structure member offset:
 * module_core_size".  0 when fine or unknown, -ENOEXEC with the line said. */
static int check_crash_for_release(const char *release, bool force) {
        unsigned major, minor, v[3];

        if (!release_version(release, &major, &minor) || major < 6 || (major == 6 && minor < 12))
                return 0;
        if (!crash_version(v))
                return 0;
        if (v[0] > 8 || (v[0] == 8 && (v[1] > 0 || v[2] >= 6)))
                return 0;
        if (force) {
                log_warning("crash %u.%u.%u is older than 8.0.6, which Linux %u.%u needs; trying anyway (--force).",
                            v[0], v[1], v[2], major, minor);
                return 0;
        }
        return log_error_errno(-ENOEXEC, "crash %u.%u.%u cannot open a Linux %u.%u dom0 dump: install crash 8.0.6 or "
                               "newer (Debian 13 trixie's crash package), or pass --force to try anyway",
                               v[0], v[1], v[2], major, minor);
}

int verb_debug(int argc, char **argv) {
        static const struct option options[] = {
                { "dir",     required_argument, NULL, 'd' },
                { "vmlinux", required_argument, NULL, 'k' },
                { "force",   no_argument,       NULL, 'f' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *dir_opt = NULL, *spec = NULL, *vmlinux = NULL;
        char vm_path[PATH_MAX], core[PATH_MAX + 64];
        bool force = false;
        struct xkd_dump d;
        int opt, r;

        optind = 0;
        /* "+": options stop at the first word, so crash's own options can follow "--". */
        while ((opt = getopt_long(argc, argv, "+d:k:fh", options, NULL)) >= 0)
                switch (opt) {
                case 'd': dir_opt = optarg; break;
                case 'k': vmlinux = optarg; break;
                case 'f': force = true; break;
                case 'h':
                        printf("Usage: xen-kdump debug [--dir DIR] [--vmlinux PATH] [--force] [N|DIR|latest] [-- CRASH-ARGS...]\n\n"
                               "Open a saved dump (default: the latest) in crash with dom0's debug vmlinux\n"
                               "(" DEBUG_VMLINUX_DIR "/vmlinux-RELEASE, from linux-image-RELEASE-dbg).\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc && strcmp(argv[optind - 1], "--") != 0 && strcmp(argv[optind], "--") != 0)
                spec = argv[optind++];
        if (optind < argc && strcmp(argv[optind], "--") == 0)
                optind++;
        else if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
                log_error("Unexpected argument '%s'; put crash's own arguments after '--'.", argv[optind]);
                return 2;
        }

        r = xkd_dumps_pick(dir_opt, spec, &d);
        if (r < 0)
                return r;
        /* Names off the disk go into messages: shown, not obeyed by the terminal. */
        char name[256], shown_path[PATH_MAX], shown_release[sizeof(d.header.release)];
        snprintf(name, sizeof(name), "%s", d.name);
        xkd_dump_sanitize(name, false);
        snprintf(shown_path, sizeof(shown_path), "%s", d.path);
        xkd_dump_sanitize(shown_path, false);
        snprintf(shown_release, sizeof(shown_release), "%s", d.header.release);
        xkd_dump_sanitize(shown_release, false);
        if (d.state == XKD_DUMP_UNREADABLE)
                return log_error_errno(-EACCES, "Cannot read %s (%s)%s", shown_path, d.why,
                                       geteuid() != 0 ? ": dumps are root-only, run as root" : "");
        if (!d.file[0])
                return log_error_errno(-ENOENT, "%s holds no vmcore (%s): nothing to open", shown_path, d.why);
        if (d.state != XKD_DUMP_COMPLETE && !force)
                return log_error_errno(-EBADMSG, "Dump %s is INCOMPLETE (%s): crash cannot open it reliably; "
                                       "pass --force to try anyway", name, d.why);
        if (d.header.format == XKD_DUMP_FORMAT_UNKNOWN && !force)
                return log_error_errno(-EBADMSG, "%s/%s is not a dump crash knows: pass --force to try anyway", shown_path, d.file);

        if (!vmlinux) {
                if (!d.header.release[0])
                        return log_error_errno(-ENOENT, "Dump %s does not say which dom0 kernel ran (no dom0 VMCOREINFO note, "
                                               "no dom0.osrelease in report.json): pass --vmlinux PATH", name);
                if (!release_is_sane(d.header.release))
                        return log_error_errno(-EBADMSG, "Dump %s names an odd dom0 kernel release '%s' (corrupt?): "
                                               "pass --vmlinux PATH", name, shown_release);
                snprintf(vm_path, sizeof(vm_path), DEBUG_VMLINUX_DIR "/vmlinux-%s", d.header.release);
                vmlinux = vm_path;
                if (access(vmlinux, R_OK) < 0)
                        return log_error_errno(-errno, "No debug vmlinux for dom0 Linux %s (%s: %m): "
                                               "apt-get install linux-image-%s-dbg, or pass --vmlinux PATH",
                                               d.header.release, vmlinux, d.header.release);
        } else if (access(vmlinux, R_OK) < 0)
                return log_error_errno(-errno, "Cannot read --vmlinux %s: %m: give dom0's debug vmlinux "
                                       "(from linux-image-RELEASE-dbg)", vmlinux);

        if (d.header.release[0] && release_is_sane(d.header.release) &&
            check_crash_for_release(d.header.release, force) < 0)
                return -ENOEXEC;
        snprintf(core, sizeof(core), "%s/%s", d.path, d.file);
        if (d.state != XKD_DUMP_COMPLETE)
                log_warning("Opening INCOMPLETE dump %s (%s) because of --force; crash may fail or show missing pages.",
                            name, d.why);
        log_info("crash %s %s/%s", vmlinux, shown_path, d.file);

        size_t extra = (size_t) (argc - optind);
        char **args = calloc(extra + 4, sizeof(char *));
        if (!args)
                return log_error_errno(-ENOMEM, "Out of memory");
        args[0] = (char *) "crash";
        for (size_t i = 0; i < extra; i++)
                args[1 + i] = argv[optind + (int) i];
        args[1 + extra] = (char *) vmlinux;
        args[2 + extra] = core;
        fflush(stdout);
        execvp("crash", args);
        r = -errno;
        free(args);
        return log_error_errno(r, "Cannot run crash: %m%s", r == -ENOENT ? ": apt-get install crash" : "");
}
