/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The files of one saved dump directory, <host>-<YYYYmmdd-HHMMSS>[.N]/: the
 * collector writes them (collector/output/save.c, the capture scripts) and
 * xen-kdump reads them back (list, info, status, debug).  One definition, so
 * the writer and the readers can never disagree on what "complete" looks like.
 */

#define XKD_SAVE_MARKER          "INCOMPLETE"          /* present: the dump is not complete; says why */
#define XKD_SAVE_VMCORE          "vmcore"              /* the complete dump, renamed last */
#define XKD_SAVE_VMCORE_PARTIAL  "vmcore.incomplete"   /* the dump while it is written */
#define XKD_SAVE_ID              "xen-kdump.id"        /* who wrote it (retention trusts only these) */
#define XKD_SAVE_ID_MAGIC        "xen-kdump-dump 1\n"
