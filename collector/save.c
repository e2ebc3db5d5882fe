/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "save.h"

static int write_file_at(int dirfd, const char *name, const char *text) {
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        size_t len = strlen(text);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len)
                r = errno ? -errno : -EIO;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

int xkd_save_name_is_dump(const char *name, char stamp[16]) {
        size_t len = strlen(name);
        const char *dot = strrchr(name, '.'), *end = name + len, *p;

        /* Optional ".N" collision suffix. */
        if (dot && dot > name && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1))
                end = dot;
        /* "-YYYYmmdd-HHMMSS" is 16 characters and needs a host before it. */
        if (end - name < 17)
                return 0;
        p = end - 16;
        if (p[0] != '-' || p[9] != '-')
                return 0;
        for (int i = 1; i < 16; i++)
                if (i != 9 && !isdigit((unsigned char) p[i]))
                        return 0;
        if (stamp) {
                memcpy(stamp, p + 1, 15);
                stamp[15] = '\0';
        }
        return 1;
}

/* Removes one dump directory: its files, then itself (no deeper levels). */
static int remove_dump_dir(int parent, const char *name) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        DIR *d;
        struct dirent *de;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        return unlinkat(parent, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

struct dump_entry {
        char stamp[16];
        char name[256];
};

static int entry_cmp(const void *a, const void *b) {
        const struct dump_entry *x = a, *y = b;
        int c = strcmp(x->stamp, y->stamp);
        return c ? c : strcmp(x->name, y->name);
}

/* Deletes the oldest dump directories until `remain` are left. */
static int prune(const char *dir, unsigned remain) {
        struct dump_entry *e = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        int deleted = 0, dfd;
        DIR *d;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                char stamp[16];
                if (!xkd_save_name_is_dump(de->d_name, stamp) || strlen(de->d_name) >= 256)
                        continue;
                if (n == cap) {
                        struct dump_entry *ne = realloc(e, (cap = cap ? cap * 2 : 16) * sizeof(*e));
                        if (!ne) {
                                free(e);
                                closedir(d);
                                return -ENOMEM;
                        }
                        e = ne;
                }
                memcpy(e[n].stamp, stamp, sizeof(stamp));
                strcpy(e[n].name, de->d_name);
                n++;
        }
        if (n > 0)
                qsort(e, n, sizeof(*e), entry_cmp);
        dfd = dirfd(d);
        for (size_t i = 0; i + remain < n; i++) {
                int r = remove_dump_dir(dfd, e[i].name);
                if (r < 0)
                        log_warning_errno(r, "Cannot delete old dump %s/%s: %m", dir, e[i].name);
                else {
                        log_notice("Deleted old dump %s/%s (retention: --keep)", dir, e[i].name);
                        deleted++;
                }
        }
        free(e);
        closedir(d);
        return deleted;
}

int xkd_save_apply_retention(const char *dir, unsigned keep) {
        return keep == 0 ? 0 : prune(dir, keep);
}

static void clean_host(const char *in, char *out, size_t size) {
        size_t j = 0;

        for (size_t i = 0; in[i] && j + 1 < size; i++) {
                unsigned char c = (unsigned char) in[i];
                bool ok = isalnum(c) || c == '-' || c == '_' || (c == '.' && j > 0);
                out[j++] = ok ? (char) c : '_';
        }
        out[j] = '\0';
        if (j == 0)
                snprintf(out, size, "xen-host");
}

int xkd_save_begin(const struct xkd_save_options *o, struct xkd_save *s) {
        char host[128], raw[128] = "", stamp[32], name[200];
        time_t now = o->now ? o->now : time(NULL);
        struct statvfs st;
        struct tm tm;
        int parent, r;

        s->dirfd = s->fd = -1;
        if (mkdir(o->dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create the dump directory %s: %m: create it or choose another --output",
                                       o->dir);
        if (o->keep > 0)
                /* The new dump will be one more: make room for it. */
                prune(o->dir, o->keep - 1);

        if (o->reserve_bytes && statvfs(o->dir, &st) == 0 &&
            (uint64_t) st.f_bavail * st.f_frsize < o->reserve_bytes)
                return log_error_errno(-ENOSPC, "Only %llu MiB free on %s, below the %llu MiB reserve: free space there, "
                                       "lower --reserve or use --keep to rotate old dumps",
                                       (unsigned long long) ((uint64_t) st.f_bavail * st.f_frsize >> 20), o->dir,
                                       (unsigned long long) (o->reserve_bytes >> 20));

        if (o->host)
                snprintf(raw, sizeof(raw), "%s", o->host);
        else if (gethostname(raw, sizeof(raw) - 1) < 0 || !raw[0] || strcmp(raw, "(none)") == 0)
                snprintf(raw, sizeof(raw), "xen-host");
        clean_host(raw, host, sizeof(host));
        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);

        parent = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0)
                return log_error_errno(-errno, "Cannot open the dump directory %s: %m", o->dir);
        for (unsigned i = 0; ; i++) {
                if (i == 0)
                        snprintf(name, sizeof(name), "%s-%s", host, stamp);
                else
                        snprintf(name, sizeof(name), "%s-%s.%u", host, stamp, i);
                if (mkdirat(parent, name, 0700) == 0)
                        break;
                if (errno != EEXIST || i >= 99) {
                        r = log_error_errno(-errno, "Cannot create %s/%s: %m: check the permissions of %s", o->dir, name, o->dir);
                        close(parent);
                        return r;
                }
        }
        snprintf(s->path, sizeof(s->path), "%s/%s", o->dir, name);
        s->dirfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        fsync(parent);
        close(parent);
        if (s->dirfd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", s->path);
        /* umask must not widen what a dump of secrets gets. */
        fchmod(s->dirfd, 0700);

        r = write_file_at(s->dirfd, XKD_SAVE_MARKER,
                          "The collector is still writing this dump, or was stopped before it finished.\n");
        if (r < 0)
                return log_error_errno(r, "Cannot write %s/%s: %m", s->path, XKD_SAVE_MARKER);
        s->fd = openat(s->dirfd, XKD_SAVE_VMCORE_PARTIAL, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->fd < 0)
                return log_error_errno(-errno, "Cannot create %s/%s: %m", s->path, XKD_SAVE_VMCORE_PARTIAL);
        fchmod(s->fd, 0600);
        fsync(s->dirfd);
        return 0;
}

int xkd_save_mark_incomplete(struct xkd_save *s, const char *reason) {
        char text[1024];

        snprintf(text, sizeof(text), "This dump is INCOMPLETE: %s\n"
                 "What was written is kept in %s (crash can read the pages it has).\n",
                 reason, XKD_SAVE_VMCORE_PARTIAL);
        return write_file_at(s->dirfd, XKD_SAVE_MARKER, text);
}

int xkd_save_commit(struct xkd_save *s) {
        if (fsync(s->fd) < 0)
                return log_error_errno(-errno, "Cannot flush %s/%s to disk: %m: the dump stays marked incomplete",
                                       s->path, XKD_SAVE_VMCORE_PARTIAL);
        if (renameat(s->dirfd, XKD_SAVE_VMCORE_PARTIAL, s->dirfd, XKD_SAVE_VMCORE) < 0)
                return log_error_errno(-errno, "Cannot rename %s/%s: %m", s->path, XKD_SAVE_VMCORE_PARTIAL);
        if (fsync(s->dirfd) < 0)
                return log_error_errno(-errno, "Cannot flush %s to disk: %m", s->path);
        if (unlinkat(s->dirfd, XKD_SAVE_MARKER, 0) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "Cannot remove %s/%s: %m", s->path, XKD_SAVE_MARKER);
        fsync(s->dirfd);
        return 0;
}

void xkd_save_close(struct xkd_save *s) {
        if (s->fd >= 0)
                close(s->fd);
        if (s->dirfd >= 0)
                close(s->dirfd);
        s->fd = s->dirfd = -1;
}
