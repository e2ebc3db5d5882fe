/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `xen-kdump list/info/debug` read from a dump disk, on arbitrary bytes:
 * the same input as report.json, as a vmcore (kdump, ELF, flattened: the
 * magic picks the parser) and as an ELF note list.  None may crash, read out
 * of bounds or hang; what they accept must come out terminal-safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dumplist.h"

static void check_text(const char *s, size_t size) {
        if (strnlen(s, size) >= size)
                __builtin_trap();
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f)
                        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_dump_report r;
        struct xkd_dump_header h;
        char release[65], fmt[32];

        if (xkd_dump_parse_report((const char *) data, size, &r) == 0) {
                if (!r.valid || r.crashing_cpu < -1 || r.crashing_cpu > 65535)
                        __builtin_trap();
                check_text(r.reason, sizeof(r.reason));
                check_text(r.crash_time, sizeof(r.crash_time));
                check_text(r.dom0_panic, sizeof(r.dom0_panic));
                check_text(r.xen_version, sizeof(r.xen_version));
                check_text(r.dom0_release, sizeof(r.dom0_release));
                check_text(r.dump_status, sizeof(r.dump_status));
        } else if (r.valid || r.xen_version[0] || r.crashing_cpu != -1)
                __builtin_trap();       /* a refused report says nothing */

        xkd_dump_parse_header_mem(data, size, &h);
        if (!h.compression)
                __builtin_trap();
        check_text(h.release, sizeof(h.release));
        xkd_dump_format_name(&h, fmt, sizeof(fmt));

        if (xkd_dump_notes_release(data, size, release, sizeof(release)) == 0)
                check_text(release, sizeof(release));

        char stamp[16];
        char *name = strndup((const char *) data, size < 300 ? size : 300);
        if (name) {
                if (xkd_dump_name_is_dump(name, stamp, NULL) && strlen(stamp) != 15)
                        __builtin_trap();
                free(name);
        }
        return 0;
}
