/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A minimal unit-test harness.  A test file defines functions with TEST(name)
 * and ends with TEST_MAIN().  Each test prints "ok N - name", "not ok N - name"
 * or, when it called TEST_SKIP(reason), "ok N - name # SKIP reason" (TAP); the
 * binary exits non-zero when any test failed.  tests/unit/run adds it all up
 * and, with XKD_REQUIRE_ALL=1 (make check, CI), fails on any skip: a skipped
 * test proves nothing.
 *
 *   TEST(sha256_empty) {
 *           ASSERT_EQ(f(), 0);
 *   }
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
        const char *name;
        void (*fn)(void);
};

extern bool test_failed_;
extern char test_skip_reason_[256];

#define TEST_MAX 512
extern struct test_case test_cases_[TEST_MAX];
extern unsigned test_count_;

#define TEST(name)                                                              \
        static void test_##name(void);                                          \
        __attribute__((constructor)) static void test_register_##name(void) {   \
                if (test_count_ < TEST_MAX)                                     \
                        test_cases_[test_count_++] =                            \
                                (struct test_case) { #name, test_##name };      \
        }                                                                       \
        static void test_##name(void)

#define TEST_FAIL_(...)                                                         \
        do {                                                                    \
                fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);               \
                fprintf(stderr, __VA_ARGS__);                                   \
                fputc('\n', stderr);                                            \
                test_failed_ = true;                                            \
                return;                                                         \
        } while (0)

/* This test cannot run here (say why: what is missing and how to provide it). */
#define TEST_SKIP(...)                                                          \
        do {                                                                    \
                snprintf(test_skip_reason_, sizeof(test_skip_reason_),          \
                         __VA_ARGS__);                                          \
                return;                                                         \
        } while (0)

#define ASSERT_TRUE(x)                                                          \
        do { if (!(x)) TEST_FAIL_("expected true: %s", #x); } while (0)
#define ASSERT_FALSE(x)                                                         \
        do { if (x) TEST_FAIL_("expected false: %s", #x); } while (0)
#define ASSERT_EQ(a, b)                                                         \
        do {                                                                    \
                long long a_ = (long long) (a), b_ = (long long) (b);           \
                if (a_ != b_)                                                   \
                        TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);   \
        } while (0)
#define ASSERT_NE(a, b)                                                         \
        do {                                                                    \
                long long a_ = (long long) (a), b_ = (long long) (b);           \
                if (a_ == b_)                                                   \
                        TEST_FAIL_("%s != %s: both %lld", #a, #b, a_);          \
        } while (0)
#define ASSERT_U64_EQ(a, b)                                                     \
        do {                                                                    \
                uint64_t a_ = (uint64_t) (a), b_ = (uint64_t) (b);              \
                if (a_ != b_)                                                   \
                        TEST_FAIL_("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64,     \
                                   #a, #b, a_, b_);                             \
        } while (0)
#define ASSERT_LT(a, b)                                                         \
        do {                                                                    \
                long long a_ = (long long) (a), b_ = (long long) (b);           \
                if (!(a_ < b_))                                                 \
                        TEST_FAIL_("%s < %s: %lld >= %lld", #a, #b, a_, b_);    \
        } while (0)
#define ASSERT_STREQ(a, b)                                                      \
        do {                                                                    \
                const char *a_ = (a), *b_ = (b);                                \
                if (!a_ || !b_ || strcmp(a_, b_) != 0)                          \
                        TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b,        \
                                   a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
        } while (0)
#define ASSERT_CONTAINS(haystack, needle)                                       \
        do {                                                                    \
                const char *h_ = (haystack), *n_ = (needle);                    \
                if (!h_ || !strstr(h_, n_))                                     \
                        TEST_FAIL_("\"%s\" does not contain \"%s\"",            \
                                   h_ ? h_ : "(null)", n_);                     \
        } while (0)
#define ASSERT_MEMEQ(a, b, n)                                                   \
        do { if (memcmp((a), (b), (n)) != 0) TEST_FAIL_("memory differs: %s vs %s", #a, #b); } while (0)

/* A file's text (the first 16 KiB), "" when it cannot be read; the buffer is
 * reused by the next call. */
const char *test_slurp(const char *path);

int test_main_(int argc, char **argv);
#define TEST_MAIN() int main(int argc, char **argv) { return test_main_(argc, argv); }
