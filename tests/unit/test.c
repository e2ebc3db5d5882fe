/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test.h"

bool test_failed_;
char test_skip_reason_[256];
struct test_case test_cases_[TEST_MAX];
unsigned test_count_;

/* Run every registered test (or only those named on the command line). */
int test_main_(int argc, char **argv) {
        unsigned passed = 0, failed = 0, skipped = 0, n = 0;

        for (unsigned i = 0; i < test_count_; i++) {
                bool selected = argc < 2;
                for (int a = 1; a < argc; a++)
                        if (strcmp(argv[a], test_cases_[i].name) == 0)
                                selected = true;
                if (!selected)
                        continue;

                test_failed_ = false;
                test_skip_reason_[0] = '\0';
                test_cases_[i].fn();
                n++;
                if (test_failed_) {
                        printf("not ok %u - %s\n", n, test_cases_[i].name);
                        failed++;
                } else if (test_skip_reason_[0]) {
                        printf("ok %u - %s # SKIP %s\n", n, test_cases_[i].name, test_skip_reason_);
                        skipped++;
                } else {
                        printf("ok %u - %s\n", n, test_cases_[i].name);
                        passed++;
                }
                fflush(stdout);
        }
        printf("1..%u\n# %u passed, %u failed, %u skipped\n", n, passed, failed, skipped);
        return failed ? 1 : 0;
}

const char *test_slurp(const char *path) {
        static char buf[16384];
        FILE *f = fopen(path, "re");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        buf[n] = '\0';
        if (f)
                fclose(f);
        return buf;
}
