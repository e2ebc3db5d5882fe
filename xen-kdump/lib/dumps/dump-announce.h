/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The morning after: at the next boot, xen-kdump.service runs `xen-kdump
 * announce`, which logs one journal entry per dump it has not announced
 * before, with a fixed MESSAGE_ID (like systemd-coredump's), so that
 *   journalctl MESSAGE_ID=d4d95d58c29549fa90cbdb2fac5a1477
 * lists every crash this host had.  What was announced is remembered in the
 * state directory ($XKD_STATE_DIR/announced: one dump directory per line,
 * 0600), written only after the journal took the entry, so no dump is
 * announced twice and none is lost to a failed send.  Entries of dumps that
 * no longer exist are dropped when the file is rewritten.
 *
 * The entry goes to journald's native socket ($XKD_JOURNAL_SOCKET overrides
 * /run/systemd/journal/socket, for the tests) as KEY=VALUE lines; every value
 * comes from the crashed machine's files and is made one printable line
 * first (xkd_dump_sanitize).  Without journald, the message is printed on
 * stdout instead and counts as announced.
 */

#include <stdbool.h>
#include <stddef.h>

#include "dumplist.h"

#define XKD_DUMP_MESSAGE_ID "d4d95d58c29549fa90cbdb2fac5a1477"

/* "2026-12-05 03:00:00 dom0 (Hardware Dom0 crashed ...): dump DIR COMPLETE" or
 * "... INCOMPLETE (why)", one line, no newline. */
void xkd_dump_describe(const struct xkd_dump *d, char *buf, size_t size);

/* Announces every dump in dir not announced yet (oldest first); *ret_n: how many.
 * Returns 0; -ENOENT quietly when dir does not exist (no dump yet); another
 * negative errno, already logged, when dir cannot be read, the journal refused
 * an entry or the list cannot be written (what was sent before is remembered). */
int xkd_dumps_announce(const char *dir, unsigned *ret_n);

/* True when path (DIR/NAME) is listed in the announced file. */
bool xkd_dump_announced(const char *path);
