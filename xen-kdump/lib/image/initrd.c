/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building the capture initramfs with dracut, and knowing when to.  The
 * validated config reaches the dracut module as a generated sh file
 * ($XEN_KDUMP_ENV_FILE), so the module never parses the config itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture-kernel.h"
#include "files.h"
#include "initrd-drivers.h"
#include "initrd-net.h"
#include "initrd.h"
#include "log.h"

int xkd_kernel_image_release(const char *path, char *buf, size_t size) {
        unsigned char hdr[0x210];
        char text[128];
        ssize_t n;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);     /* a FIFO must not block */
        if (fd < 0)
                return -errno;
        n = pread(fd, hdr, sizeof(hdr), 0);
        if (n != (ssize_t) sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4) != 0) {
                r = -ENOEXEC;       /* not a bzImage */
                goto out;
        }
        /* kernel_version: offset of a NUL-terminated string, minus 0x200. */
        unsigned off = (unsigned) hdr[0x20e] | (unsigned) hdr[0x20f] << 8;
        if (off == 0) {
                r = -ENODATA;
                goto out;
        }
        n = pread(fd, text, sizeof(text) - 1, (off_t) off + 0x200);
        if (n <= 0) {
                r = n < 0 ? -errno : -ENODATA;
                goto out;
        }
        text[n] = '\0';
        size_t len = strcspn(text, " \t\n");
        if (len == 0 || len >= size) {
                r = -ENODATA;
                goto out;
        }
        memcpy(buf, text, len);
        buf[len] = '\0';
out:
        close(fd);
        return r;
}

static int newer_than(const char *path, const struct timespec *t, bool *newer) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        *newer = st.st_mtim.tv_sec > t->tv_sec ||
                 (st.st_mtim.tv_sec == t->tv_sec && st.st_mtim.tv_nsec > t->tv_nsec);
        return 0;
}

/* The validated config as the image sees it; the sidecar "<initrd>.config" keeps a copy. */
static char *render_config(const xkd_config *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        xkd_config_print_shell(c, f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static char *sidecar_path(const char *initrd) {
        char *p = NULL;
        return asprintf(&p, "%s.config", initrd) < 0 ? NULL : p;
}

const char *xkd_initrd_hooks_dir(void) {
        const char *d = getenv("XKD_HOOKS_DIR");
        return d && d[0] ? d : XKD_HOOKS_DIR;
}

/* 1 (and why) when pre.d or post.d, or a file in them, is newer than t. */
static int hooks_newer(const struct timespec *t, char *why, size_t size) {
        static const char *const phases[] = { "pre.d", "post.d" };
        char dir[4096], p[4096 + 256];
        bool newer;

        for (size_t i = 0; i < 2; i++) {
                snprintf(dir, sizeof(dir), "%s/%s", xkd_initrd_hooks_dir(), phases[i]);
                if (newer_than(dir, t, &newer) < 0)
                        continue;
                if (newer) {
                        snprintf(why, size, "%s changed after the image was built", dir);
                        return 1;
                }
                DIR *d = opendir(dir);
                struct dirent *de;
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
                        if (newer_than(p, t, &newer) == 0 && newer) {
                                snprintf(why, size, "%s is newer than the image", p);
                                closedir(d);
                                return 1;
                        }
                }
                closedir(d);
        }
        return 0;
}

int xkd_initrd_stale(const xkd_config *c, const char *module_dir, char *why, size_t size) {
        const char *initrd = xkd_config_get(c, XKD_CONF_INITRD);
        const char *inputs[] = {
                xkd_config_get(c, XKD_CONF_KERNEL),
                xkd_config_target(c)->kind == XKD_TARGET_SSH ? xkd_config_get(c, XKD_CONF_SSH_KEY) : NULL,
                xkd_config_target(c)->kind == XKD_TARGET_SSH ? xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS) : NULL,
                xkd_config_get(c, XKD_CONF_PRE_HOOK),
                xkd_config_get(c, XKD_CONF_POST_HOOK),
        };
        struct stat st;
        bool newer;
        int r;

        if (stat(initrd, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                snprintf(why, size, "%s does not exist", initrd);
                return 1;
        }

        /* An image xen-kdump did not build (no sidecar) is the administrator's: never replaced. */
        char *side = sidecar_path(initrd), *built = NULL, *now = render_config(c);
        if (!side || !now) {
                free(side);
                free(now);
                return -ENOMEM;
        }
        r = xkd_read_text_file(side, 65535, &built);
        free(side);
        if (r < 0) {
                free(now);
                if (r != -ENOENT)
                        return r;
                snprintf(why, size, "%s was not built by 'xen-kdump rebuild'; left alone", initrd);
                return 0;
        }
        bool changed = strcmp(built, now) != 0;
        free(built);
        free(now);
        if (changed) {
                snprintf(why, size, "the configuration changed since %s was built", initrd);
                return 1;
        }
        r = xkd_initrd_net_stale(c, module_dir, initrd, why, size);
        if (r != 0)
                return r;

        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                if (!inputs[i] || !inputs[i][0])
                        continue;
                r = newer_than(inputs[i], &st.st_mtim, &newer);
                if (r == -ENOENT)
                        continue;       /* absent inputs are reported by the build */
                if (r < 0)
                        return r;
                if (newer) {
                        snprintf(why, size, "%s is newer than %s", inputs[i], initrd);
                        return 1;
                }
        }

        /* The hook directories: a hook added, removed (the directory's time) or edited. */
        r = hooks_newer(&st.st_mtim, why, size);
        if (r != 0)
                return r;

        DIR *d = opendir(module_dir ? module_dir : XKD_DRACUT_MODULE_DIR);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        struct dirent *de;
        r = 0;
        while (r == 0 && (de = readdir(d))) {
                char p[4096];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), "%s/%s", module_dir ? module_dir : XKD_DRACUT_MODULE_DIR,
                         de->d_name);
                if (newer_than(p, &st.st_mtim, &newer) == 0 && newer) {
                        snprintf(why, size, "%s is newer than %s", p, initrd);
                        r = 1;
                }
        }
        closedir(d);
        return r;
}

int xkd_initrd_env_file(const xkd_config *c, unsigned image_flags, char *path, size_t size) {
        const char *tmp = getenv("TMPDIR");
        FILE *f;
        int fd;

        snprintf(path, size, "%s/xen-kdump-env.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        fd = mkstemp(path);     /* 0600 */
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                int r = -errno;
                close(fd);
                unlink(path);
                return r;
        }
        xkd_config_print_shell(c, f);
        /* The dracut module's flavour: the small one for a kernel without
         * modules, and for a modular one when the target allows. */
        if (image_flags & XKD_IMAGE_NO_MODULES)
                fputs("XKD_NO_KERNEL_MODULES='1'\n", f);
        if (image_flags & XKD_IMAGE_SMALL)
                fputs("XKD_SMALL_IMAGE='1'\n", f);
        /* Where this xen-kdump lives, so the module finds the collector installed beside it. */
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash && !strchr(self, '\''))
                        fprintf(f, "XKD_BINDIR='%.*s'\n", (int) (slash - self), self);
        }
        if (fclose(f) != 0) {
                unlink(path);
                return -EIO;
        }
        return 0;
}

/* Written after the image is in place: a crash in between leaves an image that looks foreign, not current. */
static int write_sidecar(const xkd_config *c, const char *output) {
        char *side = sidecar_path(output), *text = render_config(c);
        int r = side && text ? xkd_write_file_atomic(side, text) : -ENOMEM;

        free(side);
        free(text);
        return r;
}

static int mkdir_parents(const char *path, mode_t mode) {
        char buf[4096];

        if (strlen(path) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return 0;
}

/* The network plan into a private temporary file for the dracut module
 * ($XEN_KDUMP_NETPLAN); path[0] stays '\0' when there is no plan. */
/* The plan the image was built with becomes "<initrd>.network" (written beside
 * it and renamed: the temporary file may be on another filesystem); no plan, no record. */
static int keep_netplan(const char *netplan, const char *output) {
        char *side = xkd_initrd_net_sidecar(output), *plan = NULL;
        int r = 0;

        if (!side)
                return -ENOMEM;
        if (!netplan[0]) {
                if (unlink(side) < 0 && errno != ENOENT)
                        r = -errno;
                goto out;
        }
        r = xkd_read_text_file(netplan, 65535, &plan);
        unlink(netplan);
        if (r < 0)
                goto out;
        r = xkd_write_file_atomic(side, plan);
out:
        free(side);
        free(plan);
        return r;
}

static int run_dracut(char **argv, const char *env_file, const char *netplan_file) {
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                setenv("XEN_KDUMP_ENV_FILE", env_file, 1);
                if (netplan_file)
                        setenv("XEN_KDUMP_NETPLAN", netplan_file, 1);
                execvp(argv[0], argv);
                log_error_errno(errno, "Failed to run %s: %m", argv[0]);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EPROTO;
}

/* dracut_args and extra_modules, split: the config validated both already. */
struct dracut_extra {
        char **words;
        size_t n_words;
        char *drivers;                  /* extra_modules as one blank-separated list, or NULL */
};

static void dracut_extra_done(struct dracut_extra *x) {
        free(x->words);
        free(x->drivers);
}

static int dracut_extra_get(const xkd_config *c, struct dracut_extra *x) {
        char **mods = NULL;
        size_t n_mods = 0, len = 1;
        int r;

        *x = (struct dracut_extra) { 0 };
        r = xkd_config_split_words(xkd_config_get(c, XKD_CONF_DRACUT_ARGS), &x->words, &x->n_words, NULL);
        if (r == 0)
                r = xkd_config_split_words(xkd_config_get(c, XKD_CONF_EXTRA_MODULES), &mods, &n_mods, NULL);
        if (r == 0 && (x->n_words > 32 || n_mods > 32))
                r = -E2BIG;
        for (size_t i = 0; r == 0 && i < n_mods; i++)
                len += strlen(mods[i]) + 1;
        if (r == 0 && n_mods > 0) {
                x->drivers = calloc(1, len);
                if (!x->drivers)
                        r = -ENOMEM;
                for (size_t i = 0; x->drivers && i < n_mods; i++) {
                        if (i)
                                strcat(x->drivers, " ");
                        strcat(x->drivers, mods[i]);
                }
        }
        free(mods);
        if (r < 0)
                dracut_extra_done(x);
        return r;
}

static int build(const xkd_config *c, const struct xkd_initrd_options *o, const struct dracut_extra *x);

int xkd_initrd_build(const xkd_config *c, const struct xkd_initrd_options *o) {
        struct dracut_extra x;
        int r = dracut_extra_get(c, &x);

        if (r < 0)
                return log_error_errno(r, "Invalid dracut_args or extra_modules (%m): see 'xen-kdump show'.");
        r = build(c, o, &x);
        dracut_extra_done(&x);
        return r;
}

static int build(const xkd_config *c, const struct xkd_initrd_options *o, const struct dracut_extra *x) {
        const char *output = o->output ? o->output : xkd_config_get(c, XKD_CONF_INITRD);
        const char *kernel = xkd_config_get(c, XKD_CONF_KERNEL);
        const char *dracut = o->dracut ? o->dracut : getenv("XKD_DRACUT");
        char kver[128], env_file[4096], tmp_out[4096], confdir[4096] = "", netplan[4096] = "";
        bool no_modules = xkd_kernel_is_minimal(kernel), small = no_modules;
        char *argv[32 + 64 + 32 + 2];
        size_t n = 0;
        int r;

        if (o->kver)
                snprintf(kver, sizeof(kver), "%s", o->kver);
        else {
                r = xkd_kernel_image_release(kernel, kver, sizeof(kver));
                if (r < 0)
                        return log_error_errno(r, "Failed to read the release of capture kernel %s: "
                                               "%m; pass --kver VERSION", kernel);
        }
        if (o->n_extra_args > 64)
                return log_error_errno(-E2BIG, "Too many dracut arguments (at most 64).");

        if ((size_t) snprintf(tmp_out, sizeof(tmp_out), "%s.new", output) >= sizeof(tmp_out))
                return log_error_errno(-ENAMETOOLONG, "Initrd path %s is too long.", output);

        /* The image may hold the ssh identity: keep its directory private. */
        r = mkdir_parents(output, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create the directory of %s: %m", output);
        r = xkd_initrd_net_plan_file(c, o->module_dir, netplan, sizeof(netplan));
        if (r < 0)
                return r;       /* logged */
        /* The small image for a distribution kernel too when the target
         * allows: a third of the crash region, and no udev settling to wait
         * for.  --no-hostonly asks for every driver, which only udev loads. */
        if (!no_modules && !o->no_hostonly) {
                r = xkd_initrd_small_image_fits(c, o->module_dir);
                if (r < 0) {
                        if (netplan[0])
                                unlink(netplan);
                        return log_error_errno(r, "Out of memory: %m");
                }
                small = r > 0;
        }
        r = xkd_initrd_env_file(c, (no_modules ? XKD_IMAGE_NO_MODULES : 0) | (small ? XKD_IMAGE_SMALL : 0),
                                env_file, sizeof(env_file));
        if (r < 0) {
                if (netplan[0])
                        unlink(netplan);
                return log_error_errno(r, "Failed to write the config for dracut: %m");
        }
        if (small) {
                /* The host's dracut.conf.d is for booting the host (network
                 * modules, drivers): an empty one keeps the image to what
                 * --modules names and its dependencies. */
                const char *tmp = getenv("TMPDIR");
                snprintf(confdir, sizeof(confdir), "%s/xen-kdump-dracut.XXXXXX",
                         tmp && tmp[0] ? tmp : "/tmp");
                if (!mkdtemp(confdir)) {
                        r = -errno;
                        unlink(env_file);
                        if (netplan[0])
                                unlink(netplan);
                        return log_error_errno(r, "Failed to create a directory for dracut: %m");
                }
        }

        argv[n++] = (char *) (dracut && dracut[0] ? dracut : "dracut");
        argv[n++] = "--force";
        argv[n++] = "--quiet";
        argv[n++] = o->no_hostonly ? "--no-hostonly" : "--hostonly";
        argv[n++] = "--no-hostonly-cmdline";
        argv[n++] = "--add";
        argv[n++] = "xen-kdump";
        argv[n++] = "--omit";
        argv[n++] = "plymouth resume";
        /* Quicker to build and to unpack than gzip, and smaller in the crash region.
         * The kernel's zstd needs the frame's window in memory while it unpacks:
         * dracut's zstd -15 has a 4 MiB window, which a 48 MiB region feels; a
         * 1 MiB window at -19 is smaller still for the small image (2.80 MB
         * instead of 2.96 for the local-disk image). */
        argv[n++] = "--compress";
        argv[n++] = small ? "zstd -q -19 -T0 --zstd=wlog=20" : "zstd";
        argv[n++] = "--kver";
        argv[n++] = kver;
        if (no_modules)
                /* Every driver is built in: no /lib/modules/KVER needed or read. */
                argv[n++] = "--no-kernel";
        if (small) {
                /* Our module and what it asks for (dash; the drivers its
                 * installkernel names), not the host's default set. */
                argv[n++] = "--modules";
                argv[n++] = "xen-kdump";
                argv[n++] = "--conf";
                argv[n++] = "/dev/null";
                argv[n++] = "--confdir";
                argv[n++] = confdir;
        }
        if (!no_modules && o->kmoddir) {
                argv[n++] = "--kmoddir";
                argv[n++] = (char *) o->kmoddir;
        }
        /* The config's customisations, then the command line's (dracut: the last one wins). */
        if (x->drivers) {
                argv[n++] = "--add-drivers";
                argv[n++] = x->drivers;
        }
        for (size_t i = 0; i < x->n_words; i++)
                argv[n++] = x->words[i];
        for (size_t i = 0; i < o->n_extra_args; i++)
                argv[n++] = o->extra_args[i];
        argv[n++] = tmp_out;
        argv[n] = NULL;

        log_info("Building %s for kernel %s with dracut%s.", output, kver,
                 no_modules ? " (minimal kernel: no kernel modules)" : small ? " (small image: no systemd)" : "");
        r = run_dracut(argv, env_file, netplan[0] ? netplan : NULL);
        unlink(env_file);
        if (confdir[0])
                rmdir(confdir);
        if (r < 0) {
                unlink(tmp_out);
                if (netplan[0])
                        unlink(netplan);
                if (r == -ENOENT)
                        return log_error_errno(r, "Failed to run %s: not installed? "
                                               "apt-get install dracut-core", argv[0]);
                return log_error_errno(r, "dracut failed to build %s (its messages are above); "
                                       "fix that and run 'xen-kdump rebuild' again", output);
        }
        if (chmod(tmp_out, 0600) < 0 || rename(tmp_out, output) < 0) {
                r = -errno;
                unlink(tmp_out);
                if (netplan[0])
                        unlink(netplan);
                return log_error_errno(r, "Failed to put %s in place: %m", output);
        }
        r = keep_netplan(netplan, output);
        if (r < 0)
                return log_error_errno(r, "Failed to record the network %s was built for: %m", output);
        r = write_sidecar(c, output);
        if (r < 0)
                return log_error_errno(r, "Failed to record what %s was built from: %m", output);
        log_notice("Built %s (kernel %s, %s image).", output, kver, small ? "small" : "systemd");
        return 0;
}
