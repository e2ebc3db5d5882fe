/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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

/*
 * Under systemd: JOURNAL_STREAM names stderr's device and inode.  The test
 * points it at the capture file, which stands where journald's socket would.
 */
static void mark_stderr_as_journal(bool same) {
        struct stat st;
        char v[64];

        if (fstat(2, &st) < 0)
                return;
        snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long) st.st_dev,
                 (unsigned long long) st.st_ino + (same ? 0 : 1));
        setenv("JOURNAL_STREAM", v, 1);
}

static void log_every_level_to_journal(int *ret) {
        mark_stderr_as_journal(true);
        log_set_max_level(LOG_LEVEL_DEBUG);
        errno = EPERM;
        *ret = log_error_errno(-ENOSPC, "Failed to write dump: %m");
        log_warning("two\nlines");
        log_notice("n");
        log_info("i");
        log_debug("d");
        log_set_max_level(LOG_LEVEL_NOTICE);
}

TEST(journal_stream_lines_carry_priorities) {
        char buf[512];
        int r = 0;

        log_set_program("unit");
        capture_stderr(buf, sizeof(buf), log_every_level_to_journal, &r);
        unsetenv("JOURNAL_STREAM");
        ASSERT_EQ(r, -ENOSPC);
        ASSERT_STREQ(buf, "<3>unit: Failed to write dump: No space left on device\n"
                          "<4>unit: warning: two\n"
                          "<4>lines\n"
                          "<5>unit: n\n"
                          "<6>unit: i\n"
                          "<7>unit: d\n");
}

static void log_other_stream(int *ret) {
        mark_stderr_as_journal(false);  /* stderr was redirected away from the journal */
        errno = EPERM;
        *ret = log_error_errno(-ENOSPC, "Failed to write dump: %m");
        setenv("JOURNAL_STREAM", "garbage", 1);
        log_warning("w");
}

TEST(other_stream_or_bad_journal_stream_stays_plain) {
        char buf[512];
        int r = 0;

        log_set_program("unit");
        capture_stderr(buf, sizeof(buf), log_other_stream, &r);
        unsetenv("JOURNAL_STREAM");
        ASSERT_EQ(r, -ENOSPC);
        ASSERT_STREQ(buf, "unit: Failed to write dump: No space left on device\n"
                          "unit: warning: w\n");
}

TEST_MAIN()
