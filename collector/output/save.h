/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Saving a dump locally without ever leaving something that looks finished
 * when it is not:
 *   DIR/<host>-<YYYYmmdd-HHMMSS>/        mode 0700
 *       INCOMPLETE                       written first, says why; removed last
 *       xen-kdump.id                     who wrote it: "xen-kdump-dump 1\nhost <host>\n"
 *       vmcore.incomplete -> vmcore      0600, renamed only once complete and synced
 *       report.txt, report.json          (the reader's report)
 *       dmesg.txt, xen-console.txt       dom0's kernel log, Xen's console (evidence.h)
 *       capture.log                      the capture's own console output (capture script)
 * A free-space reserve is checked before starting (and by the file sink while
 * writing); nothing is ever deleted to make room.  Retention (keep) runs only
 * after the new dump is complete, and deletes only this host's complete dumps
 * that xen-kdump wrote (see xkd_save_apply_retention).
 */

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "dump-layout.h"

struct xkd_save_options {
        const char *dir;                /* created 0700 if missing */
        const char *host;               /* NULL: gethostname() */
        unsigned keep;                  /* for xkd_save_prune(); 0: never delete older dumps */
        uint64_t reserve_bytes;         /* refuse to start below this much free space */
        time_t now;                     /* 0: time(NULL) */
};

struct xkd_save {
        int dirfd;                      /* the dump's directory */
        int fd;                         /* vmcore.incomplete, O_RDWR */
        unsigned keep;
        char path[PATH_MAX];            /* DIR/<host>-<stamp> */
        char dir[PATH_MAX];             /* DIR */
        char host[128];                 /* <host>, as cleaned for the name */
        char name[200];                 /* <host>-<stamp>[.N] */
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

/* Retention, after xkd_save_commit() succeeded: xkd_save_apply_retention()
 * with this dump's directory, host and name.  Never call it for a dump that
 * failed or was refused. */
int xkd_save_prune(const struct xkd_save *s);

/*
 * Deletes this host's oldest complete dumps in dir so that keep complete ones
 * remain, counting `newest` (the dump just written, never deleted itself).
 * keep == 0 deletes nothing.  A directory is a candidate only when all hold:
 *   - its name is <host>-<YYYYmmdd-HHMMSS>[.N] for exactly this host;
 *   - it is a real directory holding xen-kdump.id that names this host;
 *   - it is complete: a regular vmcore, no INCOMPLETE, no vmcore.incomplete;
 *   - it holds only regular files xen-kdump writes (nothing added by hand).
 * Incomplete dumps are neither counted nor deleted, so a crash loop of failed
 * captures never rotates a good dump out (the reserve stops them filling the
 * disk).  Every deletion is logged with why.  Returns the number deleted.
 */
int xkd_save_apply_retention(const char *dir, const char *host, unsigned keep, const char *newest);

/* True for names like "host-20261128-091500" (optionally ".N"). */
int xkd_save_name_is_dump(const char *name, char stamp[16]);

/* The host name as dump directory names carry it: bytes other than
 * [A-Za-z0-9_-] (and '.' after the first) become '_'; "" becomes "xen-host".
 * Cleaning a cleaned name changes nothing. */
void xkd_save_clean_host(const char *in, char *out, size_t size);
