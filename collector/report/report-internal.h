/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to report*.c: what was found, and why the rest was not. */

#include <stdio.h>

#include "report.h"
#include "xen.h"

#define XKD_REPORT_MISSING_MAX 64
#define XKD_REPORT_CONSOLE_TAIL (32u << 10)
#define XKD_REPORT_DOM0_LOG_TAIL (32u << 10)
#define XKD_REPORT_DOMAINS_MAX 4096

struct xkd_report_domain {
        uint16_t id;
        uint64_t vaddr;
        uint64_t owned_pages;
};

struct xkd_report {
        struct xkd_vmcore *vm;
        struct xkd_xen *xen;
        const struct xkd_report_dump *dump;
        const char *unreadable_path;    /* set when there is no vmcore at all */
        int unreadable_error;

        bool truncated;
        size_t nr_ranges;
        uint64_t ram_bytes;
        size_t notes_bytes;

        char hostname[256], xen_cmdline[1024], loader_version[32];
        uint64_t load_time;
        bool has_load_time;

        const struct xkd_xen_crash_info *ci;
        char version[320];
        char tainted_string[96];

        char reason[1024];
        char time[64], time_source[64];
        bool has_crashing_cpu;
        unsigned crashing_cpu;
        const char *crashing_cpu_method;
        bool has_hint;
        unsigned hint_cpu;
        const char *hint_basis;

        struct xkd_xen_cpu_vcpu *running;       /* per CPU, with running_error[] */
        int *running_error;

        struct xkd_report_domain *domains;
        size_t nr_domains;
        bool has_owned_pages;

        char *console;
        char *dom0_log;
        char dom0_osrelease[128];
        char dom0_panic[512];           /* dom0's last "Kernel panic - not syncing:" line */

        struct { const char *field; char reason[256]; } missing[XKD_REPORT_MISSING_MAX];
        size_t nr_missing;
};

void xkd_report_missing(struct xkd_report *rep, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
const char *xkd_report_missing_reason(const struct xkd_report *rep, const char *field);

int xkd_report_render_json(const struct xkd_report *rep, FILE *f);
int xkd_report_render_txt(const struct xkd_report *rep, FILE *f);
