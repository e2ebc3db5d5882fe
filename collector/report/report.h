/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The crash report: report.txt for people, report.json for tools, both 0600,
 * each written to a temporary name, fsync'ed and renamed into place.  Every
 * field the dump does not carry is reported as missing with the reason —
 * never guessed.  JSON shape (stable keys; values null when missing):
 *
 *   { "format": "xen-kdump-report", "format_version": 1,
 *     "vmcore": { "truncated", "ram_ranges", "ram_bytes", "notes_bytes" },
 *     "load": { "hostname", "xen_cmdline", "load_time", "loader_version" },
 *     "xen": { "version", "major", "minor", "extra_version", "changeset",
 *              "compiler", "compile_date", "compile_time", "tainted",
 *              "tainted_string", "tainted_flags": [..], "xen_phys_start",
 *              "dom0_p2m_frame_list_list", "page_tables" },
 *     "crash": { "reason", "time", "time_source", "crashing_cpu",
 *                "crashing_cpu_method", "dom0_panic", "crashing_cpu_hint",
 *                "crashing_cpu_hint_basis" },
 *     "cpus": [ { "cpu", "crashing", "saved", "running", "rip", "rsp", "rflags", "cs",
 *                 "cr0", "cr2", "cr3", "cr4", "regs": { r15 .. gs } } ],
 *     "domains": [ { "id", "address", "owned_pages", "tot_pages", "state" } ],
 *     "xen_console_tail": "...", "dom0": { "osrelease", "log_tail" },
 *     "dump": { "file", "status", "engine", "level", "bytes", "seconds", "filter_note" },
 *     "missing": { "<dotted.field>": "<reason>", ... } }
 *
 * Addresses and registers are hex strings ("0xffff82d040212345").
 */

#include "vmcore.h"

/* What the dump writer did, for the report's "dump" section (NULL: no dump). */
struct xkd_report_dump {
        const char *file;               /* name inside the directory */
        const char *status;             /* "complete", "incomplete: ENOSPC", ... */
        const char *engine;             /* "xen-kdump", "makedumpfile" */
        int level;
        uint64_t bytes;
        double seconds;
        const char *filter_note;        /* what the filter could not apply and why; NULL: all applied */
};

/* Writes report.txt and report.json into dirfd. */
int xkd_report_write(struct xkd_vmcore *vm, int dirfd);
int xkd_report_write_with_dump(struct xkd_vmcore *vm, int dirfd, const struct xkd_report_dump *dump);

/* The same in two steps: what the vmcore says, read once (the frame table's
 * owners alone are a scan of all of it), then written as often as needed,
 * e.g. before the dump and again with its outcome.  vm must outlive rep. */
struct xkd_report;
int xkd_report_open(struct xkd_vmcore *vm, struct xkd_report **ret);
int xkd_report_save(struct xkd_report *rep, int dirfd, const struct xkd_report_dump *dump);
struct xkd_report *xkd_report_free(struct xkd_report *rep);

/* When the vmcore could not even be opened: a report that says so. */
int xkd_report_write_unreadable(int dirfd, const char *vmcore_path, int error);
