/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `estimate` reads from files it is pointed at: cpio streams, bzImage
 * setup headers, ELF program headers, GRUB defaults and Xen command lines.
 * None may crash, and the cpio counter must give the same answer however the
 * stream is chunked (it is fed pipe reads of any size).
 */
#include <stdint.h>
#include <string.h>

#include "estimate.h"
#include "initrd-size.h"
#include "kernel-facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_cpio_counter whole, pieces;
        struct xkd_kernel_facts kf;
        char buf[256] = "", text[4096];
        uint64_t v;

        xkd_cpio_counter_init(&whole);
        int64_t a = xkd_cpio_counter_feed(&whole, data, size);

        /* Feed again in uneven pieces, stopping where the whole feed stopped. */
        xkd_cpio_counter_init(&pieces);
        int64_t b = 0;
        size_t off = 0, step = 1;
        while (off < size) {
                size_t len = step < size - off ? step : size - off;
                int64_t n = xkd_cpio_counter_feed(&pieces, data + off, len);
                if (n < 0) {
                        b = n;
                        break;
                }
                off += (size_t) n;
                b = (int64_t) off;
                if ((size_t) n < len)
                        break;
                step = step * 3 % 17 + 1;
        }
        if (a != b)
                __builtin_trap();
        if (a >= 0 && memcmp(&whole.stats, &pieces.stats, sizeof(whole.stats)) != 0)
                __builtin_trap();
        if (a > (int64_t) size)
                __builtin_trap();

        if (xkd_kernel_facts_parse_header(data, size, &kf) == 0 &&
            strnlen(kf.version, sizeof(kf.version)) >= sizeof(kf.version))
                __builtin_trap();
        uint64_t sum;
        if (xkd_elf_load_span(data, size, &v, &sum) == 0 && sum > v)
                __builtin_trap();

        size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
        memcpy(text, data, n);
        text[n] = '\0';
        (void) xkd_estimate_parse_crashkernel(text, &v);
        if (xkd_estimate_grub_xen_default(text, buf, sizeof(buf)) == 0 &&
            strnlen(buf, sizeof(buf)) >= sizeof(buf))
                __builtin_trap();
        char out[300];
        (void) xkd_estimate_replace_crashkernel(buf[0] ? buf : text, "64M", out, sizeof(out));
        return 0;
}
