/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump propagate: ready an ssh target the way kdumpctl propagate does,
 * with the host key check the capture relies on.
 *   1. the identity: ssh_key, made with ssh-keygen -t ed25519 when missing
 *      (0600 in a 0700 directory); an identity others can read is refused;
 *   2. the server's host key, asked with ssh-keyscan, shown as ssh-keygen -l
 *      shows it, and pinned in ssh_known_hosts after a confirmation (--yes);
 *      a different key pinned before is never replaced silently;
 *   3. the public key appended to the server's ~/.ssh/authorized_keys over ssh
 *      against that pinned key alone (ssh asks for the password), unless the
 *      key already logs in;
 *   4. a check with the key alone (BatchMode), that the dump directory is writable.
 * --dry-run prints the commands and changes nothing.  The capture image takes
 * the key and the pinned host key at its next build (the pinned file is one
 * of its inputs: `xen-kdump load` rebuilds it).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "propagate.h"
#include "verbs.h"

struct opts {
        bool yes, dry_run, replace;
};

/* The command as a shell would take it, for --dry-run and messages. */
static void print_command(const char *const *argv) {
        for (size_t i = 0; argv[i]; i++) {
                const char *a = argv[i];
                bool plain = a[0] && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                               "0123456789-_./=:@,+[]") == strlen(a);
                fputs(i ? " " : "  ", stdout);
                if (plain)
                        fputs(a, stdout);
                else {
                        putchar('\'');
                        for (; *a; a++)
                                fputs(*a == '\'' ? "'\\''" : (char[]) { *a, 0 }, stdout);
                        putchar('\'');
                }
        }
        putchar('\n');
}

/* Runs argv; its stdout into out (when given, NUL-terminated), else the terminal's. */
static int run(const char *const *argv, char *out, size_t size) {
        int pipefd[2] = { -1, -1 }, status;
        size_t used = 0;
        pid_t pid;

        if (out && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (out)
                        dup2(pipefd[1], STDOUT_FILENO);
                execvp(argv[0], (char *const *) argv);
                fprintf(stderr, "xen-kdump: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        if (out) {
                close(pipefd[1]);
                for (;;) {
                        ssize_t n = read(pipefd[0], out + used, size - 1 - used);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        used += (size_t) n;
                        if (used == size - 1)
                                break;
                }
                out[used] = '\0';
                close(pipefd[0]);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int read_text(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return (int) n;
}

/* mkdir -p of path's directory; what it creates is 0700. */
static int mkdir_private_parent(const char *path) {
        char dir[4096];
        char *slash;

        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        for (char *p = dir + 1; ; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                        return -errno;
                *p = c;
                if (!c)
                        break;
        }
        return 0;
}

/* Step 1: the identity exists, private, with its public half. */
static int ensure_identity(const char *key, const struct opts *o, char *pub, size_t pub_size) {
        char pubpath[4200], hostname[256] = "host", comment[300];
        struct stat st;
        int r;

        if (stat(key, &st) == 0) {
                if (!S_ISREG(st.st_mode))
                        return log_error_errno(-EINVAL, "ssh_key %s is not a file; point ssh_key at the private key", key);
                if (st.st_mode & 077)
                        return log_error_errno(-EPERM, "ssh_key %s is readable by others (mode %03o): chmod 600 %s",
                                               key, (unsigned) (st.st_mode & 0777), key);
                printf("Identity: %s (exists)\n", key);
        } else if (errno != ENOENT)
                return log_error_errno(-errno, "Cannot look at ssh_key %s: %m", key);
        else {
                gethostname(hostname, sizeof(hostname) - 1);
                snprintf(comment, sizeof(comment), "xen-kdump@%s", hostname);
                const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key, NULL };
                printf("Identity: %s is missing; making it:\n", key);
                print_command(argv);
                if (o->dry_run) {
                        snprintf(pub, pub_size, "(the new public key)");
                        return 0;
                }
                r = mkdir_private_parent(key);
                if (r < 0)
                        return log_error_errno(r, "Cannot create the directory of %s: %m", key);
                r = run(argv, NULL, 0);
                if (r != 0)
                        return log_error_errno(r < 0 ? r : -EIO, "ssh-keygen failed (status %d): install openssh-client", r);
                chmod(key, 0600);
        }
        snprintf(pubpath, sizeof(pubpath), "%s.pub", key);
        r = read_text(pubpath, pub, pub_size);
        if (r <= 0)
                return log_error_errno(r < 0 ? r : -ENODATA, "Cannot read the public key %s: %m; "
                                       "recreate it with ssh-keygen -y -f %s > %s", pubpath, key, pubpath);
        pub[strcspn(pub, "\n")] = '\0';
        return 0;
}

static int confirm(const char *what) {
        char line[16];

        if (!isatty(STDIN_FILENO))
                return log_error_errno(-EPERM, "Not pinning %s without a confirmation: check the fingerprint, "
                                       "then pass --yes from a script", what);
        printf("Pin this host key? Compare the fingerprint with the server's own "
               "(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there). [y/N] ");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
                return log_error_errno(-ECANCELED, "Not confirmed: nothing pinned, nothing installed");
        return 0;
}

/* Step 2: the host key, shown and pinned. */
static int pin_host_key(xkd_config *c, const struct opts *o, const char *name) {
        const struct xkd_target *t = xkd_config_target(c);
        const char *file = xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS);
        char port[16], timeout[16], scan[16384], key[8192], fp[64], old[65536], tmp[4200];
        char *text = NULL;
        int r;

        snprintf(port, sizeof(port), "%llu", (unsigned long long) xkd_config_get_number(c, XKD_CONF_SSH_PORT));
        snprintf(timeout, sizeof(timeout), "%llu", (unsigned long long) xkd_config_get_number(c, XKD_CONF_TIMEOUT));
        const char *host = t->host;
        char bare[256];
        snprintf(bare, sizeof(bare), "%s", host[0] == '[' ? host + 1 : host);
        bare[strcspn(bare, "]")] = '\0';
        const char *argv[] = { "ssh-keyscan", "-T", timeout, "-p", port, "-t", "ed25519,ecdsa,rsa", bare, NULL };
        printf("Host key: asking %s:\n", name);
        print_command(argv);
        if (o->dry_run) {
                printf("Would pin it in %s (as '%s TYPE KEY') after showing its fingerprint.\n", file, name);
                return 0;
        }
        r = run(argv, scan, sizeof(scan));
        if (r != 0 || xkd_keyscan_pick(scan, key, sizeof(key)) < 0)
                return log_error_errno(-EHOSTUNREACH, "%s offered no ssh host key (ssh-keyscan status %d): "
                                       "check the host, ssh_port and that sshd runs there", name, r);
        /* The same rules as a key typed into ssh_known_host. */
        r = xkd_config_set(c, XKD_CONF_SSH_KNOWN_HOST, key, "ssh-keyscan");
        if (r < 0)
                return r;
        r = xkd_ssh_fingerprint(key, fp, sizeof(fp));
        if (r < 0)
                return log_error_errno(r, "Cannot take the fingerprint of the host key: %m");
        printf("%s offers %.*s %s\n", name, (int) strcspn(key, " "), key, fp);

        r = read_text(file, old, sizeof(old));
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Cannot read %s: %m", file);
        if (r < 0)
                old[0] = '\0';
        r = xkd_known_hosts_update(old, name, key, o->replace, &text);
        if (r == -EEXIST)
                return log_error_errno(r, "%s pins another host key for %s than the one it offers now (%s): "
                                       "if the server's key really changed, run 'xen-kdump propagate "
                                       "--replace-host-key'; else someone is in between", file, name, fp);
        if (r < 0)
                return log_error_errno(r, "Cannot update %s: %m", file);
        if (strcmp(text, old) == 0) {
                printf("Pinned already in %s.\n", file);
                free(text);
                return 0;
        }
        if (!o->yes && (r = confirm(fp)) < 0) {
                free(text);
                return r;
        }
        /* Written beside and renamed: the file is never half there. */
        snprintf(tmp, sizeof(tmp), "%s.new", file);
        r = mkdir_private_parent(file);
        int fd = r < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text) || fchmod(fd, 0644) < 0 ||
            fsync(fd) < 0 || close(fd) < 0 || rename(tmp, file) < 0) {
                r = -errno;
                if (fd >= 0)
                        unlink(tmp);
                free(text);
                return log_error_errno(r ? r : -EIO, "Cannot write %s: %m", file);
        }
        free(text);
        printf("Pinned in %s.\n", file);
        return 0;
}

/* The target directory in single quotes for the server's sh. */
static void sh_quote(const char *s, char *out, size_t size) {
        size_t o = 0;
        out[o++] = '\'';
        for (; *s && o + 6 < size; s++) {
                if (*s == '\'') {
                        memcpy(out + o, "'\\''", 4);
                        o += 4;
                } else
                        out[o++] = *s;
        }
        out[o++] = '\'';
        out[o] = '\0';
}

/* Steps 3 and 4: the key authorized on the server, then checked alone. */
static int install_key(xkd_config *c, const struct opts *o, const char *pub) {
        const struct xkd_target *t = xkd_config_target(c);
        struct xkd_ssh_dest d = {
                .user = t->user, .host = t->host,
                .port = (unsigned) xkd_config_get_number(c, XKD_CONF_SSH_PORT),
                .known_hosts = xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS),
                .identity = xkd_config_get(c, XKD_CONF_SSH_KEY),
                .timeout = (unsigned) xkd_config_get_number(c, XKD_CONF_TIMEOUT),
                .batch = true,
        };
        char buf[8192], check[4400], qdir[4200];
        const char *argv[40];
        char *add = NULL;
        size_t n;
        int r;

        /* An ssh_known_host in the config is what the capture uses: check against it. */
        sh_quote(t->dir, qdir, sizeof(qdir));
        snprintf(check, sizeof(check), "mkdir -p -- %s && test -w %s", qdir, qdir);
        r = xkd_ssh_argv(&d, check, buf, sizeof(buf), argv, 40, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot build the ssh command: %m");
        if (o->dry_run) {
                printf("Would log in with the key alone and check %s is writable:\n", t->dir);
                print_command(argv);
        } else if (run(argv, NULL, 0) == 0) {
                printf("The key logs in already, and %s is writable.\n", t->dir);
                return 0;
        }

        r = xkd_authorized_keys_command(pub, &add);
        if (r < 0 && !o->dry_run)
                return log_error_errno(r, "The public key of %s is not one printable line without quotes; "
                                       "recreate it with ssh-keygen -y", d.identity);
        struct xkd_ssh_dest pw = d;
        pw.identity = NULL;
        pw.batch = false;
        r = xkd_ssh_argv(&pw, add ? add : "(append the public key to ~/.ssh/authorized_keys)", buf, sizeof(buf),
                         argv, 40, &n);
        if (r < 0) {
                free(add);
                return log_error_errno(r, "Cannot build the ssh command: %m");
        }
        printf("Installing the public key on %s@%s (ssh asks for the password):\n", t->user, t->host);
        print_command(argv);
        if (o->dry_run) {
                free(add);
                return 0;
        }
        r = run(argv, NULL, 0);
        free(add);
        if (r != 0)
                return log_error_errno(-EACCES, "Installing the key failed (ssh status %d): check the user, the "
                                       "password and that the host key matches the pinned one", r);
        r = xkd_ssh_argv(&d, check, buf, sizeof(buf), argv, 40, &n);
        if (r == 0 && (r = run(argv, NULL, 0)) != 0)
                return log_error_errno(-EACCES, "The key was installed but does not log in alone, or %s is not "
                                       "writable there (ssh status %d)", t->dir, r);
        printf("The key logs in, and %s is writable.\n", t->dir);
        return 0;
}

int verb_propagate(int argc, char **argv) {
        enum { ARG_CONFIG = 0x100, ARG_DRY_RUN, ARG_REPLACE };
        static const struct option options[] = {
                { "config",           required_argument, NULL, ARG_CONFIG },
                { "yes",              no_argument,       NULL, 'y' },
                { "dry-run",          no_argument,       NULL, ARG_DRY_RUN },
                { "replace-host-key", no_argument,       NULL, ARG_REPLACE },
                { "help",             no_argument,       NULL, 'h' },
                {}
        };
        struct opts o = { 0 };
        char pub[8192], name[300];
        xkd_config *c = NULL;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "yh", options, NULL)) >= 0)
                switch (opt) {
                case ARG_CONFIG: xkd_config_set_path(optarg); break;
                case 'y': o.yes = true; break;
                case ARG_DRY_RUN: o.dry_run = true; break;
                case ARG_REPLACE: o.replace = true; break;
                case 'h':
                        printf("Usage: xen-kdump propagate [--config FILE] [--yes] [--dry-run] [--replace-host-key]\n\n"
                               "Make the ssh identity (ssh_key), show and pin the target's host key in\n"
                               "ssh_known_hosts, and install the identity on the target (ssh asks for the\n"
                               "password once).\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump propagate --help'.", argv[optind]);
                return 2;
        }
        /* Not validated: the pin this makes is what the ssh rule asks for. */
        r = xkd_config_load(&c, NULL);
        if (r < 0)
                return r;
        const struct xkd_target *t = xkd_config_target(c);
        if (t->kind != XKD_TARGET_SSH) {
                log_error("%s has no ssh target (target %s): propagate readies an ssh target; set "
                          "'target ssh USER@HOST:/DIR' first", xkd_config_file(c, NULL), xkd_config_get(c, XKD_CONF_TARGET));
                xkd_config_free(c);
                return -EINVAL;
        }
        r = xkd_known_hosts_name(t->host, (unsigned) xkd_config_get_number(c, XKD_CONF_SSH_PORT), name, sizeof(name));
        if (r == 0)
                r = ensure_identity(xkd_config_get(c, XKD_CONF_SSH_KEY), &o, pub, sizeof(pub));
        if (r == 0 && xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOST)[0])
                printf("Note: ssh_known_host is set in %s; the capture uses it rather than %s.\n",
                       xkd_config_file(c, NULL), xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS));
        if (r == 0)
                r = pin_host_key(c, &o, name);
        if (r == 0)
                r = install_key(c, &o, pub);
        if (r == 0)
                printf(o.dry_run ? "Dry run: nothing changed.\n"
                                 : "Done. The capture image takes the key and the pinned host key at its next "
                                   "build: 'systemctl reload xen-kdump' (or 'xen-kdump rebuild').\n");
        xkd_config_free(c);
        return r;
}
