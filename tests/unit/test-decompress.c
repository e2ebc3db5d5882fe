/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decoding in process (gzip, xz, lzma, zstd) gives what the tools give:
 * several members or frames in a row, trailing padding or garbage ignored,
 * a sink that has seen enough stops it; bzip2 still goes through the tool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"
#include "test.h"

#define DATA_SIZE (700u << 10)  /* several decoder buffers' worth */

static uint8_t *data;

static const uint8_t *sample(void) {
        if (!data) {
                data = malloc(DATA_SIZE);
                uint32_t x = 12345;
                for (size_t i = 0; i < DATA_SIZE; i++) {
                        x = x * 1103515245 + 12345;
                        /* compressible, but not trivially */
                        data[i] = (uint8_t) ((i % 97 < 60) ? 'a' + (i / 4096) % 26 : (x >> 16));
                }
        }
        return data;
}

/* Compress data[off, off + len) with cmd (reading stdin, writing stdout), append to path. */
static void append_compressed(const char *cmd, const char *path, size_t off, size_t len) {
        char line[512];
        FILE *f;

        snprintf(line, sizeof(line), "%s >> '%s'", cmd, path);
        f = popen(line, "w");
        if (!f || fwrite(sample() + off, 1, len, f) != len || pclose(f) != 0)
                abort();
}

static void append_bytes(const char *path, const void *buf, size_t len) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, len) != (ssize_t) len)
                abort();
        close(fd);
}

struct collect {
        uint8_t *buf;
        size_t have, stop_after;        /* stop_after 0: take everything */
};

static int collect_sink(const void *buf, size_t len, void *userdata) {
        struct collect *c = userdata;
        size_t n = len;

        if (c->have + n > 2 * DATA_SIZE)
                return -E2BIG;
        memcpy(c->buf + c->have, buf, n);
        c->have += n;
        return c->stop_after && c->have >= c->stop_after ? 1 : 0;
}

static int decode(const char *path, enum xkd_compression_kind kind, struct collect *c) {
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        uint8_t head[8];

        if (fd < 0)
                abort();
        if (pread(fd, head, sizeof(head), 0) != (ssize_t) sizeof(head))
                abort();
        if (xkd_compression_detect(head, sizeof(head)) != kind)
                return -EPROTO;
        r = xkd_decompress_fd(fd, kind, path, collect_sink, c);
        close(fd);
        return r;
}

static const struct format {
        const char *cmd;
        enum xkd_compression_kind kind;
} formats[] = {
        { "gzip -c -6", XKD_COMP_GZIP },
        { "xz -c --check=crc32", XKD_COMP_XZ },
        { "zstd -q -c", XKD_COMP_ZSTD },
        { "xz -c --format=lzma", XKD_COMP_LZMA },
        { "bzip2 -c", XKD_COMP_BZIP2 },
};

static void check_format(const struct format *fm) {
        char path[] = "/tmp/xkd-test-dec-XXXXXX";
        struct collect c = { .buf = malloc(2 * DATA_SIZE) };
        static const uint8_t zeros[512], junk[] = "\x01\x02\x03\x04 size word";
        int fd = mkstemp(path);
        bool concatenates = fm->kind != XKD_COMP_LZMA;  /* .lzma has no stream framing */

        ASSERT_TRUE(fd >= 0);
        close(fd);

        /* One stream. */
        append_compressed(fm->cmd, path, 0, DATA_SIZE);
        ASSERT_EQ(decode(path, fm->kind, &c), 0);
        ASSERT_U64_EQ(c.have, DATA_SIZE);
        ASSERT_MEMEQ(c.buf, sample(), DATA_SIZE);

        /* Two streams in a row (the second half after the first), then zero padding. */
        if (concatenates) {
                ASSERT_EQ(truncate(path, 0), 0);
                append_compressed(fm->cmd, path, 0, DATA_SIZE / 2);
                append_compressed(fm->cmd, path, DATA_SIZE / 2, DATA_SIZE - DATA_SIZE / 2);
                append_bytes(path, zeros, sizeof(zeros));
                c.have = 0;
                ASSERT_EQ(decode(path, fm->kind, &c), 0);
                ASSERT_U64_EQ(c.have, DATA_SIZE);
                ASSERT_MEMEQ(c.buf, sample(), DATA_SIZE);
        }

        /* Garbage after the stream (a kernel's size word): all the data, no failure. */
        ASSERT_EQ(truncate(path, 0), 0);
        append_compressed(fm->cmd, path, 0, DATA_SIZE);
        append_bytes(path, junk, sizeof(junk));
        c.have = 0;
        ASSERT_EQ(decode(path, fm->kind, &c), 0);
        ASSERT_U64_EQ(c.have, DATA_SIZE);
        ASSERT_MEMEQ(c.buf, sample(), DATA_SIZE);

        /* A sink that has enough stops the decoder early. */
        c.have = 0;
        c.stop_after = 65536;
        ASSERT_EQ(decode(path, fm->kind, &c), 0);
        ASSERT_TRUE(c.have >= 65536 && c.have < DATA_SIZE);
        ASSERT_MEMEQ(c.buf, sample(), c.have);

        /* A truncated stream gives a prefix of the data, never made-up bytes. */
        struct stat st;
        ASSERT_EQ(stat(path, &st), 0);
        ASSERT_EQ(truncate(path, st.st_size / 2), 0);
        c.have = 0;
        c.stop_after = 0;
        ASSERT_EQ(decode(path, fm->kind, &c), 0);
        ASSERT_TRUE(c.have < DATA_SIZE);
        ASSERT_MEMEQ(c.buf, sample(), c.have);

        unlink(path);
        free(c.buf);
}

TEST(gzip_in_process) {
        check_format(&formats[0]);
}

TEST(xz_in_process) {
        check_format(&formats[1]);
}

TEST(zstd_in_process) {
        check_format(&formats[2]);
}

TEST(lzma_in_process) {
        check_format(&formats[3]);
}

TEST(bzip2_through_the_tool) {
        check_format(&formats[4]);
}

TEST(a_failing_sink_fails_the_decode) {
        char path[] = "/tmp/xkd-test-dec-XXXXXX";
        struct collect c = { .buf = malloc(2 * DATA_SIZE) };
        int fd = mkstemp(path);

        ASSERT_TRUE(fd >= 0);
        close(fd);
        append_compressed("gzip -c", path, 0, DATA_SIZE);
        append_compressed("gzip -c", path, 0, DATA_SIZE);
        append_compressed("gzip -c", path, 0, DATA_SIZE);     /* 3x: more than the sink takes */
        ASSERT_EQ(decode(path, XKD_COMP_GZIP, &c), -E2BIG);
        unlink(path);
        free(c.buf);
}

TEST_MAIN()
