/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump status: is a crash image armed?  Xen's status op cannot say (it
 * flips on every load and unload), so the answer comes from the state file
 * xen-kdump writes after each successful load/unload, cross-checked with the
 * op: right after our own call we recorded what the op answered; if it
 * answers differently now, another tool loaded or unloaded since and we say
 * we do not know.  A load that failed after Xen may have overwritten the
 * image (marked in the state file until load restored or unloaded it) is
 * unknown too, never loaded.  Exit: 0 loaded, 3 not loaded, 4 unknown, 1 error, 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dump-announce.h"
#include "dumplist.h"
#include "hv.h"
#include "log.h"
#include "json-escape.h"
#include "sha256.h"
#include "state.h"
#include "test-marker.h"
#include "verbs.h"

#define EXIT_NOT_LOADED 3
#define EXIT_UNKNOWN    4

enum truth { NOT_LOADED, LOADED, UNKNOWN };

/* "changed" when the file on disk no longer has the recorded digest. */
static const char *file_check(const char *path, const char *sha) {
        static char hex[XKD_SHA256_HEX_SIZE];
        struct xkd_sha256_ctx ctx;
        uint8_t d[XKD_SHA256_DIGEST_SIZE], buf[65536];
        FILE *f;
        size_t n;

        if (!*path || !*sha)
                return "";
        f = fopen(path, "re");
        if (!f)
                return "missing";
        xkd_sha256_init(&ctx);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                xkd_sha256_update(&ctx, buf, n);
        fclose(f);
        xkd_sha256_final(&ctx, d);
        xkd_sha256_to_hex(d, hex);
        return strcmp(hex, sha) == 0 ? "unchanged" : "changed";
}

/* The newest dump in the local dump directory: the last crash this host saved here.
 * -ENOENT when there is none (or the dumps are on a server). */
static int last_crash(struct xkd_dump *ret) {
        struct xkd_dump *dumps = NULL;
        char dir[4096];
        size_t n = 0;
        xkd_config *c = NULL;
        int r;

        /* A network target's dumps are on its server (no error here); local_path holds its fallbacks. */
        if (xkd_config_load(&c, NULL) < 0)
                return -ENOENT;
        const struct xkd_target *t = xkd_config_target(c);
        if (t->kind == XKD_TARGET_PATH && xkd_config_get(c, XKD_CONF_TARGET_FS)[0])
                dir[0] = '\0';         /* on a filesystem dom0 need not mount: not this path here */
        else if (t->kind == XKD_TARGET_PATH && t->dir && t->dir[0])
                snprintf(dir, sizeof(dir), "%s", t->dir);
        else
                snprintf(dir, sizeof(dir), "%s", xkd_config_get(c, XKD_CONF_LOCAL_PATH));
        xkd_config_free(c);
        if (!dir[0])
                return -ENOENT;
        r = xkd_dumps_scan(dir, &dumps, &n);
        if (r < 0 || n == 0) {
                free(dumps);
                return -ENOENT;
        }
        *ret = dumps[n - 1];
        free(dumps);
        return 0;
}

static const char *op_text(int op) {
        return op < 0 ? "error" : op ? "loaded" : "not loaded";
}

int verb_status(int argc, char **argv) {
        struct xkd_state st;
        char boot_id[64], when[64] = "";
        int json = 0, have_state, same_boot, op, r;
        enum truth truth;
        const char *why;
        xkd_hv *hv = NULL;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = 1;
                else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        printf("Usage: xen-kdump status [--json]\n\nShow whether a crash image is loaded.\n"
                               "Exit status: 0 loaded, 3 not loaded, 4 unknown, 1 error, 2 usage error.\n");
                        return 0;
                } else {
                        log_error("Unexpected argument '%s' to status; see 'xen-kdump status --help'.", argv[i]);
                        return 2;
                }
        }

        r = xkd_hv_new(&hv);
        if (r < 0)
                return r;
        op = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        xkd_hv_free(hv);
        if (op < 0)
                log_warning("Xen's status op failed (%s); relying on the state file alone.", strerror(-op));

        have_state = xkd_state_read(&st) == 0;
        xkd_boot_id(boot_id, sizeof(boot_id));
        same_boot = have_state && strcmp(st.boot_id, boot_id) == 0;

        if (!have_state || !same_boot) {
                truth = op == 1 ? LOADED : op == 0 ? NOT_LOADED : UNKNOWN;
                why = !have_state ? "no state file: only Xen's status op, which is unreliable"
                                  : "the state file is from an earlier boot: only Xen's status op, which is unreliable";
                if (have_state && !same_boot && op != 1)
                        truth = NOT_LOADED;     /* a reboot drops every image */
        } else if (st.load_failed) {
                /* A load failed (or was cut short) after Xen may have written into the crash region. */
                truth = UNKNOWN;
                why = "a load failed or was interrupted after Xen may have overwritten the crash image, and it was neither restored nor unloaded; run 'xen-kdump unload' and 'xen-kdump load'";
        } else if (op >= 0 && st.xen_status_after >= 0 && op != st.xen_status_after) {
                truth = UNKNOWN;
                why = "Xen's status op changed since xen-kdump's last load/unload: another tool loaded or unloaded a crash image; run 'xen-kdump load' to be sure";
        } else {
                truth = st.loaded ? LOADED : NOT_LOADED;
                why = "from the state file; Xen's status op has not changed since xen-kdump's last action";
        }

        if (have_state && st.time) {
                struct tm tm;
                gmtime_r(&st.time, &tm);
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        }
        const char *truth_text = truth == LOADED ? "loaded" : truth == NOT_LOADED ? "not loaded" : "unknown";
        int show_image = have_state && same_boot && st.loaded && !st.load_failed;

        if (json) {
                printf("{\"loaded\":%s,\"status\":\"%s\",\"reason\":", truth == UNKNOWN ? "null" : truth == LOADED ? "true" : "false", truth_text);
                xkd_json_string(stdout, why);
                printf(",\"xen_status_op\":%s", op < 0 ? "null" : op ? "true" : "false");
                if (have_state) {
                        printf(",\"state_file\":{\"loaded\":%s,\"current_boot\":%s,\"time\":%lld,\"time_text\":",
                               st.loaded ? "true" : "false", same_boot ? "true" : "false", (long long) st.time);
                        xkd_json_string(stdout, when);
                        printf(",\"xen_status_after\":%d,\"load_failed\":%lld", st.xen_status_after, (long long) st.load_failed);
                        if (st.loaded) {
                                printf(",\"crash_region\":{\"start\":%llu,\"size\":%llu},\"entry\":%llu,\"kernel\":{\"path\":",
                                       (unsigned long long) st.crash_start, (unsigned long long) st.crash_size,
                                       (unsigned long long) st.entry);
                                xkd_json_string(stdout, st.kernel);
                                printf(",\"sha256\":");
                                xkd_json_string(stdout, st.kernel_sha256);
                                printf(",\"on_disk\":");
                                xkd_json_string(stdout, file_check(st.kernel, st.kernel_sha256));
                                printf("},\"initramfs\":{\"path\":");
                                xkd_json_string(stdout, st.initrd);
                                printf(",\"sha256\":");
                                xkd_json_string(stdout, st.initrd_sha256);
                                printf(",\"on_disk\":");
                                xkd_json_string(stdout, file_check(st.initrd, st.initrd_sha256));
                                printf("},\"cmdline\":");
                                xkd_json_string(stdout, st.cmdline);
                        }
                        printf("}");
                }
                struct xkd_dump last;
                if (last_crash(&last) == 0) {
                        printf(",\"last_crash\":{\"time\":");
                        xkd_json_string(stdout, last.time);
                        printf(",\"what\":");
                        xkd_json_string(stdout, last.what);
                        printf(",\"reason\":");
                        xkd_json_string(stdout, last.report.reason);
                        printf(",\"dump\":");
                        xkd_json_string(stdout, last.path);
                        printf(",\"state\":");
                        xkd_json_string(stdout, xkd_dump_state_name(last.state));
                        printf(",\"why\":");
                        xkd_json_string(stdout, last.why);
                        printf(",\"announced\":%s}", xkd_dump_announced(last.path) ? "true" : "false");
                }
                char test_line[1024];
                if (xkd_test_status_line(test_line, sizeof(test_line)) >= 0) {
                        printf(",\"last_test\":");
                        xkd_json_string(stdout, test_line);
                }
                printf("}\n");
        } else {
                printf("Crash image: %s (%s)\n", truth_text, why);
                printf("  Xen status op:  %s%s\n", op_text(op),
                       have_state && same_boot && op >= 0 && (op == 1) != st.loaded ? "  (disagrees with the state file; the op flips on every load and unload)" : "");
                if (have_state)
                        printf("  State file:     %s since %s%s\n", st.loaded ? "loaded" : "not loaded", when,
                               same_boot ? "" : " (earlier boot)");
                else
                        printf("  State file:     none (%s/state)\n", xkd_state_dir());
                if (have_state && same_boot && st.load_failed) {
                        char failed[64];
                        struct tm tm;
                        gmtime_r(&st.load_failed, &tm);
                        strftime(failed, sizeof(failed), "%Y-%m-%d %H:%M:%S UTC", &tm);
                        printf("  Failed load:    %s (the crash region may be overwritten)\n", failed);
                }
                if (show_image) {
                        const char *kc = file_check(st.kernel, st.kernel_sha256);
                        const char *ic = file_check(st.initrd, st.initrd_sha256);
                        printf("  Crash region:   0x%llx, %llu MiB\n", (unsigned long long) st.crash_start,
                               (unsigned long long) (st.crash_size >> 20));
                        printf("  Kernel:         %s\n                  sha256 %s%s%s\n", st.kernel, st.kernel_sha256,
                               strcmp(kc, "unchanged") ? "  file on disk: " : "", strcmp(kc, "unchanged") ? kc : "");
                        if (*st.initrd)
                                printf("  Initramfs:      %s\n                  sha256 %s%s%s\n", st.initrd, st.initrd_sha256,
                                       strcmp(ic, "unchanged") ? "  file on disk: " : "", strcmp(ic, "unchanged") ? ic : "");
                        else
                                printf("  Initramfs:      none\n");
                        printf("  Command line:   %s\n", st.cmdline);
                        printf("  Loaded at:      %s\n", when);
                }
        }
        struct xkd_dump last;
        if (!json && last_crash(&last) == 0) {
                char line[2048];
                xkd_dump_describe(&last, line, sizeof(line));
                printf("  Last crash:     %s\n", line);
        }
        char last_test[1024];
        if (!json && xkd_test_status_line(last_test, sizeof(last_test)) >= 0)
                printf("  Test:           %s\n", last_test);
        return truth == LOADED ? 0 : truth == NOT_LOADED ? EXIT_NOT_LOADED : EXIT_UNKNOWN;
}
