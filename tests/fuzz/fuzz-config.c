/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config parser on arbitrary bytes: it must accept or refuse with a
 * message, never crash, and an accepted config must survive validation and
 * printing (the shell output is sourced inside the capture initramfs).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

/* Each iteration allocates a config afresh; with ASan's default 256 MiB
 * quarantine every allocation landed on a page never touched before, and the
 * page faults cost more than the parsing.  A use after free within an
 * iteration is still caught. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        xkd_config *c = NULL;
        int r;

        if (xkd_config_new(&c, "6.1.0-fuzz") < 0)
                return 0;
        r = xkd_config_parse_text(c, "fuzz.conf", (const char *) data, size);
        if (r < 0) {
                /* A refusal always says where and why. */
                if (strncmp(xkd_config_error(c), "fuzz.conf:", 10) != 0)
                        __builtin_trap();
        } else {
                if (!null)
                        null = fopen("/dev/null", "we");
                log_set_max_level(LOG_LEVEL_ERROR);
                if (null) {
                        /* validate() may refuse a rule; it logs, which is fine here. */
                        (void) xkd_config_validate(c);
                        xkd_config_print_shell(c, null);
                        xkd_config_print_json(c, null);
                        xkd_config_print_text(c, null);
                        fflush(null);
                }
        }
        xkd_config_free(c);
        return 0;
}
