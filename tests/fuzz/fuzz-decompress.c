/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arbitrary bytes through the in-process decoders `estimate` and `load` run
 * on kernel payloads and initramfs files (gzip, xz, lzma, zstd): each must
 * refuse or stream output, never crash, and stop when the sink says so (a
 * decompression bomb is cut by the sink, not by memory).  Also the magic
 * detector on the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "decompress.h"
#include "log.h"

struct budget {
        size_t seen, limit;
};

static int sink(const void *buf, size_t len, void *userdata) {
        struct budget *b = userdata;
        const volatile uint8_t *p = buf;

        if (len && (p[0] | p[len - 1]) == 0x100)        /* touch both ends of what we were given */
                abort();
        b->seen += len;
        return b->seen >= b->limit ? 1 : 0;
}

/* A smaller quarantine than ASan's 256 MiB keeps each iteration's decoder
 * state on warm pages; a use after free within an iteration is still caught. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const enum xkd_compression_kind kinds[] = {
                XKD_COMP_GZIP, XKD_COMP_ZSTD, XKD_COMP_XZ, XKD_COMP_LZMA,
        };
        enum xkd_compression_kind k;

        log_set_max_level(LOG_LEVEL_ERROR);
        k = xkd_compression_detect(data, size);
        if (k > XKD_COMP_UNKNOWN)
                abort();
        (void) xkd_compression_name(k);
        /* The detected kind, and the byte-chosen one so every decoder sees garbage too. */
        for (int pass = 0; pass < 2; pass++) {
                struct budget b = { 0, 256u << 10 };     /* two of the decoder's chunks */
                enum xkd_compression_kind kind = pass == 0 ? k : kinds[size ? data[size - 1] % 4 : 0];

                if (!xkd_decompress_in_process(kind))
                        continue;
                int r = xkd_decompress_buf(data, size, kind, "fuzz", sink, &b);
                if (r > 0 || b.seen > b.limit + (128u << 10))
                        abort();
        }
        return 0;
}
