/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"

int xkd_read_file(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size) {
        return xkd_read_file_stat(path, max, what, fix, ret, ret_size, NULL, NULL);
}

int xkd_read_file_stat(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size,
                       struct stat *before, struct stat *after) {
        struct stat st;
        uint8_t *buf;
        size_t got = 0;
        int fd, r;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open the %s %s: %m; %s.", what, path, fix);
        if (fstat(fd, &st) < 0) {
                r = log_error_errno(-errno, "Cannot stat the %s %s: %m; %s.", what, path, fix);
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                r = log_error_errno(-EINVAL, "The %s %s is not a regular file; %s.", what, path, fix);
                goto out;
        }
        if (st.st_size == 0) {
                r = log_error_errno(-EINVAL, "The %s %s is empty; %s.", what, path, fix);
                goto out;
        }
        if ((uint64_t) st.st_size > max) {
                r = log_error_errno(-EFBIG, "The %s %s is %lld MiB, more than the %zu MiB a crash region can take; %s.",
                                    what, path, (long long) (st.st_size >> 20), max >> 20, fix);
                goto out;
        }
        buf = malloc((size_t) st.st_size);
        if (!buf) {
                r = log_error_errno(-ENOMEM, "Out of memory reading the %s %s.", what, path);
                goto out;
        }
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = log_error_errno(n < 0 ? -errno : -EIO, "Cannot read the %s %s: %m; %s.", what, path, fix);
                        free(buf);
                        goto out;
                }
                got += (size_t) n;
        }
        if (before)
                *before = st;
        if (after && fstat(fd, after) < 0) {
                r = log_error_errno(-errno, "Cannot stat the %s %s: %m; %s.", what, path, fix);
                free(buf);
                goto out;
        }
        *ret = buf;
        *ret_size = got;
        r = 0;
out:
        close(fd);
        return r;
}
