/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"
#include "files.h"
#include "log.h"
#include "report-internal.h"

/* Scanning the frame table to count each domain's pages costs one read per
 * 128 frames; above this many frames the report leaves it to the dump. */
#ifdef XKD_FUZZING
#define OWNED_PAGES_SCAN_MAX (UINT64_C(1) << 16)
#else
#define OWNED_PAGES_SCAN_MAX (UINT64_C(16) << 20)
#endif
/* A frame table this broken is not worth finishing: the dump has it all. */
#define OWNED_PAGES_ERRORS_MAX 4096

void xkd_report_missing(struct xkd_report *rep, const char *field, const char *fmt, ...) {
        va_list ap;

        if (rep->nr_missing >= XKD_REPORT_MISSING_MAX)
                return;
        rep->missing[rep->nr_missing].field = field;
        va_start(ap, fmt);
        vsnprintf(rep->missing[rep->nr_missing].reason, sizeof(rep->missing[0].reason), fmt, ap);
        va_end(ap);
        rep->nr_missing++;
}

const char *xkd_report_missing_reason(const struct xkd_report *rep, const char *field) {
        for (size_t i = 0; i < rep->nr_missing; i++)
                if (strcmp(rep->missing[i].field, field) == 0)
                        return rep->missing[i].reason;
        return NULL;
}

static void gather_load(struct xkd_report *rep) {
        struct xkd_xen *x = rep->xen;
        size_t size;
        const char *why = "no XEN_KDUMP note: the crash image was not loaded by xen-kdump (e.g. kexec -p)";

        if (!xkd_xen_info_text(x, XKD_INFO_LOAD, &size)) {
                xkd_report_missing(rep, "load", "%s", why);
                return;
        }
        if (xkd_xen_key_get_string(x, XKD_INFO_LOAD, "HOSTNAME", rep->hostname, sizeof(rep->hostname)) < 0)
                xkd_report_missing(rep, "load.hostname", "the XEN_KDUMP note has no HOSTNAME line");
        if (xkd_xen_key_get_string(x, XKD_INFO_LOAD, "XEN_CMDLINE", rep->xen_cmdline, sizeof(rep->xen_cmdline)) < 0)
                xkd_report_missing(rep, "load.xen_cmdline", "the XEN_KDUMP note has no XEN_CMDLINE line");
        if (xkd_xen_key_get_string(x, XKD_INFO_LOAD, "XKD_VERSION", rep->loader_version, sizeof(rep->loader_version)) < 0)
                xkd_report_missing(rep, "load.loader_version", "the XEN_KDUMP note has no XKD_VERSION line");
        /* Bytes from the crashed machine go to terminals (cat report.txt): shown, never obeyed. */
        xkd_dump_sanitize(rep->hostname, false);
        xkd_dump_sanitize(rep->xen_cmdline, false);
        xkd_dump_sanitize(rep->loader_version, false);
        rep->has_load_time = xkd_xen_key_get(x, XKD_INFO_LOAD, "LOAD_TIME", &rep->load_time) == 0;
        if (!rep->has_load_time)
                xkd_report_missing(rep, "load.load_time", "the XEN_KDUMP note has no valid LOAD_TIME line");
}

static void gather_xen(struct xkd_report *rep) {
        int r = xkd_xen_crash_info(rep->xen, &rep->ci);

        if (r < 0) {
                rep->ci = NULL;
                xkd_report_missing(rep, "xen", r == -EBADMSG
                                   ? "the CRASH_INFO note has a size no known Xen writes"
                                   : "no \"Xen\" CRASH_INFO note in the dump (it is written in CPU 0's crash note buffer)");
                return;
        }
        const struct xkd_xen_crash_info *ci = rep->ci;
        snprintf(rep->version, sizeof(rep->version), "%" PRIu64 ".%" PRIu64 "%s", ci->major, ci->minor,
                 ci->extra_version.error ? "" : ci->extra_version.text);
        static const struct { const char *field; size_t off; } strs[] = {
                { "xen.extra_version", offsetof(struct xkd_xen_crash_info, extra_version) },
                { "xen.changeset", offsetof(struct xkd_xen_crash_info, changeset) },
                { "xen.compiler", offsetof(struct xkd_xen_crash_info, compiler) },
                { "xen.compile_date", offsetof(struct xkd_xen_crash_info, compile_date) },
                { "xen.compile_time", offsetof(struct xkd_xen_crash_info, compile_time) },
        };
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
                const struct xkd_xen_string *s = (const void *) ((const char *) ci + strs[i].off);
                if (s->error)
                        xkd_report_missing(rep, strs[i].field, "CRASH_INFO points at machine address %#" PRIx64 ": %s",
                                           s->maddr, xkd_xen_strerror(s->error));
        }
        xkd_xen_tainted_string(ci->tainted, rep->tainted_string, sizeof(rep->tainted_string));
        if (!ci->has_xen_phys_start)
                xkd_report_missing(rep, "xen.xen_phys_start", "this Xen's CRASH_INFO (%u words) predates xen_phys_start",
                                   ci->layout == 0 ? 8u : 9u);
        if (!ci->has_dom0_p2m)
                xkd_report_missing(rep, "xen.dom0_p2m_frame_list_list", "this Xen's CRASH_INFO has no dom0 p2m field");
}

/* "(XEN) [2026-11-28 08:00:00.123] Executing kexec image on cpu1": Xen's
 * console_timestamps= puts a clock on the line that announced the jump. */
static void crash_time_from_console(struct xkd_report *rep) {
        const char *line = NULL;

        if (rep->console)
                for (const char *p = strstr(rep->console, "Executing kexec image on cpu"); p;
                     p = strstr(p + 1, "Executing kexec image on cpu"))
                        line = p;
        if (!line) {
                xkd_report_missing(rep, "crash.time", rep->console
                                   ? "Xen keeps no wall-clock time in the dump and the console ring does not show the crash line"
                                   : "Xen keeps no wall-clock time in the dump, and its console ring is unavailable");
                return;
        }
        const char *bol = line;
        while (bol > rep->console && bol[-1] != '\n')
                bol--;
        if (strncmp(bol, "(XEN) ", 6) == 0)
                bol += 6;
        const char *close = bol[0] == '[' ? memchr(bol, ']', (size_t) (line - bol)) : NULL;
        if (!close || close - bol - 1 <= 0 || (size_t) (close - bol - 1) >= sizeof(rep->time)) {
                xkd_report_missing(rep, "crash.time", "Xen keeps no wall-clock time in the dump; boot Xen with "
                                   "console_timestamps=datems to get one in its console ring");
                return;
        }
        const char *t = bol + 1;
        while (t < close && *t == ' ')
                t++;        /* "[   15.560000]" */
        memcpy(rep->time, t, (size_t) (close - t));
        rep->time[close - t] = '\0';
        /* "[  123.456789]" is time since boot, a date has dashes. */
        snprintf(rep->time_source, sizeof(rep->time_source), "%s",
                 strchr(rep->time, '-') ? "Xen console timestamp" : "Xen console timestamp (seconds since Xen booted)");
}

static void gather_crash(struct xkd_report *rep) {
        struct xkd_xen *x = rep->xen;
        int r;

        rep->console = malloc(XKD_REPORT_CONSOLE_TAIL);
        if (rep->console) {
                r = xkd_xen_console_tail(x, rep->console, XKD_REPORT_CONSOLE_TAIL, NULL);
                if (r < 0) {
                        free(rep->console);
                        rep->console = NULL;
                        xkd_report_missing(rep, "xen_console_tail", r == -ENOENT || r == -ENODATA
                                           ? "the conring, conring_size and conringp symbols are not in the dump "
                                             "(VMCOREINFO_XEN lacks them; the xen-kdump loader saves them)"
                                           : "reading Xen's console ring failed: %s", xkd_xen_strerror(r));
                }
        }
        r = xkd_xen_crash_reason(x, rep->reason, sizeof(rep->reason));
        if (r == -ENOMSG)
                xkd_report_missing(rep, "crash.reason", "Xen's console ring names no panic, dom0 crash or debug key before the jump");
        else if (r < 0)
                xkd_report_missing(rep, "crash.reason", "Xen does not record it outside its console ring, which is unavailable (%s)",
                                   xkd_report_missing_reason(rep, "xen_console_tail") ? "see xen_console_tail" : xkd_xen_strerror(r));
        crash_time_from_console(rep);
        r = xkd_xen_crashing_cpu(x, &rep->crashing_cpu, &rep->crashing_cpu_method);
        rep->has_crashing_cpu = r == 0;
        if (r < 0) {
                xkd_report_missing(rep, "crash.crashing_cpu", "%s", rep->crashing_cpu_method);
                rep->has_hint = xkd_xen_crashing_cpu_hint(x, &rep->hint_cpu, &rep->hint_basis) == 0;
        }
        if (xkd_xen_nr_cpus(x) == 0)
                xkd_report_missing(rep, "cpus", "no \"CORE\" NT_PRSTATUS notes in the dump");
        if (xkd_xen_nr_cpus_ignored(x))
                xkd_report_missing(rep, "cpus.all", "the dump has %zu more CPU notes than the %u the report decodes: "
                                   "they are in the dump, not listed here", xkd_xen_nr_cpus_ignored(x), XKD_XEN_CPUS_MAX);
}

static int domain_cmp(const void *a, const void *b) {
        const struct xkd_report_domain *x = a, *y = b;
        return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static void count_owned_pages(struct xkd_report *rep) {
        struct xkd_xen *x = rep->xen;
        uint64_t max_page;
        int r = xkd_xen_max_page(x, &max_page);

        if (r < 0) {
                xkd_report_missing(rep, "domains.owned_pages", "Xen's max_page is unreadable: %s", xkd_xen_strerror(r));
                return;
        }
        if (max_page > OWNED_PAGES_SCAN_MAX) {
                xkd_report_missing(rep, "domains.owned_pages", "not counted: the frame table has %" PRIu64
                                   " entries (more than the report scans); the dump holds them", max_page);
                return;
        }
        struct xkd_report_domain *sorted = malloc(rep->nr_domains * sizeof(*sorted));
        if (!sorted)
                return;
        memcpy(sorted, rep->domains, rep->nr_domains * sizeof(*sorted));
        qsort(sorted, rep->nr_domains, sizeof(*sorted), domain_cmp);
        /* A frame-table page that cannot be read fails for all its entries:
         * skip to the next one, and count frames, not attempts. */
        uint64_t info_size = 0, per_page = 1;
        if (xkd_xen_info_get(x, "SIZE(page_info)", &info_size) == 0 && info_size && XKD_PAGE_SIZE % info_size == 0)
                per_page = XKD_PAGE_SIZE / info_size;
        uint64_t errors = 0, error_runs = 0;
        int first_error = 0;
        for (uint64_t mfn = 0; mfn < max_page; mfn++) {
                uint64_t owner;
                /* Every frame counts, in the dump or not: the frame table says whose it is. */
                r = xkd_xen_page_info(x, mfn, NULL, &owner);
                if (r == -EADDRNOTAVAIL)
                        continue;       /* a hole in the frame table: no such frame */
                if (r < 0) {
                        if (!errors)
                                first_error = r;
                        /* Across a PDX hole the index jumps: then this skips less, never more. */
                        uint64_t next = mfn + per_page - xkd_xen_pfn_to_pdx(x, mfn) % per_page;
                        if (next > max_page)
                                next = max_page;
                        errors += next - mfn;
                        mfn = next - 1;
                        if (r == -ENODATA || r == -ENOENT || r == -EBADMSG || ++error_runs > OWNED_PAGES_ERRORS_MAX)
                                break;
                        continue;
                }
                struct xkd_report_domain key = { .vaddr = owner };
                struct xkd_report_domain *d = owner ? bsearch(&key, sorted, rep->nr_domains, sizeof(*sorted), domain_cmp) : NULL;
                if (d)
                        d->owned_pages++;
        }
        if (errors && (first_error == -ENODATA || first_error == -ENOENT || first_error == -EBADMSG)) {
                xkd_report_missing(rep, "domains.owned_pages", "the frame table cannot be read: %s", xkd_xen_strerror(first_error));
        } else {
                for (size_t i = 0; i < rep->nr_domains; i++) {
                        struct xkd_report_domain *d = bsearch(&rep->domains[i], sorted, rep->nr_domains, sizeof(*sorted), domain_cmp);
                        rep->domains[i].owned_pages = d ? d->owned_pages : 0;
                }
                rep->has_owned_pages = true;
                if (errors)
                        xkd_report_missing(rep, "domains.owned_pages_exact", "the frame-table entries of %" PRIu64 " frames are "
                                           "unreadable (%s; a filtered dump leaves out all-zero frame-table pages, "
                                           "which own nothing): counts may be low", errors, xkd_xen_strerror(first_error));
        }
        free(sorted);
}

static void gather_domains(struct xkd_report *rep) {
        struct xkd_xen_domain *doms = calloc(XKD_REPORT_DOMAINS_MAX, sizeof(*doms));
        uint64_t v;
        int r;

        if (!doms)
                return;
        r = xkd_xen_domains(rep->xen, doms, XKD_REPORT_DOMAINS_MAX);
        if (r < 0) {
                xkd_report_missing(rep, "domains", "walking domain_list failed: %s", xkd_xen_strerror(r));
                free(doms);
                return;
        }
        rep->domains = calloc(r ? (size_t) r : 1, sizeof(*rep->domains));
        if (!rep->domains) {
                free(doms);
                return;
        }
        for (int i = 0; i < r; i++)
                rep->domains[i] = (struct xkd_report_domain) { .id = doms[i].id, .vaddr = doms[i].vaddr };
        rep->nr_domains = (size_t) r;
        free(doms);
        /* The walk stops quietly at an unreadable link: say so if the list goes on. */
        uint64_t off_next, next = 0;
        if (rep->nr_domains > 0 && xkd_xen_info_get(rep->xen, "OFFSET(domain.next_in_list)", &off_next) == 0) {
                const struct xkd_report_domain *last = &rep->domains[rep->nr_domains - 1];
                int rr = xkd_xen_read_virt(rep->xen, last->vaddr + off_next, &next, sizeof(next));
                if (rr < 0)
                        xkd_report_missing(rep, "domains.complete", "the list ends at dom%u because its next_in_list is unreadable (%s): "
                                           "later domains are not listed", last->id, xkd_xen_strerror(rr));
                else if (next) {
                        uint16_t id;
                        rr = xkd_xen_read_virt(rep->xen, next, &id, sizeof(id));
                        if (rr < 0)
                                xkd_report_missing(rep, "domains.complete", "the list ends at dom%u: its next_in_list %#" PRIx64
                                                   " is unreadable (%s): later domains are not listed", last->id, next,
                                                   xkd_xen_strerror(rr));
                        else
                                xkd_report_missing(rep, "domains.complete", "the list goes on after %zu domains "
                                                   "(a loop, or more than the report lists)", rep->nr_domains);
                }
        }
        if (rep->nr_domains > 0)
                count_owned_pages(rep);
        if (xkd_xen_info_get(rep->xen, "OFFSET(domain.tot_pages)", &v) < 0)
                xkd_report_missing(rep, "domains.tot_pages", "VMCOREINFO_XEN exports no OFFSET(domain.tot_pages); "
                                   "owned_pages counts the frame table instead (it includes Xen pages shared with the domain)");
        xkd_report_missing(rep, "domains.state", "VMCOREINFO_XEN exports no offsets for a domain's state "
                           "(is_dying, is_shutting_down, shutdown_code) and Xen ships no debug info to find them");
}

static void gather_dom0(struct xkd_report *rep) {
        size_t size;
        int r;

        if (!xkd_xen_info_text(rep->xen, XKD_INFO_DOM0, &size)) {
                xkd_report_missing(rep, "dom0", "no dom0 \"VMCOREINFO\" note: the loader did not add it "
                                   "(kexec-tools does not; xen-kdump load does)");
                return;
        }
        if (xkd_xen_key_get_string(rep->xen, XKD_INFO_DOM0, "OSRELEASE", rep->dom0_osrelease, sizeof(rep->dom0_osrelease)) < 0)
                xkd_report_missing(rep, "dom0.osrelease", "dom0's VMCOREINFO has no OSRELEASE line");
        xkd_dump_sanitize(rep->dom0_osrelease, false);
        rep->dom0_log = malloc(XKD_REPORT_DOM0_LOG_TAIL);
        if (!rep->dom0_log)
                return;
        const char *why = NULL;
        r = xkd_xen_dom0_log_tail(rep->xen, rep->dom0_log, XKD_REPORT_DOM0_LOG_TAIL, NULL, &why);
        if (r == 0) {
                /* What dom0 itself said, when it was dom0 that panicked. */
                const char *p = NULL;
                for (const char *q = strstr(rep->dom0_log, "Kernel panic - not syncing:"); q;
                     q = strstr(q + 1, "Kernel panic - not syncing:"))
                        p = q;
                if (p) {
                        size_t n = strcspn(p, "\n");
                        if (n >= sizeof(rep->dom0_panic))
                                n = sizeof(rep->dom0_panic) - 1;
                        memcpy(rep->dom0_panic, p, n);
                        rep->dom0_panic[n] = '\0';
                }
        }
        if (r < 0) {
                free(rep->dom0_log);
                rep->dom0_log = NULL;
                xkd_report_missing(rep, "dom0.log_tail", "%s: %s", why ? why : "dom0's kernel log is unreadable",
                                   xkd_xen_strerror(r));
        }
}

static void gather_running(struct xkd_report *rep) {
        size_t n = xkd_xen_nr_cpus(rep->xen);
        int first = 0;

        if (n == 0)
                return;
        rep->running = calloc(n, sizeof(*rep->running));
        rep->running_error = calloc(n, sizeof(*rep->running_error));
        if (!rep->running || !rep->running_error)
                return;
        for (size_t i = 0; i < n; i++) {
                rep->running_error[i] = xkd_xen_cpu_vcpu(rep->xen, xkd_xen_cpu(rep->xen, i)->id, &rep->running[i]);
                if (rep->running_error[i] < 0 && !first)
                        first = rep->running_error[i];
        }
        if (first == -ENOENT || first == -ENODATA)
                xkd_report_missing(rep, "cpus.running", "the per-CPU symbols (per_cpu__curr_vcpu, __per_cpu_offset, idle_vcpu) "
                                   "are not in the dump: the xen-kdump loader saves them");
        else if (first == -EBADMSG)
                xkd_report_missing(rep, "cpus.running", "for some CPUs the loaded vCPU does not point back at that CPU and a "
                                   "listed domain, so this Xen's struct vcpu is not the layout assumed (vcpu_id, processor, "
                                   "vcpu_info, domain)");
        else if (first < 0)
                xkd_report_missing(rep, "cpus.running", "some CPUs' loaded vCPU is unreadable: %s", xkd_xen_strerror(first));
}

static void gather(struct xkd_report *rep) {
        rep->truncated = xkd_vmcore_truncated(rep->vm);
        rep->nr_ranges = xkd_vmcore_nr_ranges(rep->vm);
        for (size_t i = 0; i < rep->nr_ranges; i++)
                rep->ram_bytes += xkd_vmcore_range(rep->vm, i)->size;
        xkd_vmcore_notes(rep->vm, &rep->notes_bytes);
        uint64_t dropped_bytes, dropped_first;
        size_t dropped = xkd_vmcore_dropped_ranges(rep->vm, &dropped_bytes, &dropped_first);
        if (dropped)
                xkd_report_missing(rep, "ram.ranges", "%zu PT_LOAD(s) (%" PRIu64 " bytes, the first at %#" PRIx64 ") wrap "
                                   "past 2^64 or lie above x86_64's 52-bit physical limit: not in the dump",
                                   dropped, dropped_bytes, dropped_first);
        gather_load(rep);
        gather_xen(rep);
        gather_crash(rep);
        gather_running(rep);
        gather_domains(rep);
        gather_dom0(rep);
}

/* Renders into memory, then writes NAME privately via .NAME.tmp: a reader never sees half a report. */
static int write_file(int dirfd, const char *name, int (*render)(const struct xkd_report *, FILE *),
                      const struct xkd_report *rep) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r;

        if (!f)
                return log_error_errno(-errno, "Failed to render %s: %m", name);
        r = render(rep, f);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0)
                r = xkd_write_private_at(dirfd, name, buf, len);
        free(buf);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", name);
        return 0;
}

static int write_both(const struct xkd_report *rep, int dirfd) {
        int r = write_file(dirfd, "report.json", xkd_report_render_json, rep);
        int r2 = write_file(dirfd, "report.txt", xkd_report_render_txt, rep);
        if (r == 0)
                r = r2;
        if (r == 0 && fsync(dirfd) < 0)
                r = log_error_errno(-errno, "Failed to sync the report directory: %m");
        return r;
}

int xkd_report_open(struct xkd_vmcore *vm, struct xkd_report **ret) {
        struct xkd_report *rep = calloc(1, sizeof(*rep));
        int r;

        if (!rep)
                return -ENOMEM;
        rep->vm = vm;
        r = xkd_xen_open(vm, &rep->xen);
        if (r < 0) {
                free(rep);
                return log_error_errno(r, "Failed to decode the vmcore's Xen notes: %m");
        }
        gather(rep);
        *ret = rep;
        return 0;
}

int xkd_report_save(struct xkd_report *rep, int dirfd, const struct xkd_report_dump *dump) {
        int r;

        rep->dump = dump;
        r = write_both(rep, dirfd);
        rep->dump = NULL;       /* the caller's, gone after this call */
        return r;
}

struct xkd_report *xkd_report_free(struct xkd_report *rep) {
        if (!rep)
                return NULL;
        free(rep->domains);
        free(rep->running);
        free(rep->running_error);
        free(rep->console);
        free(rep->dom0_log);
        xkd_xen_free(rep->xen);
        free(rep);
        return NULL;
}

int xkd_report_write_with_dump(struct xkd_vmcore *vm, int dirfd, const struct xkd_report_dump *dump) {
        struct xkd_report *rep;
        int r = xkd_report_open(vm, &rep);

        if (r < 0)
                return r;
        r = xkd_report_save(rep, dirfd, dump);
        xkd_report_free(rep);
        return r;
}

int xkd_report_write(struct xkd_vmcore *vm, int dirfd) {
        return xkd_report_write_with_dump(vm, dirfd, NULL);
}

int xkd_report_write_unreadable(int dirfd, const char *vmcore_path, int error) {
        struct xkd_report *rep = calloc(1, sizeof(*rep));
        int r;

        if (!rep)
                return -ENOMEM;
        rep->unreadable_path = vmcore_path;
        rep->unreadable_error = error;
        xkd_report_missing(rep, "vmcore", "%s could not be read: %s", vmcore_path, strerror(error < 0 ? -error : error));
        r = write_both(rep, dirfd);
        free(rep);
        return r;
}
