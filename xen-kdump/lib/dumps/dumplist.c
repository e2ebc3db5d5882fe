/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding saved dumps and deciding, conservatively, whether each is complete:
 * any sign of an unfinished write (a temporary name, the INCOMPLETE marker,
 * the vmcore's temporary name, a header flagged incomplete or shorter than it
 * says, a report saying so) makes it INCOMPLETE, and a directory we cannot
 * look into is UNREADABLE, never complete.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dumplist.h"
#include "log.h"
#include "dump-layout.h"

#define REPORT_MAX      (16u << 20)
#define MARKER_MAX      4096u
#define DMESG_MAX       (4u << 20)
#define TEMP_SUFFIX     ".incomplete"

static bool name_is_final(const char *name, size_t len, char stamp[16]) {
        const char *end = name + len, *p;

        /* Optional ".N" collision suffix (collector/save.c). */
        for (const char *q = end; q > name; q--)
                if (q[-1] == '.') {
                        if (q < end && strspn(q, "0123456789") == (size_t) (end - q))
                                end = q - 1;
                        break;
                } else if (!isdigit((unsigned char) q[-1]))
                        break;
        /* "-YYYYmmdd-HHMMSS" is 16 characters and needs a host before it. */
        if (end - name < 17)
                return false;
        p = end - 16;
        if (p[0] != '-' || p[9] != '-')
                return false;
        for (int i = 1; i < 16; i++)
                if (i != 9 && !isdigit((unsigned char) p[i]))
                        return false;
        memcpy(stamp, p + 1, 15);
        stamp[15] = '\0';
        return true;
}

bool xkd_dump_name_is_dump(const char *name, char stamp[16], bool *temporary) {
        size_t len = strlen(name), sl = strlen(TEMP_SUFFIX);
        char dummy[16];

        if (!stamp)
                stamp = dummy;
        if (temporary)
                *temporary = false;
        if (len == 0 || len >= 256 || strchr(name, '/'))
                return false;
        if (name[0] == '.') {
                /* ".NAME.incomplete": the capture script's name while it writes. */
                if (len <= 1 + sl || strcmp(name + len - sl, TEMP_SUFFIX) != 0)
                        return false;
                if (temporary)
                        *temporary = true;
                return name_is_final(name + 1, len - 1 - sl, stamp);
        }
        return name_is_final(name, len, stamp);
}

const char *xkd_dump_state_name(enum xkd_dump_state s) {
        return s == XKD_DUMP_COMPLETE ? "COMPLETE" : s == XKD_DUMP_INCOMPLETE ? "INCOMPLETE" : "UNREADABLE";
}

void xkd_dump_format_name(const struct xkd_dump_header *h, char *buf, size_t size) {
        switch (h->format) {
        case XKD_DUMP_FORMAT_KDUMP:
                snprintf(buf, size, "kdump-%s", h->compression[0] ? h->compression : "unknown");
                break;
        case XKD_DUMP_FORMAT_ELF:
                snprintf(buf, size, "ELF");
                break;
        case XKD_DUMP_FORMAT_FLAT:
                snprintf(buf, size, "flattened");
                break;
        case XKD_DUMP_FORMAT_UNKNOWN:
                snprintf(buf, size, "unknown");
                break;
        default:
                snprintf(buf, size, "none");
        }
}

static ssize_t fd_read(void *userdata, void *buf, size_t n, uint64_t off) {
        int fd = *(int *) userdata;
        size_t got = 0;

        while (got < n) {
                ssize_t r = pread(fd, (char *) buf + got, n - got, (off_t) (off + got));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                got += (size_t) r;
        }
        return (ssize_t) got;
}

/* A regular file (never through a symlink) of at most max bytes, NUL-terminated. */
static int read_small(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len) {
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        char *buf;
        ssize_t n;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EBADF;
        }
        size_t want = (uint64_t) st.st_size < max ? (size_t) st.st_size : max;
        buf = malloc(want + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        n = fd_read(&fd, buf, want, 0);
        close(fd);
        if (n < 0) {
                free(buf);
                return (int) n;
        }
        buf[n] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = (size_t) n;
        return 0;
}

static void set_why(struct xkd_dump *d, enum xkd_dump_state state, const char *fmt, const char *arg) {
        if (d->state != XKD_DUMP_COMPLETE)
                return; /* the first reason is the one that matters */
        d->state = state;
        snprintf(d->why, sizeof(d->why), fmt, arg);
        xkd_dump_sanitize(d->why, false);
}

static void classify(struct xkd_dump *d) {
        const char *reason = d->report.reason;

        if (strncmp(reason, "Xen panic", 9) == 0)
                d->what = "xen-panic";
        else if (strstr(reason, "debug key"))
                d->what = "debug-key";
        else if (strncmp(reason, "Hardware Dom", 12) == 0 || d->report.dom0_panic[0] ||
                 (!reason[0] && d->dmesg_panic[0]))
                d->what = "dom0";
        else
                d->what = "unknown";

        /* Xen's clock only when it printed a date; else the capture's stamp, seconds later. */
        const char *t = d->report.crash_time;
        if (strlen(t) >= 19 && isdigit((unsigned char) t[0]) && t[4] == '-' && t[7] == '-') {
                snprintf(d->time, sizeof(d->time), "%.10s %.8s", t, t + 11);
                d->time_source = "xen-console";
        } else {
                const char *s = d->stamp;
                snprintf(d->time, sizeof(d->time), "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", s, s + 4, s + 6, s + 9, s + 11,
                         s + 13);
                d->time_source = "directory-name";
        }
}

static void inspect_vmcore(int dfd, struct xkd_dump *d) {
        static const char *const names[] = { XKD_SAVE_VMCORE, "vmcore.flat", XKD_SAVE_VMCORE_PARTIAL };
        struct stat st;
        int fd = -1;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && fd < 0; i++) {
                fd = openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
                if (fd < 0 && errno != ENOENT) {
                        snprintf(d->file, sizeof(d->file), "%s", names[i]);
                        set_why(d, XKD_DUMP_UNREADABLE, "cannot open the vmcore: %s", strerror(errno));
                        return;
                }
                if (fd >= 0)
                        snprintf(d->file, sizeof(d->file), "%s", names[i]);
        }
        if (fd < 0) {
                d->header.format = XKD_DUMP_FORMAT_NONE;
                d->header.compression = "";
                set_why(d, XKD_DUMP_INCOMPLETE, "%s", "there is no vmcore file");
                return;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                set_why(d, XKD_DUMP_INCOMPLETE, "%s is not a regular file", d->file);
                return;
        }
        d->size = (uint64_t) st.st_size;
        d->file_mode = st.st_mode & 07777;
        xkd_dump_parse_header(fd_read, &fd, d->size, &d->header);
        close(fd);
}

int xkd_dump_inspect(int parentfd, const char *parent_path, const char *name, struct xkd_dump *d) {
        bool temporary = false;
        struct stat st;
        char *text;
        size_t len;
        int dfd;

        memset(d, 0, sizeof(*d));
        d->header.compression = "";
        d->report.crashing_cpu = -1;
        d->what = "unknown";
        snprintf(d->name, sizeof(d->name), "%s", name);
        snprintf(d->path, sizeof(d->path), "%s/%s", parent_path, name);
        if (!xkd_dump_name_is_dump(name, d->stamp, &temporary))
                return -EINVAL;
        d->state = XKD_DUMP_COMPLETE;
        classify(d);

        dfd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0) {
                int r = -errno;
                set_why(d, XKD_DUMP_UNREADABLE, "cannot open the directory: %s", strerror(-r));
                return r == -EACCES || r == -EPERM ? 0 : r;
        }
        if (fstat(dfd, &st) == 0) {
                d->dir_mode = st.st_mode & 07777;
                d->dir_uid = st.st_uid;
        }
        if (temporary)
                set_why(d, XKD_DUMP_INCOMPLETE, "%s",
                        "the directory still has its temporary name: the capture was cut off while writing");

        if (read_small(dfd, XKD_SAVE_MARKER, MARKER_MAX, &text, NULL) == 0) {
                char *nl = strchr(text, '\n');
                if (nl)
                        *nl = '\0';
                set_why(d, XKD_DUMP_INCOMPLETE, "INCOMPLETE marker: %s", text);
                free(text);
        } else if (faccessat(dfd, XKD_SAVE_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                set_why(d, XKD_DUMP_INCOMPLETE, "%s", "an unreadable INCOMPLETE marker is present");

        int rr = read_small(dfd, "report.json", REPORT_MAX, &text, &len);
        if (rr == 0) {
                (void) xkd_dump_parse_report(text, len, &d->report);
                free(text);
        } else if (rr != -ENOENT)
                d->report.present = true;

        /* Without a report (makedumpfile, an ssh stream) dom0's own log may still say it panicked. */
        if (!d->report.valid && read_small(dfd, "dmesg.txt", DMESG_MAX, &text, NULL) == 0) {
                const char *p = NULL;
                for (const char *q = text; (q = strstr(q, "Kernel panic - not syncing")); q++)
                        p = q;
                if (p) {
                        snprintf(d->dmesg_panic, sizeof(d->dmesg_panic), "%.*s", (int) strcspn(p, "\n"), p);
                        xkd_dump_sanitize(d->dmesg_panic, false);
                }
                free(text);
        }

        inspect_vmcore(dfd, d);
        close(dfd);

        if (strcmp(d->file, XKD_SAVE_VMCORE_PARTIAL) == 0)
                set_why(d, XKD_DUMP_INCOMPLETE, "%s", "the vmcore still has its temporary name (vmcore.incomplete)");
        if (d->header.format == XKD_DUMP_FORMAT_UNKNOWN)
                set_why(d, XKD_DUMP_INCOMPLETE, "%s", "the vmcore is not a kdump, ELF or flattened dump (empty or corrupt)");
        if (d->header.flagged_incomplete)
                set_why(d, XKD_DUMP_INCOMPLETE, "%s", "the kdump header is flagged incomplete");
        if (d->header.truncated)
                set_why(d, XKD_DUMP_INCOMPLETE, "%s", d->header.format == XKD_DUMP_FORMAT_FLAT
                        ? "the flattened stream has no end marker: the transfer stopped early"
                        : "the vmcore is shorter than its headers say (truncated or corrupt)");
        if (d->report.valid && d->report.dump_status[0] && strcmp(d->report.dump_status, "complete") != 0)
                set_why(d, XKD_DUMP_INCOMPLETE, "report.json: %s", d->report.dump_status);
        if (!d->header.release[0] && d->report.dom0_release[0])
                snprintf(d->header.release, sizeof(d->header.release), "%s", d->report.dom0_release);
        classify(d);
        return 0;
}

static int dump_cmp(const void *a, const void *b) {
        const struct xkd_dump *x = a, *y = b;
        int c = strcmp(x->stamp, y->stamp);
        return c ? c : strcmp(x->name, y->name);
}

int xkd_dumps_scan(const char *dir, struct xkd_dump **ret, size_t *ret_n) {
        struct xkd_dump *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d;

        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (!xkd_dump_name_is_dump(de->d_name, NULL, NULL))
                        continue;
                if (n == cap) {
                        struct xkd_dump *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
                        if (!nv) {
                                free(v);
                                closedir(d);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                int r = xkd_dump_inspect(dirfd(d), dir, de->d_name, &v[n]);
                if (r < 0 && r != -ENOTDIR && r != -ELOOP && r != -ENOENT)
                        log_debug("Skipping %s/%s: %s", dir, de->d_name, strerror(-r));
                if (r == 0)
                        n++;
        }
        closedir(d);
        if (n > 1)
                qsort(v, n, sizeof(*v), dump_cmp);
        for (size_t i = 0; i < n; i++)
                v[i].index = (unsigned) (i + 1);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int inspect_path(const char *path, struct xkd_dump *ret) {
        char parent[PATH_MAX], *slash;
        const char *name;
        int pfd, r;

        snprintf(parent, sizeof(parent), "%s", path);
        while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
                parent[strlen(parent) - 1] = '\0';
        slash = strrchr(parent, '/');
        if (!slash) {
                name = parent;
                pfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = pfd < 0 ? -errno : 0;
                if (r == 0)
                        r = xkd_dump_inspect(pfd, ".", name, ret);
        } else {
                *slash = '\0';
                name = slash + 1;
                pfd = open(slash == parent ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = pfd < 0 ? -errno : xkd_dump_inspect(pfd, slash == parent ? "" : parent, name, ret);
        }
        if (pfd >= 0)
                close(pfd);
        return r;
}

int xkd_dumps_find(const char *dir, const char *spec, struct xkd_dump *ret) {
        struct xkd_dump *v;
        size_t n;
        int r;

        if (spec && strchr(spec, '/')) {
                r = inspect_path(spec, ret);
                if (r == -EINVAL)
                        return log_error_errno(r, "%s is not named like a dump directory (HOST-YYYYmmdd-HHMMSS): "
                                               "give the directory the capture created", spec);
                if (r < 0)
                        return log_error_errno(r, "Cannot open the dump %s: %m", spec);
                return 0;
        }
        r = xkd_dumps_scan(dir, &v, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot read the dump directory %s: %m%s", dir,
                                       r == -EACCES && geteuid() != 0 ? ": dumps are root-only (0700), run as root" :
                                       r == -ENOENT ? ": no dump was saved there yet, or pass --dir DIR" : "");
        r = -ENOENT;
        if (n == 0)
                log_error("No dumps in %s: nothing to show (another directory? pass --dir DIR)", dir);
        else if (!spec || strcmp(spec, "latest") == 0) {
                *ret = v[n - 1];
                r = 0;
        } else if (spec[0] && strspn(spec, "0123456789") == strlen(spec)) {
                unsigned long i = strtoul(spec, NULL, 10);
                if (i >= 1 && i <= n) {
                        *ret = v[i - 1];
                        r = 0;
                } else
                        log_error("No dump number %s in %s: 'xen-kdump list' shows 1 to %zu", spec, dir, n);
        } else {
                for (size_t i = 0; i < n; i++)
                        if (strcmp(v[i].name, spec) == 0) {
                                *ret = v[i];
                                r = 0;
                        }
                if (r < 0)
                        log_error("No dump named '%s' in %s: give an index, a name or a path from 'xen-kdump list'",
                                  spec, dir);
        }
        free(v);
        return r;
}

int xkd_dumps_default_dir(char *buf, size_t size) {
        const struct xkd_target *t;
        xkd_config *c;
        int r;

        r = xkd_config_load(&c, NULL);
        if (r < 0)
                return r;
        t = xkd_config_target(c);
        r = 0;
        if (t->kind == XKD_TARGET_PATH && xkd_config_get(c, XKD_CONF_TARGET_FS)[0])
                /* The directory is inside a filesystem dom0 need not mount: not this path here. */
                r = log_error_errno(-ENOENT, "The target is %s on the filesystem %s, which dom0 does "
                                    "not mount there; mount it and pass --dir MOUNTPOINT%s",
                                    t->dir, xkd_config_get(c, XKD_CONF_TARGET_FS), t->dir);
        else if (t->kind == XKD_TARGET_PATH && t->dir && t->dir[0])
                snprintf(buf, size, "%s", t->dir);
        else if (xkd_config_get(c, XKD_CONF_LOCAL_PATH)[0])
                /* A network target's dumps live elsewhere; local_path holds the fallbacks. */
                snprintf(buf, size, "%s", xkd_config_get(c, XKD_CONF_LOCAL_PATH));
        else
                r = log_error_errno(-ENOENT, "The target is %s %s%s%s: its dumps are on that server, not here; "
                                    "pass --dir DIR to list a local copy",
                                    t->kind == XKD_TARGET_SSH ? "ssh" : "nfs", t->host ? t->host : "",
                                    ":", t->dir ? t->dir : "");
        xkd_config_free(c);
        return r;
}
