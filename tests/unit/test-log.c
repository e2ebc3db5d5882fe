/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "test.h"

/* Capture what a log call writes to stderr. */
static void capture_stderr(char *buf, size_t size, void (*fn)(int *), int *ret) {
        FILE *tmp = tmpfile();
        int saved = dup(2);

        fflush(stderr);
        dup2(fileno(tmp), 2);
        fn(ret);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(tmp);
        size_t n = fread(buf, 1, size - 1, tmp);
        buf[n] = '\0';
        fclose(tmp);
}

static void log_enospc(int *ret) {
        errno = EPERM; /* must not leak into the message */
        *ret = log_error_errno(-ENOSPC, "Failed to write dump: %m");
}

TEST(error_errno_returns_negative_errno_and_expands_m) {
        char buf[256];
        int r = 0;

        log_set_program("unit");
        capture_stderr(buf, sizeof(buf), log_enospc, &r);
        ASSERT_EQ(r, -ENOSPC);
        ASSERT_STREQ(buf, "unit: Failed to write dump: No space left on device\n");
}

static void log_debug_hidden(int *ret) {
        log_set_max_level(LOG_LEVEL_NOTICE);
        log_debug("hidden");
        *ret = log_error("plain");
}

TEST(levels_filter_and_plain_error_is_einval) {
        char buf[256];
        int r = 0;

        log_set_program("unit");
        capture_stderr(buf, sizeof(buf), log_debug_hidden, &r);
        ASSERT_EQ(r, -EINVAL);
        ASSERT_STREQ(buf, "unit: plain\n");
}

TEST_MAIN()
