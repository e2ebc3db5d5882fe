/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lzma.h>
#include <stdbool.h>
#include <zlib.h>
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

/*
 * gzip, xz, lzma and zstd are decoded in process: no fork and exec of a tool
 * (dear in a PV dom0, and dom0 may lack the tool), and the libraries' decoders
 * are quicker than busybox's.  Each decoder step takes what input it can and
 * fills out; it returns 1 when its stream is over (its end, or bytes it does
 * not understand: trailing padding, a size word), and the sink judges the
 * output, as with the tools.
 */
struct decoder {
        enum xkd_compression_kind kind;
        ZSTD_DCtx *zstd;
        z_stream gz;
        bool gz_ended;                  /* a gzip member ended; another may follow */
        lzma_stream *xz;
        bool cached;                    /* zstd/xz are the kept ones below */
        bool single;                    /* one stream, that must end whole */
        bool whole;                     /* a stream reached its end, its checks passed */
};

/* The zstd and xz decoders are kept for the next stream (one process decodes
 * a kernel payload and every part of an initramfs, the fuzzers millions of
 * streams): their state is over 128 KiB, an mmap and munmap each time.
 * Reset for every stream; a nested use gets fresh ones. */
static ZSTD_DCtx *kept_zstd;
static lzma_stream kept_xz = LZMA_STREAM_INIT;
static bool kept_busy;

/* What an xz or lzma stream may make its decoder allocate.  The header picks
 * the dictionary size: a damaged or hostile one asked for gigabytes (the
 * loader ran out of memory before it could refuse the file).  Kernels and
 * initramfs files use dictionaries of at most 64 MiB (xz -9). */
#ifdef XKD_FUZZING
#define XZ_MEMLIMIT (UINT64_C(4) << 20)        /* same checks, without a dictionary per iteration */
#else
#define XZ_MEMLIMIT (UINT64_C(128) << 20)
#endif

static void decoder_done(struct decoder *d);

static int decoder_init(struct decoder *d, enum xkd_compression_kind kind, bool single) {
        int r = 0;

        memset(d, 0, sizeof(*d));
        d->kind = kind;
        d->single = single;
        d->cached = !kept_busy && kind != XKD_COMP_GZIP;
        if (d->cached)
                kept_busy = true;
        switch (kind) {
        case XKD_COMP_ZSTD:
                if (!d->cached)
                        d->zstd = ZSTD_createDCtx();
                else if (kept_zstd && !ZSTD_isError(ZSTD_DCtx_reset(kept_zstd, ZSTD_reset_session_only)))
                        d->zstd = kept_zstd;
                else {
                        ZSTD_freeDCtx(kept_zstd);
                        d->zstd = kept_zstd = ZSTD_createDCtx();
                }
                r = d->zstd ? 0 : -ENOMEM;
                break;
        case XKD_COMP_GZIP:
                return inflateInit2(&d->gz, 16 + MAX_WBITS) == Z_OK ? 0 : -ENOMEM;
        case XKD_COMP_XZ:
        case XKD_COMP_LZMA:
                if (d->cached)
                        d->xz = &kept_xz;               /* liblzma reuses its memory on re-init */
                else if ((d->xz = malloc(sizeof(*d->xz))))
                        *d->xz = (lzma_stream) LZMA_STREAM_INIT;
                if (!d->xz)
                        r = -ENOMEM;
                else if ((kind == XKD_COMP_XZ ? lzma_stream_decoder(d->xz, XZ_MEMLIMIT, single ? 0 : LZMA_CONCATENATED)
                                              : lzma_alone_decoder(d->xz, XZ_MEMLIMIT)) != LZMA_OK)
                        r = -ENOMEM;
                break;
        default:
                r = -EOPNOTSUPP;
        }
        if (r < 0)
                decoder_done(d);
        return r;
}

static void decoder_done(struct decoder *d) {
        if (d->kind == XKD_COMP_GZIP) {
                inflateEnd(&d->gz);
                return;
        }
        if (d->cached) {
                kept_busy = false;      /* the decoders stay for the next stream */
                return;
        }
        if (d->kind == XKD_COMP_ZSTD)
                ZSTD_freeDCtx(d->zstd);
        else if (d->xz) {
                lzma_end(d->xz);
                free(d->xz);
        }
}

static int decoder_step(struct decoder *d, const uint8_t **in, size_t *in_left, bool eof,
                        uint8_t *out, size_t out_size, size_t *produced) {
        size_t before = *in_left;
        int over = 0;

        switch (d->kind) {
        case XKD_COMP_ZSTD: {
                ZSTD_inBuffer ib = { *in, *in_left, 0 };
                ZSTD_outBuffer ob = { out, out_size, 0 };
                size_t k = ZSTD_decompressStream(d->zstd, &ob, &ib);
                over = ZSTD_isError(k);
                *in_left -= ib.pos;
                *produced = ob.pos;
                if (k == 0) {                   /* a frame ended, flushed, its checksum right */
                        d->whole = true;
                        over = d->single;
                }
                break;
        }
        case XKD_COMP_GZIP: {
                if (d->gz_ended) {
                        if (*in_left == 0)
                                break;
                        if ((*in)[0] != 0x1f || inflateReset(&d->gz) != Z_OK)
                                return 1;
                        d->gz_ended = false;
                }
                d->gz.next_in = (uint8_t *) *in;
                d->gz.avail_in = (uInt) (*in_left > UINT32_MAX ? UINT32_MAX : *in_left);
                d->gz.next_out = out;
                d->gz.avail_out = (uInt) out_size;
                uInt offered = d->gz.avail_in;
                int k = inflate(&d->gz, Z_NO_FLUSH);
                *in_left -= offered - d->gz.avail_in;
                *produced = out_size - d->gz.avail_out;
                if (k == Z_STREAM_END) {
                        d->gz_ended = d->whole = true;
                        over = d->single;
                }
                else if (k != Z_OK && k != Z_BUF_ERROR)
                        over = 1;
                break;
        }
        default: {
                d->xz->next_in = *in;
                d->xz->avail_in = *in_left;
                d->xz->next_out = out;
                d->xz->avail_out = out_size;
                lzma_ret k = lzma_code(d->xz, eof ? LZMA_FINISH : LZMA_RUN);
                *in_left = d->xz->avail_in;
                *produced = out_size - d->xz->avail_out;
                over = k != LZMA_OK && k != LZMA_BUF_ERROR;
                d->whole = k == LZMA_STREAM_END;
                break;
        }
        }
        *in += before - *in_left;
        return over;
}

/* From fd, or (fd < 0) from the len bytes at data. */
static int decode_in_process(int fd, const void *data, size_t len, enum xkd_compression_kind kind, bool single,
                             const char *what, xkd_decompress_sink sink, void *userdata) {
        /* Under 128 KiB: the sanitizers' allocator maps anything larger afresh. */
        const size_t in_size = 120 << 10, out_size = 120 << 10;
        uint8_t *inbuf = fd >= 0 ? malloc(in_size) : NULL, *outbuf = malloc(out_size);
        const uint8_t *in = fd >= 0 ? inbuf : data;
        size_t in_left = fd >= 0 ? 0 : len, produced;
        struct decoder d;
        bool eof = fd < 0;
        int r;

        r = decoder_init(&d, kind, single);
        if (r < 0 || (fd >= 0 && !inbuf) || !outbuf) {
                if (r == 0)
                        decoder_done(&d);
                free(inbuf);
                free(outbuf);
                return log_error_errno(-ENOMEM, "Failed to allocate memory: %m");
        }
        for (;;) {
                if (in_left == 0 && !eof) {
                        ssize_t n = read(fd, inbuf, in_size);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                r = log_error_errno(-errno, "Failed to read %s: %m", what);
                                break;
                        }
                        eof = n == 0;
                        in = inbuf;
                        in_left = (size_t) n;
                }
                size_t left_before = in_left;
                produced = 0;
                int over = decoder_step(&d, &in, &in_left, eof, outbuf, out_size, &produced);
                if (produced > 0) {
                        r = sink(outbuf, produced, userdata);
                        if (r != 0) {
                                r = r > 0 ? 0 : r;
                                break;
                        }
                }
                /* A decoder that did not fill out has flushed all it had. */
                if (over || (eof && in_left == 0 && produced < out_size))
                        break;
                if (produced == 0 && in_left > 0 && in_left == left_before)
                        break;          /* no progress: never spin */
        }
        if (single && r == 0 && !d.whole)
                r = -EBADMSG;
        decoder_done(&d);
        free(inbuf);
        free(outbuf);
        return r;
}

bool xkd_decompress_in_process(enum xkd_compression_kind kind) {
        return kind == XKD_COMP_ZSTD || kind == XKD_COMP_GZIP || kind == XKD_COMP_XZ || kind == XKD_COMP_LZMA;
}

int xkd_decompress_buf(const void *data, size_t len, enum xkd_compression_kind kind, const char *what,
                       xkd_decompress_sink sink, void *userdata) {
        if (!xkd_decompress_in_process(kind))
                return -EOPNOTSUPP;
        return decode_in_process(-1, data, len, kind, false, what, sink, userdata);
}

int xkd_decompress_buf_whole(const void *data, size_t len, enum xkd_compression_kind kind, const char *what,
                             xkd_decompress_sink sink, void *userdata) {
        if (!xkd_decompress_in_process(kind))
                return -EOPNOTSUPP;
        return decode_in_process(-1, data, len, kind, true, what, sink, userdata);
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

        if (xkd_decompress_in_process(kind))
                return decode_in_process(fd, NULL, 0, kind, false, what, sink, userdata);

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
