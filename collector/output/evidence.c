/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"
#include "files.h"
#include "log.h"
#include "report.h"
#include "xen.h"

/* dom0's log_buf_len is at most 32 MiB in practice; the text with its
 * timestamps stays below this. */
#ifdef XKD_FUZZING
/* Below ASan's large-allocation size: a 1 MiB buffer was mapped, poisoned
 * and unmapped per input, two thirds of an execution. */
#define DOM0_LOG_MAX (64u << 10)
#else
#define DOM0_LOG_MAX (48u << 20)
#endif

/* The largest buffer the capture kernel grants, down to a last 64 KiB.  Its
 * overcommit heuristic refuses any one allocation larger than its RAM: the
 * minimal kernel in a 64 MiB region has ~45 MiB, so the 48 MiB cap alone
 * lost dmesg.txt there.  A smaller buffer keeps the log's tail, where the
 * panic is. */
char *xkd_evidence_log_buffer(void *(*alloc)(size_t), size_t *size) {
        for (size_t n = DOM0_LOG_MAX;; n /= 4) {
                char *buf = alloc(n);
                if (buf || n <= (64u << 10)) {
                        *size = n;
                        return buf;
                }
        }
}

static int write_dom0_log(struct xkd_xen *x, int dirfd) {
        const char *why = NULL;
        size_t len = 0, size;
        char *buf = xkd_evidence_log_buffer(malloc, &size);
        int r;

        if (!buf)
                return log_warning_errno(-ENOMEM, "No %s: out of memory", XKD_EVIDENCE_DMESG);
        if (size < DOM0_LOG_MAX)
                log_notice("dmesg.txt: only %zu KiB of memory for dom0's log: keeping its last part", size >> 10);
        r = xkd_xen_dom0_log_tail(x, buf, size, &len, &why);
        if (r < 0) {
                log_warning("No %s: %s: %s", XKD_EVIDENCE_DMESG, why ? why : "dom0's kernel log is unreadable",
                            xkd_xen_strerror(r));
                free(buf);
                return r;
        }
        r = xkd_write_private_at(dirfd, XKD_EVIDENCE_DMESG, buf, len);
        free(buf);
        if (r < 0)
                return log_warning_errno(r, "Cannot write %s: %m", XKD_EVIDENCE_DMESG);
        return 0;
}

static int write_console(struct xkd_xen *x, int dirfd) {
        size_t len = 0;
        char *buf = NULL;
        int r;

        r = xkd_xen_console_all(x, &buf, &len);
        if (r < 0)
                return log_warning_errno(r, "No %s: Xen's console ring is unreadable (%s)", XKD_EVIDENCE_CONSOLE,
                                         xkd_xen_strerror(r));
        r = xkd_write_private_at(dirfd, XKD_EVIDENCE_CONSOLE, buf, len);
        free(buf);
        if (r < 0)
                return log_warning_errno(r, "Cannot write %s: %m", XKD_EVIDENCE_CONSOLE);
        return 0;
}

int xkd_evidence_write_logs(struct xkd_vmcore *vm, int dirfd) {
        struct xkd_xen *x;
        int n = 0, r;

        r = xkd_xen_open(vm, &x);
        if (r < 0) {
                log_warning_errno(r, "No %s or %s: the vmcore's Xen notes cannot be decoded: %m",
                                  XKD_EVIDENCE_DMESG, XKD_EVIDENCE_CONSOLE);
                return 0;
        }
        n += write_dom0_log(x, dirfd) == 0;
        n += write_console(x, dirfd) == 0;
        xkd_xen_free(x);
        fsync(dirfd);
        return n;
}

int xkd_evidence_only(const char *vmcore, const char *dir) {
        struct xkd_vmcore *vm = NULL;
        int dirfd, r;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create %s: %m: create it or choose another --evidence DIR", dir);
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dirfd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m: --evidence wants a directory", dir);
        r = xkd_vmcore_open(vmcore, &vm);
        if (r < 0) {
                xkd_report_write_unreadable(dirfd, vmcore, r);
                close(dirfd);
                return log_error_errno(r, "Cannot read the vmcore %s: %m: run this in the capture kernel or "
                                       "pass --vmcore FILE", vmcore);
        }
        r = xkd_report_write(vm, dirfd);
        if (r < 0)
                log_error_errno(r, "Cannot write the crash report into %s: %m", dir);
        xkd_evidence_write_logs(vm, dirfd);
        xkd_vmcore_free(vm);
        close(dirfd);
        return r;
}
