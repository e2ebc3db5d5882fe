/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Saved dumps, as `xen-kdump list/info/debug` see them.  A dump directory is
 * whatever the capture left behind (collector/save.h, initramfs capture
 * script):
 *   <host>-<YYYYmmdd-HHMMSS>[.N]/            final name
 *   .<host>-<YYYYmmdd-HHMMSS>.incomplete/    makedumpfile or ssh, still writing
 * holding vmcore | vmcore.flat | vmcore.incomplete, INCOMPLETE (a marker that
 * says why), report.txt, report.json.  Everything in there was written by a
 * crashing machine onto a disk that may be damaged: every byte is parsed as
 * untrusted, and a dump is called complete only when nothing says otherwise.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "text.h"

enum xkd_dump_state {
        XKD_DUMP_COMPLETE,
        XKD_DUMP_INCOMPLETE,
        XKD_DUMP_UNREADABLE,    /* cannot look inside (permissions, I/O): never called complete */
};

enum xkd_dump_format {
        XKD_DUMP_FORMAT_NONE,           /* no vmcore file */
        XKD_DUMP_FORMAT_UNKNOWN,        /* a file whose header is none of the below */
        XKD_DUMP_FORMAT_KDUMP,          /* "KDUMP   " (makedumpfile / xen-kdump-collect) */
        XKD_DUMP_FORMAT_ELF,            /* ELF core (makedumpfile -E, a raw /proc/vmcore copy) */
        XKD_DUMP_FORMAT_FLAT,           /* makedumpfile's flattened stream (ssh target) */
};

/* What the vmcore's own bytes say. */
struct xkd_dump_header {
        enum xkd_dump_format format;
        const char *compression;        /* "zstd", "zlib", "lzo", "snappy", "none", "" unknown */
        bool flagged_incomplete;        /* kdump status bit */
        bool truncated;                 /* shorter than its headers say, or a stream without its end */
        char release[65];               /* dom0's OSRELEASE from its VMCOREINFO note; "" unknown */
};

/* What report.json says; strings "" and numbers -1 when absent. */
struct xkd_dump_report {
        bool present;                   /* the file exists */
        bool valid;                     /* it parsed as a xen-kdump report */
        char reason[256];               /* crash.reason */
        char crash_time[64];            /* crash.time */
        char dom0_panic[256];           /* crash.dom0_panic */
        int crashing_cpu;               /* crash.crashing_cpu */
        char xen_version[64];           /* xen.version */
        char dom0_release[65];          /* dom0.osrelease */
        char dump_status[256];          /* dump.status ("complete", "incomplete: ...") */
        char dump_file[64];             /* dump.file */
};

struct xkd_dump {
        unsigned index;                 /* 1-based, oldest first */
        char name[256];
        char path[PATH_MAX];
        char stamp[16];                 /* YYYYmmdd-HHMMSS from the name */
        enum xkd_dump_state state;
        char why[512];                  /* why not complete; "" when complete */
        char file[32];                  /* the vmcore's name inside; "" none */
        uint64_t size;
        mode_t file_mode, dir_mode;
        uid_t dir_uid;
        struct xkd_dump_header header;
        struct xkd_dump_report report;
        char dmesg_panic[256];          /* dom0's panic line from dmesg.txt (makedumpfile, ssh layouts) */
        char time[32];                  /* "YYYY-mm-dd HH:MM:SS" */
        const char *time_source;        /* "xen-console" or "directory-name" */
        const char *what;               /* "xen-panic", "dom0", "debug-key", "unknown" */
};

/* Reads n bytes at off; returns bytes read (short at end of file) or -errno. */
typedef ssize_t (*xkd_dump_read_fn)(void *userdata, void *buf, size_t n, uint64_t off);

/* The vmcore's format, compression, completeness flags and dom0 release. */
int xkd_dump_parse_header(xkd_dump_read_fn read, void *userdata, uint64_t size, struct xkd_dump_header *h);
/* The same on a vmcore (or its first size bytes) already in memory. */
int xkd_dump_parse_header_mem(const void *data, size_t size, struct xkd_dump_header *h);
/* report.json text (not NUL-terminated); -EBADMSG when it is not a xen-kdump report. */
int xkd_dump_parse_report(const char *text, size_t len, struct xkd_dump_report *r);
/* "OSRELEASE=" from the ELF notes' "VMCOREINFO" note (dom0's, not Xen's VMCOREINFO_XEN). */
int xkd_dump_notes_release(const uint8_t *notes, size_t len, char *out, size_t size);

/* True for "<host>-YYYYmmdd-HHMMSS[.N]" and ".<that>.incomplete"; stamp gets the 15 digits. */
bool xkd_dump_name_is_dump(const char *name, char stamp[16], bool *temporary);

/* Looks into one dump directory (parent: an open directory, name inside it). */
int xkd_dump_inspect(int parentfd, const char *parent_path, const char *name, struct xkd_dump *d);

/* Every dump directory under dir, oldest first, indexes set.  -ENOENT/-EACCES/... on dir itself. */
int xkd_dumps_scan(const char *dir, struct xkd_dump **ret, size_t *ret_n);

/* Picks one: NULL or "latest", an index "N", a name in dir, or a path to a dump directory. */
int xkd_dumps_find(const char *dir, const char *spec, struct xkd_dump *ret);


const char *xkd_dump_state_name(enum xkd_dump_state s);
/* "kdump-zstd", "ELF", "flattened", "unknown", "none". */
void xkd_dump_format_name(const struct xkd_dump_header *h, char *buf, size_t size);

/* Where dumps are saved: the `target path` directory, or local_path for a network target. */
int xkd_dumps_default_dir(char *buf, size_t size);
/* --dir when given, else the default. */
int xkd_dumps_dir_option(const char *opt, char *buf, size_t size);
/* The dump a command line names (xkd_dumps_find's spec), in --dir or the default directory. */
int xkd_dumps_pick(const char *dir_opt, const char *spec, struct xkd_dump *ret);

#include <stdio.h>

#include "json-escape.h"
/* "19.4M"; bytes below 1 KiB as "512B". */
void xkd_human_size(uint64_t bytes, char *buf, size_t size);
/* One dump as a JSON object (the keys `xen-kdump list --json` documents). */
void xkd_dump_print_json(FILE *f, const struct xkd_dump *d);
