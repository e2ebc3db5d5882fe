/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump setup: put crashkernel= on Xen's command line through GRUB.
 *
 * It writes /etc/default/grub.d/xen-kdump.cfg, which GRUB's configuration
 * generator sources after /etc/default/grub, so the admin's own files stay
 * untouched and removing ours undoes it.  Only GRUB_CMDLINE_XEN_DEFAULT is
 * changed: crashkernel= on dom0's line (GRUB_CMDLINE_LINUX*) reserves memory
 * in dom0, which Xen never uses for its crash image.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "estimate.h"
#include "log.h"
#include "verbs.h"

extern char **environ;

#define GRUB_DEFAULT    "/etc/default/grub"
#define GRUB_D          "/etc/default/grub.d"
#define SETUP_CFG       GRUB_D "/xen-kdump.cfg"

/* Runs argv with stdout into buf (NUL-terminated, cut), stderr inherited; returns its exit
 * status, 127 when it could not be started. */
static int run_capture(char *const argv[], char *buf, size_t size) {
        posix_spawn_file_actions_t fa;
        int pipefd[2], status;
        size_t used = 0;
        pid_t pid;
        ssize_t n;

        buf[0] = '\0';
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return 127;
        }
        while ((n = read(pipefd[0], buf + used, size - 1 - used)) > 0 || (n < 0 && errno == EINTR))
                if (n > 0) {
                        used += (size_t) n;
                        if (used == size - 1) {
                                char sink[4096];
                                while (read(pipefd[0], sink, sizeof(sink)) > 0)
                                        ;
                                break;
                        }
                }
        buf[used] = '\0';
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* GRUB_CMDLINE_XEN_DEFAULT as grub-mkconfig will see it: /etc/default/grub, then every
 * grub.d's .cfg files in order, sourced by a shell exactly as grub-mkconfig sources them. */
static int effective_xen_default(const char *root, char *buf, size_t size) {
        static const char script[] =
                "set -e; . \"$1" GRUB_DEFAULT "\"; "
                "for f in \"$1\"" GRUB_D "/*.cfg; do if [ -e \"$f\" ]; then . \"$f\"; fi; done; "
                "printf '%s' \"${GRUB_CMDLINE_XEN_DEFAULT-}\"";
        char *const argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, (char *) "sh",
                               (char *) root, NULL };
        int r = run_capture(argv, buf, size);

        if (r != 0)
                return log_error_errno(-EINVAL, "Sourcing %s%s and %s%s/*.cfg failed (exit %d); fix the "
                                       "shell syntax there first: update-grub would fail the same way",
                                       root, GRUB_DEFAULT, root, GRUB_D, r);
        return 0;
}

/* GRUB_CMDLINE_XEN_DEFAULT as it would be with text as our file, without writing to root:
 * a scratch root whose grub and grub.d files are symlinks to root's, ours written there in
 * its place, sourced in the same order. */
static int would_be_xen_default(const char *root, const char *text, char *buf, size_t size) {
        char tmp[] = "/tmp/xkd-grub-dry-XXXXXX", p[4608], q[4608], cwd[2048], abs[4096];
        const char *const dirs[] = { "/etc", "/etc/default", GRUB_D };
        struct dirent *de;
        int r = 0;
        DIR *d;

        /* The symlinks must name root's files from anywhere. */
        if (root[0] && root[0] != '/' && getcwd(cwd, sizeof(cwd)))
                snprintf(abs, sizeof(abs), "%s/%s", cwd, root);
        else
                snprintf(abs, sizeof(abs), "%s", root);
        root = abs;
        if (!mkdtemp(tmp))
                return log_error_errno(-errno, "Cannot make a scratch directory in /tmp: %m");
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && r == 0; i++) {
                snprintf(p, sizeof(p), "%s%s", tmp, dirs[i]);
                if (mkdir(p, 0700) < 0)
                        r = -errno;
        }
        snprintf(p, sizeof(p), "%s" GRUB_DEFAULT, root);
        snprintf(q, sizeof(q), "%s" GRUB_DEFAULT, tmp);
        if (r == 0 && symlink(p, q) < 0)
                r = -errno;
        snprintf(p, sizeof(p), "%s" GRUB_D, root);
        d = r == 0 ? opendir(p) : NULL;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && strcmp(de->d_name, "xen-kdump.cfg") != 0) {
                        snprintf(p, sizeof(p), "%s" GRUB_D "/%s", root, de->d_name);
                        snprintf(q, sizeof(q), "%s" GRUB_D "/%s", tmp, de->d_name);
                        if (symlink(p, q) < 0 && r == 0)
                                r = -errno;
                }
        if (d)
                closedir(d);
        snprintf(q, sizeof(q), "%s" SETUP_CFG, tmp);
        if (r == 0) {
                FILE *f = fopen(q, "we");
                if (!f || fputs(text, f) < 0)
                        r = -errno;
                if (f && fclose(f) != 0 && r == 0)
                        r = -errno;
        }
        if (r < 0)
                log_error_errno(r, "Cannot prepare the scratch copy of GRUB's files in %s: %m", tmp);
        else
                r = effective_xen_default(tmp, buf, size);
        /* Only what we made: symlinks, our file, the three directories. */
        snprintf(p, sizeof(p), "%s" GRUB_D, tmp);
        d = opendir(p);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.') {
                        snprintf(q, sizeof(q), "%s" GRUB_D "/%s", tmp, de->d_name);
                        unlink(q);
                }
        if (d)
                closedir(d);
        snprintf(q, sizeof(q), "%s" GRUB_DEFAULT, tmp);
        unlink(q);
        for (size_t i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
                snprintf(p, sizeof(p), "%s%s", tmp, dirs[i]);
                rmdir(p);
        }
        rmdir(tmp);
        return r;
}

/* The crashkernel= value last on a command line ("" when none). */
static void last_crashkernel(const char *cmdline, char *buf, size_t size) {
        buf[0] = '\0';
        for (const char *p = cmdline; (p = strstr(p, "crashkernel=")); p += 12) {
                if (p != cmdline && p[-1] != ' ' && p[-1] != '\t')
                        continue;
                size_t len = strcspn(p + 12, " \t");
                snprintf(buf, size, "%.*s", (int) len, p + 12);
        }
}

/* Whether Xen's effective command line `after` still ends with crashkernel=arg: a
 * GRUB file sourced after ours may set GRUB_CMDLINE_XEN_DEFAULT again. */
static bool keeps_crashkernel(const char *path, const char *after, const char *arg) {
        char ck[64];

        last_crashkernel(after, ck, sizeof(ck));
        if (strcmp(ck, arg) == 0)
                return true;
        log_error("A file sourced after %s sets GRUB_CMDLINE_XEN_DEFAULT again (Xen would get crashkernel=%s); "
                  "make it append to \"$GRUB_CMDLINE_XEN_DEFAULT\" instead of replacing it, then run "
                  "'xen-kdump setup' again.", path, ck[0] ? ck : "(none)");
        return false;
}

/* The size `xen-kdump estimate` recommends, from its "needed ... -> crashkernel=SIZE" line:
 * the same computation, the same answer the admin sees when running it. */
static int estimated_size(char *arg, size_t size) {
        static char out[65536];
        const char *how;
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0)
                return log_error_errno(-errno, "Cannot find my own binary to run 'estimate': %m; "
                                       "pass --size SIZE");
        self[n] = '\0';
        const char *config = xkd_config_path(&how);
        char *argv[] = { self, (char *) "--config", (char *) config, (char *) "estimate", NULL };
        if (strcmp(how, "default") == 0) {      /* the default file may be absent: estimate's call */
                argv[1] = (char *) "estimate";
                argv[2] = NULL;
        }
        int r = run_capture(argv, out, sizeof(out));
        if (r != 0)
                return log_error_errno(-EINVAL, "'xen-kdump estimate' failed (exit %d, see above); fix "
                                       "that or pass --size SIZE", r);
        const char *p = strstr(out, "\n  needed ");
        const char *eol = p ? strchr(p + 1, '\n') : NULL;
        p = p ? strstr(p, "crashkernel=") : NULL;
        if (!p || (eol && p > eol))
                return log_error_errno(-EINVAL, "'xen-kdump estimate' printed no crashkernel= size; "
                                       "pass --size SIZE");
        p += strlen("crashkernel=");
        snprintf(arg, size, "%.*s", (int) strcspn(p, " \n"), p);
        return 0;
}

static int write_atomic(const char *path, const char *text) {
        char tmp[4200];
        int fd;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
                int r = errno ? -errno : -EIO;
                close(fd);
                unlink(tmp);
                return r;
        }
        close(fd);
        if (rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

static char *read_small(const char *path) {
        char *buf = calloc(1, 65537);
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (!buf || fd < 0) {
                free(buf);
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        ssize_t n = read(fd, buf, 65536);
        close(fd);
        if (n < 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static void usage(void) {
        printf("Usage: xen-kdump setup [--size SIZE] [--dry-run] [--no-update-grub] [--root DIR]\n\n"
               "Put crashkernel=SIZE on Xen's command line (GRUB_CMDLINE_XEN_DEFAULT, never\n"
               "dom0's) in " SETUP_CFG ", show the change and run update-grub.\n"
               "SIZE defaults to what 'xen-kdump estimate' recommends. Running it again with the\n"
               "same size changes nothing. A reboot makes Xen reserve the region.\n");
}

int verb_setup(int argc, char **argv) {
        enum { ARG_SIZE = 0x100, ARG_DRY_RUN, ARG_NO_UPDATE, ARG_ROOT };
        static const struct option options[] = {
                { "size",           required_argument, NULL, ARG_SIZE },
                { "dry-run",        no_argument,       NULL, ARG_DRY_RUN },
                { "no-update-grub", no_argument,       NULL, ARG_NO_UPDATE },
                { "root",           required_argument, NULL, ARG_ROOT },
                { "help",           no_argument,       NULL, 'h' },
                {}
        };
        static char before[8192], after[8192], text[9000];
        char path[4096], dir[4096], grub[4096], arg[64] = "", now_ck[64];
        const char *root = "";
        int dry_run = 0, update = 1, opt, r;
        uint64_t bytes;
        struct stat st;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case ARG_SIZE:
                        if (xkd_estimate_parse_size(optarg, &bytes) < 0 || bytes < XKD_MiB) {
                                log_error("--size '%s' is not a crash region size; write e.g. 256M.", optarg);
                                return 2;
                        }
                        xkd_estimate_size_arg(bytes, arg, sizeof(arg));
                        break;
                case ARG_DRY_RUN: dry_run = 1; break;
                case ARG_NO_UPDATE: update = 0; break;
                case ARG_ROOT:
                        root = strcmp(optarg, "/") == 0 ? "" : optarg;
                        break;
                case 'h':
                        usage();
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump setup --help'.", argv[optind]);
                return 2;
        }

        snprintf(grub, sizeof(grub), "%s" GRUB_DEFAULT, root);
        snprintf(dir, sizeof(dir), "%s" GRUB_D, root);
        snprintf(path, sizeof(path), "%s" SETUP_CFG, root);
        if (stat(grub, &st) < 0 || !S_ISREG(st.st_mode)) {
                log_error("No GRUB here (%s: %s): setup only edits GRUB's configuration. Put "
                          "crashkernel=SIZE on Xen's command line in your boot loader ('xen-kdump "
                          "estimate' says how much).", grub, errno ? strerror(errno) : "not a file");
                return 1;
        }
        if (!arg[0]) {
                r = estimated_size(arg, sizeof(arg));
                if (r < 0)
                        return r;
        }
        r = effective_xen_default(root, before, sizeof(before));
        if (r < 0)
                return r;
        last_crashkernel(before, now_ck, sizeof(now_ck));

        /* Sourced by grub-mkconfig: drop any crashkernel= already there (Xen keeps the last
         * one it parses, but one value is easier to read), then add ours. */
        snprintf(text, sizeof(text),
                 "# Written by 'xen-kdump setup': the crash region Xen reserves for xen-kdump's\n"
                 "# capture kernel. Xen's command line only, never dom0's. Remove this file and\n"
                 "# run update-grub to undo.\n"
                 "xkd_line=\n"
                 "for xkd_arg in ${GRUB_CMDLINE_XEN_DEFAULT-}; do\n"
                 "\tcase $xkd_arg in crashkernel=*) ;; *) xkd_line=\"$xkd_line${xkd_line:+ }$xkd_arg\" ;; esac\n"
                 "done\n"
                 "GRUB_CMDLINE_XEN_DEFAULT=\"$xkd_line${xkd_line:+ }crashkernel=%s\"\n"
                 "unset xkd_arg xkd_line\n", arg);

        char *old = read_small(path);
        int unchanged = old && strcmp(old, text) == 0;
        free(old);
        if (unchanged && strcmp(now_ck, arg) == 0) {
                printf("Xen's command line already has crashkernel=%s (%s); nothing to do.\n",
                       arg, path);
                return 0;
        }

        printf("%s %s:\n%s\n", dry_run ? "Would write" : "Writing", path, text);
        printf("GRUB_CMDLINE_XEN_DEFAULT now:   \"%s\"\n", before);
        if (dry_run) {
                r = would_be_xen_default(root, text, after, sizeof(after));
                if (r < 0)
                        return r;
                printf("GRUB_CMDLINE_XEN_DEFAULT after: \"%s\"\n", after);
                if (!keeps_crashkernel(path, after, arg))
                        return 1;
                printf("Dry run: nothing written; update-grub not run.\n");
                return 0;
        }

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create %s: %m", dir);
        r = write_atomic(path, text);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m; nothing changed", path);
        r = effective_xen_default(root, after, sizeof(after));
        if (r < 0)
                return r;
        printf("GRUB_CMDLINE_XEN_DEFAULT after: \"%s\"\n", after);
        if (!keeps_crashkernel(path, after, arg))
                return 1;
        if (!update) {
                printf("Not running update-grub (--no-update-grub): run it, then reboot.\n");
                return 0;
        }

        const char *updater = getenv("XKD_UPDATE_GRUB");
        char *const uargv[] = { (char *) (updater && updater[0] ? updater : "update-grub"), NULL };
        pid_t pid;
        int status;
        if (posix_spawnp(&pid, uargv[0], NULL, NULL, uargv, environ) != 0) {
                log_error("%s is written, but %s cannot be run (not installed?); run "
                          "'grub-mkconfig -o /boot/grub/grub.cfg', then reboot.", path, uargv[0]);
                return 1;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return log_error_errno(-errno, "Waiting for %s: %m", uargv[0]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log_error("%s failed (see above); %s is written: fix the error and run %s again.",
                          uargv[0], path, uargv[0]);
                return 1;
        }
        printf("Reboot for Xen to reserve the region; 'xen-kdump estimate' then shows it.\n");
        return 0;
}
