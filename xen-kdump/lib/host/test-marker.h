/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `xen-kdump test` leaves a marker in the state directory ($XKD_STATE_DIR/test,
 * 0600) just before it crashes the host: when, in which boot, and which dumps
 * existed then.  After the reboot, `status` finds the dump the test made (a
 * dump directory that was not there before) and says whether it is complete.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dumplist.h"

#define XKD_TEST_MARKER_MAX_BEFORE 4096
#define XKD_TEST_REMOTE "remote:"

struct xkd_test_marker {
        time_t time;
        char boot_id[64];
        char dir[4096];                 /* the dump directory checked afterwards, or
                                         * XKD_TEST_REMOTE + the ssh/nfs target */
        char **before;                  /* dump names present at test time */
        size_t n_before;
};

enum xkd_test_outcome {
        XKD_TEST_PENDING,               /* still the boot that ran the test: no crash happened */
        XKD_TEST_COMPLETE,
        XKD_TEST_INCOMPLETE,            /* a dump, marked or found incomplete */
        XKD_TEST_NO_DUMP,
        XKD_TEST_REMOTE_TARGET,         /* rebooted; the dump went to a server, not checked here */
};

struct xkd_test_result {
        enum xkd_test_outcome outcome;
        char dump[256];                 /* the new dump's name, "" none */
        char why[512];                  /* why incomplete */
};

/* Writes the marker (0600) atomically into the state directory. */
int xkd_test_marker_write(const struct xkd_test_marker *m);
/* -ENOENT when no test was ever run; -EBADMSG for a marker that does not parse. */
int xkd_test_marker_read(struct xkd_test_marker *ret);
void xkd_test_marker_free(struct xkd_test_marker *m);
/* Records the names of dumps (may be NULL, n 0). */
int xkd_test_marker_set_before(struct xkd_test_marker *m, const struct xkd_dump *dumps, size_t n);

/* What became of the test: boot_id is this boot's; dumps what is in m->dir now. */
void xkd_test_evaluate(const struct xkd_test_marker *m, const char *boot_id,
                       const struct xkd_dump *dumps, size_t n, struct xkd_test_result *ret);

/* "last test 2026-12-05 03:00:00 UTC: dump NAME COMPLETE" etc., without a newline. */
void xkd_test_describe(const struct xkd_test_marker *m, const struct xkd_test_result *r,
                       char *buf, size_t size);

/* The status line of the last test (xkd_test_describe), read, scanned and evaluated now;
 * -ENOENT when no test was run. */
int xkd_test_status_line(char *buf, size_t size);
