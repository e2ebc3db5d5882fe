/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct stat;

/* Open a file that must be a regular file, for reading.  A FIFO, a device, a
 * socket or a directory is refused with one line naming the path and fix
 * instead of blocking forever in open() or read(): the file is opened with
 * O_NONBLOCK (a FIFO without a writer opens at once), checked with fstat(),
 * and only then switched back to blocking reads.  /proc/vmcore is S_ISREG and
 * passes.  what names the file in the error ("kernel", "vmcore"), fix says what
 * to do.  Returns the fd (O_CLOEXEC) or a negative errno; st gets fstat(). */
int xkd_open_regular(const char *path, const char *what, const char *fix, struct stat *st);

/* Read the whole regular file open on fd, of size st->st_size, at most max bytes. */
int xkd_read_fd(int fd, const struct stat *st, const char *path, size_t max, const char *what, const char *fix,
                void **ret, size_t *ret_size);

/* Read a whole regular file of at most max bytes into a malloc'd buffer.
 * what names the file in the one-line error ("kernel", "initramfs"), fix says what to do. */
int xkd_read_file(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size);
/* The same, also giving fstat() before and after the read (both or neither may be NULL). */
int xkd_read_file_stat(const char *path, size_t max, const char *what, const char *fix, void **ret, size_t *ret_size,
                       struct stat *before, struct stat *after);

/* Replace path with text, atomically: written to "<path>.new" (0600) in the
 * same directory, then renamed over path; on failure path is untouched and the
 * temporary file is gone.  0 or a negative errno (nothing logged). */
int xkd_write_file_atomic(const char *path, const char *text);

/* Write NAME in dirfd through ".NAME.tmp": mode 0600 whatever the umask, no
 * symlink followed, synced, then renamed, so a reader never sees half of it;
 * on failure the temporary file is gone.  0 or a negative errno (nothing logged). */
int xkd_write_private_at(int dirfd, const char *name, const void *buf, size_t len);

/* The first max bytes of a small text file (a sidecar, a list), NUL-terminated
 * in a malloc'd buffer; a longer file is cut there.  0 or a negative errno
 * (nothing logged): the callers decide whether a missing file is an error. */
int xkd_read_text_file(const char *path, size_t max, char **ret);
