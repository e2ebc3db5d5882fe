/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "decompress.h"
#include "log.h"

enum xkd_compression_kind xkd_compression_detect(const void *buf, size_t len) {
        const uint8_t *p = buf;

        if (len >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
                return XKD_COMP_GZIP;
        if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
                return XKD_COMP_ZSTD;
        if (len >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
                return XKD_COMP_XZ;
        if (len >= 3 && p[0] == 0x5d && p[1] == 0 && p[2] == 0)
                return XKD_COMP_LZMA;
        if (len >= 3 && memcmp(p, "BZh", 3) == 0)
                return XKD_COMP_BZIP2;
        if (len >= 4 && p[0] == 0x02 && p[1] == 0x21 && p[2] == 0x4c && p[3] == 0x18)
                return XKD_COMP_LZ4;
        if (len >= 4 && memcmp(p, "\x89LZO", 4) == 0)
                return XKD_COMP_LZO;
        return XKD_COMP_UNKNOWN;
}

const char *xkd_compression_name(enum xkd_compression_kind k) {
        static const char *const names[] = {
                [XKD_COMP_NONE] = "none",   [XKD_COMP_GZIP] = "gzip", [XKD_COMP_ZSTD] = "zstd",
                [XKD_COMP_XZ] = "xz",       [XKD_COMP_LZMA] = "lzma", [XKD_COMP_BZIP2] = "bzip2",
                [XKD_COMP_LZ4] = "lz4",     [XKD_COMP_LZO] = "lzo",   [XKD_COMP_UNKNOWN] = "unknown",
        };
        return (unsigned) k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

/* zstd in process: the library is linked anyway, and dom0 may lack the zstd tool. */
static int zstd_fd(int fd, const char *what, xkd_decompress_sink sink, void *userdata) {
        size_t in_size = ZSTD_DStreamInSize(), out_size = ZSTD_DStreamOutSize();
        uint8_t *inbuf = malloc(in_size), *outbuf = malloc(out_size);
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        int r = 0;

        if (!inbuf || !outbuf || !dctx) {
                r = log_error_errno(-ENOMEM, "Failed to allocate memory: %m");
                goto out;
        }
        for (;;) {
                ssize_t n = read(fd, inbuf, in_size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = log_error_errno(-errno, "Failed to read %s: %m", what);
                        goto out;
                }
                if (n == 0)
                        goto out;
                ZSTD_inBuffer in = { inbuf, (size_t) n, 0 };
                while (in.pos < in.size) {
                        ZSTD_outBuffer o = { outbuf, out_size, 0 };
                        size_t z = ZSTD_decompressStream(dctx, &o, &in);
                        if (ZSTD_isError(z))
                                goto out;       /* trailing bytes: the sink judges the output */
                        if (o.pos > 0) {
                                r = sink(outbuf, o.pos, userdata);
                                if (r != 0) {
                                        r = r > 0 ? 0 : r;
                                        goto out;
                                }
                        }
                }
        }
out:
        ZSTD_freeDCtx(dctx);
        free(inbuf);
        free(outbuf);
        return r;
}

int xkd_decompress_fd(int fd, enum xkd_compression_kind kind, const char *what,
                      xkd_decompress_sink sink, void *userdata) {
        static const char *const tools[][4] = {
                [XKD_COMP_GZIP] = { "gzip", "-dc", NULL },
                [XKD_COMP_ZSTD] = { "zstd", "-dcq", NULL },
                [XKD_COMP_XZ] = { "xz", "-dc", NULL },
                [XKD_COMP_LZMA] = { "xz", "--format=lzma", "-dc", NULL },
                [XKD_COMP_BZIP2] = { "bzip2", "-dc", NULL },
                [XKD_COMP_LZ4] = { "lz4", "-dc", NULL },
                [XKD_COMP_LZO] = { "lzop", "-dc", NULL },
        };
        int pipefd[2], status, r = 0, stopped = 0;
        uint8_t buf[65536];
        pid_t pid;

        if (kind <= XKD_COMP_NONE || kind >= XKD_COMP_UNKNOWN)
                return log_error_errno(-EINVAL, "%s: unknown compression; rebuild it", what);
        const char *const *argv = tools[kind];

        if (kind == XKD_COMP_ZSTD)
                return zstd_fd(fd, what, sink, userdata);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "Failed to create a pipe: %m");
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return log_error_errno(r, "Failed to fork: %m");
        }
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                if (dup2(fd, 0) < 0 || dup2(pipefd[1], 1) < 0 || (null >= 0 && dup2(null, 2) < 0))
                        _exit(127);
                execvp(argv[0], (char *const *) argv);
                _exit(127);
        }
        close(pipefd[1]);
        for (;;) {
                ssize_t n = read(pipefd[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = log_error_errno(-errno, "Failed to read %s's output: %m", argv[0]);
                        break;
                }
                if (n == 0)
                        break;
                r = sink(buf, (size_t) n, userdata);
                if (r != 0) {
                        stopped = r > 0;
                        break;
                }
        }
        if (r != 0)
                kill(pid, SIGTERM);
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return log_error_errno(-errno, "Failed to wait for %s: %m", argv[0]);
        if (r < 0)
                return r;
        if (!stopped && WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return log_error_errno(-ENOENT, "Cannot run '%s' to read %s; install it",
                                       argv[0], what);
        return 0;
}
