/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"

static const char *file_type(mode_t m) {
        return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
               S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory" : "not a regular file";
}

int xkd_open_regular(const char *path, const char *what, const char *fix, struct stat *ret_st) {
        struct stat st;
        int fd, flags, r;

        /* O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open the %s %s: %m; %s.", what, path, fix);
        if (fstat(fd, &st) < 0) {
                r = log_error_errno(-errno, "Cannot stat the %s %s: %m; %s.", what, path, fix);
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = log_error_errno(-EINVAL, "The %s %s is %s, not a regular file (it could block or change while read); %s.",
                                    what, path, file_type(st.st_mode), fix);
                goto fail;
        }
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
                r = log_error_errno(-errno, "Cannot use the %s %s: %m; %s.", what, path, fix);
                goto fail;
        }
        if (ret_st)
                *ret_st = st;
        return fd;
fail:
        close(fd);
        return r;
}

int xkd_read_fd(int fd, const struct stat *st, const char *path, size_t max, const char *what, const char *fix,
                void **ret, size_t *ret_size) {
        uint8_t *buf;
        size_t got = 0;

        if (st->st_size == 0)
                return log_error_errno(-EINVAL, "The %s %s is empty; %s.", what, path, fix);
        if ((uint64_t) st->st_size > max)
                return log_error_errno(-EFBIG, "The %s %s is %lld MiB, more than the %zu MiB a crash region can take; %s.",
                                       what, path, (long long) (st->st_size >> 20), max >> 20, fix);
        buf = malloc((size_t) st->st_size);
        if (!buf)
                return log_error_errno(-ENOMEM, "Out of memory reading the %s %s.", what, path);
        while (got < (size_t) st->st_size) {
                ssize_t n = read(fd, buf + got, (size_t) st->st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int r = n < 0 ? -errno : -EIO;
                        free(buf);
                        return log_error_errno(r, "Cannot read the %s %s: %s; %s.", what, path,
                                               n < 0 ? "read error" : "it shrank while being read", fix);
                }
                got += (size_t) n;
        }
        *ret = buf;
        *ret_size = got;
        return 0;
}

int xkd_read_file(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size) {
        return xkd_read_file_stat(path, max, what, fix, ret, ret_size, NULL, NULL);
}

int xkd_read_file_stat(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size,
                       struct stat *before, struct stat *after) {
        struct stat st;
        void *buf;
        size_t size;
        int fd, r;

        fd = xkd_open_regular(path, what, fix, &st);
        if (fd < 0)
                return fd;
        r = xkd_read_fd(fd, &st, path, max, what, fix, &buf, &size);
        if (r < 0)
                goto out;
        if (after && fstat(fd, after) < 0) {
                r = log_error_errno(-errno, "Cannot stat the %s %s: %m; %s.", what, path, fix);
                free(buf);
                goto out;
        }
        if (before)
                *before = st;
        *ret = buf;
        *ret_size = size;
out:
        close(fd);
        return r;
}

int xkd_write_file_atomic(const char *path, const char *text) {
        char *tmp = NULL;
        int fd, r = 0;

        if (asprintf(&tmp, "%s.new", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                free(tmp);
                return r;
        }
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len)
                r = -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        free(tmp);
        return r;
}

int xkd_write_private_at(int dirfd, const char *name, const void *buf, size_t len) {
        const char *p = buf;
        char tmp[256];
        int fd, r;

        if ((size_t) snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = fchmod(fd, 0600) < 0 ? -errno : 0;
        while (r == 0 && len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = -errno;
                else {
                        p += n;
                        len -= (size_t) n;
                }
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        return r;
}

int xkd_read_text_file(const char *path, size_t max, char **ret) {
        FILE *f = fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(max + 1);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, max, f);
        buf[n] = '\0';
        fclose(f);
        *ret = buf;
        return 0;
}
