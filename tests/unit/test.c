/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test.h"

bool test_failed_;
struct test_case test_cases_[TEST_MAX];
unsigned test_count_;

/* Run every registered test (or only those named on the command line). */
int test_main_(int argc, char **argv) {
        unsigned passed = 0, failed = 0;

        for (unsigned i = 0; i < test_count_; i++) {
                bool selected = argc < 2;
                for (int a = 1; a < argc; a++)
                        if (strcmp(argv[a], test_cases_[i].name) == 0)
                                selected = true;
                if (!selected)
                        continue;

                test_failed_ = false;
                test_cases_[i].fn();
                printf("%s - %s\n", test_failed_ ? "not ok" : "ok", test_cases_[i].name);
                fflush(stdout);
                if (test_failed_)
                        failed++;
                else
                        passed++;
        }
        printf("# %u passed, %u failed\n", passed, failed);
        return failed ? 1 : 0;
}
