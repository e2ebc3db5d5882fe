/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The evidence every target gets beside the vmcore, whatever writes the dump
 * (the native engine, makedumpfile, or a stream to an ssh server):
 *   report.txt, report.json   the crash report (report.h)
 *   dmesg.txt                 dom0's whole kernel log (its printk ring buffer)
 *   xen-console.txt           Xen's whole console ring
 * All 0600, each written to a temporary name, fsync'ed and renamed, so a
 * reader never sees half a file.  Bytes from the crashed machine's memory
 * other than newline, tab and printable ASCII become '?'.  A log that cannot
 * be read is not written; the report's "missing" section says why.
 */

#include <stddef.h>

#include "vmcore.h"

#define XKD_EVIDENCE_DMESG   "dmesg.txt"
#define XKD_EVIDENCE_CONSOLE "xen-console.txt"

/* dmesg.txt and xen-console.txt into dirfd.  Returns how many of the two
 * were written (0-2); each one missing is logged with why. */
int xkd_evidence_write_logs(struct xkd_vmcore *vm, int dirfd);
/* The buffer for dom0's log: the largest of 48 MiB, 12, 3, ... down to
 * 64 KiB that alloc grants (NULL if none); its size in *size. */
#include <stddef.h>
char *xkd_evidence_log_buffer(void *(*alloc)(size_t), size_t *size);

/*
 * `xen-kdump-collect --evidence DIR`: the report and both logs into DIR
 * (created 0700 if missing), and no dump; for the capture paths whose dump
 * another program writes or streams.  0 when the report was written; a
 * vmcore that cannot be read still leaves a report saying so, and fails.
 */
int xkd_evidence_only(const char *vmcore, const char *dir);
