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

/* What xen-kdump puts in a dump directory (the collector or the capture
 * script); anything else there was added by someone else. */
static const char *const dump_files[] = {
        XKD_SAVE_VMCORE, XKD_SAVE_VMCORE_PARTIAL, XKD_SAVE_MARKER, XKD_SAVE_ID,
        "report.txt", "report.json", "dmesg.txt", "xen-console.txt", "capture.log", "vmcore.flat", NULL,
};

static bool is_dump_file(const char *name) {
        for (size_t i = 0; dump_files[i]; i++)
                if (strcmp(name, dump_files[i]) == 0)
                        return true;
        return false;
}

static bool is_regular_at(int dfd, const char *name) {
        struct stat st;
        return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static bool absent_at(int dfd, const char *name) {
        struct stat st;
        return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* The id file says xen-kdump wrote this directory for host, and nothing else. */
static bool id_names_host(int dfd, const char *host) {
        char want[200], got[256];
        int fd = openat(dfd, XKD_SAVE_ID, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        ssize_t n;

        if (fd < 0)
                return false;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= (off_t) sizeof(got)) {
                close(fd);
                return false;
        }
        n = read(fd, got, sizeof(got) - 1);
        close(fd);
        if (n < 0)
                return false;
        got[n] = '\0';
        snprintf(want, sizeof(want), XKD_SAVE_ID_MAGIC "host %s\n", host);
        return strcmp(got, want) == 0;
}

/* Opens parent/name when it is a complete dump of host written by xen-kdump
 * (see save.h); otherwise -1 with why set. */
static int open_own_complete_dump(int parent, const char *name, const char *host, const char **why) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct dirent *de;
        DIR *d;

        if (fd < 0) {
                *why = "not a directory";
                return -1;
        }
        if (!id_names_host(fd, host))
                *why = "no " XKD_SAVE_ID " naming this host: not written by xen-kdump for it";
        else if (!absent_at(fd, XKD_SAVE_MARKER) || !absent_at(fd, XKD_SAVE_VMCORE_PARTIAL) ||
                 !is_regular_at(fd, XKD_SAVE_VMCORE))
                *why = "incomplete: incomplete dumps are never deleted by keep, nor counted";
        else
                *why = NULL;
        if (*why) {
                close(fd);
                return -1;
        }
        d = fdopendir(dup(fd));
        if (!d) {
                *why = "cannot be listed";
                close(fd);
                return -1;
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    (!is_dump_file(de->d_name) || !is_regular_at(fd, de->d_name))) {
                        *why = "holds files xen-kdump did not write";
                        break;
                }
        closedir(d);
        if (*why) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Deletes the dump's files, the vmcore and the id file last (a half-deleted
 * dump still looks complete and is deleted next time), then the directory. */
static int remove_dump_dir(int parent, const char *name, const char *host) {
        const char *why;
        int fd = open_own_complete_dump(parent, name, host, &why), r = 0;

        if (fd < 0)
                return -ESTALE;
        for (size_t i = 0; dump_files[i]; i++)
                if (strcmp(dump_files[i], XKD_SAVE_VMCORE) != 0 && strcmp(dump_files[i], XKD_SAVE_ID) != 0 &&
                    unlinkat(fd, dump_files[i], 0) < 0 && errno != ENOENT)
                        r = -errno;
        if (r == 0 && unlinkat(fd, XKD_SAVE_VMCORE, 0) < 0)
                r = -errno;
        if (r == 0 && unlinkat(fd, XKD_SAVE_ID, 0) < 0)
                r = -errno;
        close(fd);
        if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

struct dump_entry {
        char stamp[16];
        unsigned seq;                   /* the ".N" suffix */
        char name[256];
};

/* Newest first. */
static int entry_cmp(const void *a, const void *b) {
        const struct dump_entry *x = a, *y = b;
        int c = strcmp(y->stamp, x->stamp);
        return c ? c : (x->seq < y->seq) - (x->seq > y->seq);
}

/* name is <host>-<stamp>[.N] for exactly this host. */
static bool name_is_hosts_dump(const char *name, const char *host, struct dump_entry *e) {
        size_t hl = strlen(host), len = strlen(name);

        if (len >= sizeof(e->name) || len < hl + 16 || strncmp(name, host, hl) != 0 || name[hl] != '-' ||
            !xkd_save_name_is_dump(name, e->stamp))
                return false;
        /* The stamp must start right after "<host>-", not further on. */
        if (strncmp(name + hl + 1, e->stamp, 15) != 0)
                return false;
        if (name[hl + 16] == '\0')
                e->seq = 0;
        else if (name[hl + 16] == '.' && name[hl + 17] && strlen(name + hl + 17) <= 5 &&
                 strspn(name + hl + 17, "0123456789") == strlen(name + hl + 17))
                e->seq = (unsigned) atoi(name + hl + 17) + 1;
        else
                return false;
        strcpy(e->name, name);
        return true;
}

int xkd_save_apply_retention(const char *dir, const char *host, unsigned keep, const char *newest) {
        struct dump_entry *e = NULL, cur;
        size_t n = 0, cap = 0, kept = 0;
        struct dirent *de;
        int deleted = 0, dfd;
        DIR *d;

        if (keep == 0)
                return 0;
        d = opendir(dir);
        if (!d)
                return log_warning_errno(-errno, "Cannot list %s to apply keep %u: %m; nothing deleted", dir, keep);
        dfd = dirfd(d);
        while ((de = readdir(d))) {
                const char *why;
                int fd;

                if ((newest && strcmp(de->d_name, newest) == 0) || !name_is_hosts_dump(de->d_name, host, &cur))
                        continue;
                fd = open_own_complete_dump(dfd, de->d_name, host, &why);
                if (fd < 0) {
                        log_debug("Retention leaves %s/%s alone: %s", dir, de->d_name, why);
                        continue;
                }
                close(fd);
                if (n == cap) {
                        struct dump_entry *ne = realloc(e, (cap = cap ? cap * 2 : 16) * sizeof(*e));
                        if (!ne) {
                                free(e);
                                closedir(d);
                                return log_warning_errno(-ENOMEM, "Out of memory applying keep %u; nothing deleted",
                                                         keep);
                        }
                        e = ne;
                }
                e[n++] = cur;
        }
        if (n > 0)
                qsort(e, n, sizeof(*e), entry_cmp);
        /* The new dump is one of the kept. */
        kept = newest ? 1 : 0;
        for (size_t i = 0; i < n; i++) {
                int r;

                if (kept < keep) {
                        kept++;
                        continue;
                }
                r = remove_dump_dir(dfd, e[i].name, host);
                if (r < 0)
                        log_warning_errno(r, "Cannot delete old dump %s/%s: %m", dir, e[i].name);
                else {
                        log_notice("Deleted old dump %s/%s: keep %u keeps this host's %u newest complete dumps%s%s",
                                   dir, e[i].name, keep, keep, newest ? ", the new one " : "", newest ? newest : "");
                        deleted++;
                }
        }
        free(e);
        closedir(d);
        return deleted;
}

int xkd_save_prune(const struct xkd_save *s) {
        return xkd_save_apply_retention(s->dir, s->host, s->keep, s->name);
}

void xkd_save_clean_host(const char *in, char *out, size_t size) {
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
        char host[128], raw[128] = "", stamp[32], name[200], text[200];
        time_t now = o->now ? o->now : time(NULL);
        struct statvfs st;
        struct tm tm;
        int parent, r;

        s->dirfd = s->fd = -1;
        if (mkdir(o->dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create the dump directory %s: %m: create it or choose another --output",
                                       o->dir);
        /* Retention runs only after the new dump is complete (xkd_save_prune):
         * a refused or failed capture must never cost an old dump. */
        if (o->reserve_bytes && statvfs(o->dir, &st) == 0 &&
            (uint64_t) st.f_bavail * st.f_frsize < o->reserve_bytes)
                return log_error_errno(-ENOSPC, "Only %llu MiB free on %s, below the %llu MiB reserve: free space there, "
                                       "or lower --reserve (no old dump is deleted to make room)",
                                       (unsigned long long) ((uint64_t) st.f_bavail * st.f_frsize >> 20), o->dir,
                                       (unsigned long long) (o->reserve_bytes >> 20));

        if (o->host)
                snprintf(raw, sizeof(raw), "%s", o->host);
        else if (gethostname(raw, sizeof(raw) - 1) < 0 || !raw[0] || strcmp(raw, "(none)") == 0)
                snprintf(raw, sizeof(raw), "xen-host");
        xkd_save_clean_host(raw, host, sizeof(host));
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
        snprintf(s->dir, sizeof(s->dir), "%s", o->dir);
        snprintf(s->host, sizeof(s->host), "%s", host);
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->keep = o->keep;
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
        /* Says who wrote this directory: retention deletes nothing without it. */
        snprintf(text, sizeof(text), XKD_SAVE_ID_MAGIC "host %s\n", host);
        r = write_file_at(s->dirfd, XKD_SAVE_ID, text);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s/%s: %m", s->path, XKD_SAVE_ID);
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
