/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Saving a dump locally without ever leaving something that looks finished
 * when it is not:
 *   DIR/<host>-<YYYYmmdd-HHMMSS>/        mode 0700
 *       INCOMPLETE                       written first, says why; removed last
 *       vmcore.incomplete -> vmcore      0600, renamed only once complete and synced
 *       report.txt, report.json          (the reader's report)
 * Older dumps are deleted only when a retention count (keep) says so, and
 * only directories with that name pattern.  A free-space reserve is checked
 * before starting (and by the file sink while writing).
 */

#include <limits.h>
#include <stdint.h>
#include <time.h>

#define XKD_SAVE_MARKER          "INCOMPLETE"
#define XKD_SAVE_VMCORE          "vmcore"
#define XKD_SAVE_VMCORE_PARTIAL  "vmcore.incomplete"

struct xkd_save_options {
        const char *dir;                /* created 0700 if missing */
        const char *host;               /* NULL: gethostname() */
        unsigned keep;                  /* 0: never delete older dumps */
        uint64_t reserve_bytes;         /* refuse to start below this much free space */
        time_t now;                     /* 0: time(NULL) */
};

struct xkd_save {
        int dirfd;                      /* the dump's directory */
        int fd;                         /* vmcore.incomplete, O_RDWR */
        char path[PATH_MAX];            /* DIR/<host>-<stamp> */
};

/* Creates the dump directory, the marker and vmcore.incomplete.  Refuses
 * (-ENOSPC) when the filesystem is already below the reserve. */
int xkd_save_begin(const struct xkd_save_options *o, struct xkd_save *s);

/* Replaces the marker's text with why the dump is incomplete. */
int xkd_save_mark_incomplete(struct xkd_save *s, const char *reason);

/* fsync the vmcore, rename it to "vmcore", fsync the directory, remove the
 * marker, fsync again.  Only then is the dump complete on disk. */
int xkd_save_commit(struct xkd_save *s);

void xkd_save_close(struct xkd_save *s);

/* Deletes the oldest dump directories under dir until at most keep remain
 * (keep == 0 deletes nothing).  Returns the number deleted. */
int xkd_save_apply_retention(const char *dir, unsigned keep);

/* True for names like "host-20261128-091500" (optionally ".N"). */
int xkd_save_name_is_dump(const char *name, char stamp[16]);
