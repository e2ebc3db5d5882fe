/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump test: crash the host on purpose, the way an administrator proves
 * the capture works.  It records a marker in the state directory first (when,
 * which boot, which dumps existed: lib/test-marker.h), so that after the
 * reboot `xen-kdump status` says whether the test produced a complete dump.
 *
 * The crash itself is dom0's sysrq 'c' written to /proc/sysrq-trigger below
 * $XKD_SYSROOT: the unit tests point that at a regular file, so the only way
 * this verb crashes anything is the real /proc on a real host.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dumplist.h"
#include "host.h"
#include "log.h"
#include "state.h"
#include "test-marker.h"
#include "verbs.h"

extern char **environ;

/* 0 when `xen-kdump status` says loaded; its exit status otherwise. */
static int image_loaded(void) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        pid_t pid;
        int status;

        if (n <= 0)
                return -errno;
        self[n] = '\0';
        char *const argv[] = { self, (char *) "status", NULL };
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        int r = posix_spawn(&pid, self, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int trigger_crash(void) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/proc/sysrq-trigger", xkd_host_sysroot());
        int fd = open(path, O_WRONLY | O_CLOEXEC);   /* never created: only the real one, or a test's */
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m; nothing crashed (the test marker "
                                       "stays: 'status' reports the test as not crashed)", path);
        sync();         /* the marker must survive the crash */
        if (write(fd, "c", 1) != 1) {
                int r = log_error_errno(-errno, "Writing 'c' to %s failed: %m; nothing crashed", path);
                close(fd);
                return r;
        }
        close(fd);
        return 0;
}

/* Where the test's dump will be: the local directory, or "remote:" and the ssh/nfs target,
 * whose dumps status cannot look at. */
static int target_dir(char *buf, size_t size) {
        xkd_config *c = NULL;
        int r = xkd_config_load(&c, NULL);

        if (r < 0)
                return r;
        const struct xkd_target *t = xkd_config_target(c);
        if (t->kind == XKD_TARGET_PATH)
                snprintf(buf, size, "%s", t->dir);
        else
                snprintf(buf, size, XKD_TEST_REMOTE "%s", xkd_config_get(c, XKD_CONF_TARGET));
        xkd_config_free(c);
        return 0;
}

static int confirm(void) {
        char line[64];

        if (!isatty(STDIN_FILENO)) {
                log_error("'xen-kdump test' crashes this host; pass --yes to confirm from a script.");
                return 2;
        }
        printf("This CRASHES THIS HOST NOW (dom0 panics, Xen runs the capture kernel, the host\n"
               "reboots). Every guest goes down with it. Type 'yes' to go on: ");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin) || strcmp(line, "yes\n") != 0) {
                printf("Not confirmed; nothing done.\n");
                return 1;
        }
        return 0;
}

int verb_test(int argc, char **argv) {
        static const struct option options[] = {
                { "yes",  no_argument, NULL, 'y' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct xkd_test_marker m = {};
        struct xkd_dump *dumps = NULL;
        size_t n = 0;
        int yes = 0, opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "yh", options, NULL)) >= 0)
                switch (opt) {
                case 'y': yes = 1; break;
                case 'h':
                        printf("Usage: xen-kdump test [--yes]\n\n"
                               "Crash this host on purpose (dom0 sysrq c) to test the capture. After the\n"
                               "reboot, 'xen-kdump status' says whether the test left a complete dump.\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump test --help'.", argv[optind]);
                return 2;
        }

        r = image_loaded();
        if (r != 0) {
                log_error("No crash image is known to be loaded ('xen-kdump status' exits %d): the crash "
                          "would only reboot the host. Run 'xen-kdump load' (or 'systemctl start "
                          "xen-kdump'), then test again.", r);
                return 1;
        }
        r = target_dir(m.dir, sizeof(m.dir));
        if (r < 0)
                return r;
        if (strncmp(m.dir, XKD_TEST_REMOTE, strlen(XKD_TEST_REMOTE)) != 0) {
                r = xkd_dumps_scan(m.dir, &dumps, &n);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "Cannot read the dump directory %s: %m; fix that first, "
                                               "or the test could not be checked afterwards", m.dir);
                r = xkd_test_marker_set_before(&m, dumps, n);
                free(dumps);
                if (r < 0)
                        goto out;
        }

        if (!yes) {
                r = confirm();
                if (r != 0)
                        goto out;
        }
        m.time = time(NULL);
        xkd_boot_id(m.boot_id, sizeof(m.boot_id));
        if (!m.boot_id[0])
                snprintf(m.boot_id, sizeof(m.boot_id), "unknown");
        r = xkd_test_marker_write(&m);
        if (r < 0) {
                r = log_error_errno(r, "Cannot write the test marker in %s: %m; not crashing (the result "
                                    "could not be checked after the reboot)", xkd_state_dir());
                goto out;
        }
        printf("Test marker written (%s/test). Crashing now; after the reboot run 'xen-kdump status'.\n",
               xkd_state_dir());
        fflush(stdout);
        r = trigger_crash();
        if (r == 0)
                printf("Crash triggered, yet still running: the trigger is not the real /proc "
                       "($XKD_SYSROOT set?).\n");
out:
        xkd_test_marker_free(&m);
        return r;
}
