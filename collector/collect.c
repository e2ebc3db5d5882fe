/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "compress-pool.h"
#include "filter-xen.h"
#include "filter.h"
#include "kdump-writer.h"
#include "log.h"
#include "progress.h"
#include "evidence.h"
#include "report.h"
#include "save.h"
#include "sink.h"
#include "vmcore.h"
#include "xen.h"


static void log_filter_stats(const struct xkd_filter_stats *st) {
        log_info("RAM %llu pages, dumping %llu", (unsigned long long) st->ram_pages,
                 (unsigned long long) st->dumped_pages);
        if (st->level_applied & XKD_DL_DOM0_ANY)
                log_info("dom0 pages excluded: %llu cache, %llu cache with private data, %llu user, %llu free",
                         (unsigned long long) st->dom0_cache, (unsigned long long) st->dom0_cache_private,
                         (unsigned long long) st->dom0_user, (unsigned long long) st->dom0_free);
        if (st->level_applied & XKD_DL_XEN)
                for (int c = 0; c <= XKD_PAGE_DOMU; c++)
                        if (st->class_pages[c])
                                log_info("  %-16s %10llu pages%s", xkd_page_class_name(c),
                                         (unsigned long long) st->class_pages[c],
                                         xkd_page_class_is_excluded(c) ? " (excluded)" : "");
}

static void outcome_set(struct xkd_collect_result *o, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void outcome_set(struct xkd_collect_result *o, int error, const char *fmt, ...) {
        va_list ap;

        if (o->reason[0])
                return; /* keep the first problem */
        o->error = error;
        va_start(ap, fmt);
        vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
        va_end(ap);
}

/* A dump without the CPUs' registers or Xen's identity cannot be analysed
 * fully: it is kept, but never declared complete. */
static void check_notes(struct xkd_vmcore *vm, struct xkd_xen *xen, const char *path, struct xkd_collect_result *out) {
        const struct xkd_xen_crash_info *ci;
        struct xkd_note n;
        size_t cursor = 0;
        unsigned cpus = 0;
        char missing[128] = "";

        while (xkd_vmcore_next_note(vm, &cursor, &n) > 0)
                cpus += n.type == 1 /* NT_PRSTATUS */ && strcmp(n.name, "CORE") == 0;
        if (cpus == 0)
                strcat(missing, " the CPUs' registers (NT_PRSTATUS)");
        if (!xen || xkd_xen_crash_info(xen, &ci) < 0)
                strcat(missing, " Xen's CRASH_INFO");
        if (!xen || !xkd_xen_info_text(xen, XKD_INFO_XEN, &(size_t) { 0 }))
                strcat(missing, " VMCOREINFO_XEN");
        if (missing[0])
                outcome_set(out, -EBADMSG, "%s lacks ELF notes:%s; the memory was saved but cannot be fully analysed",
                            path, missing);
}

/* The dom0 walk's time budget when the capture has no time limit of its own. */
#define DOM0_WALK_SECONDS_DEFAULT 600u

static void note_filter(struct xkd_collect_result *out, const struct xkd_filter_stats *st) {
        if (st->dom0_skipped[0] && st->deadline_hit)
                snprintf(out->filter_note, sizeof(out->filter_note), "the time limit ran out while filtering: Xen free "
                         "and domU frames not yet looked at and all of dom0's pages are kept");
        else if (st->deadline_hit)
                snprintf(out->filter_note, sizeof(out->filter_note), "the time limit ran out while filtering: Xen free "
                         "and domU frames not yet looked at are kept");
        else if (st->dom0_skipped[0])
                snprintf(out->filter_note, sizeof(out->filter_note), "dom0 page types (level bits 2-16) not applied, "
                         "all of dom0's pages are kept: %s", st->dom0_skipped);
}

static void run_native(const struct xkd_collect_options *a, struct xkd_vmcore *vm, struct xkd_sink *sink, const char *where,
                       uint64_t deadline_ns, struct xkd_collect_result *out) {
        struct xkd_frame_source src, *srcp = NULL;
        struct xkd_frame_reader *fr = NULL;
        struct xkd_kdump_writer *w = NULL;
        struct xkd_kdump_result res = { 0 };
        struct xkd_filter_stats st;
        struct xkd_bitmap ram = { 0 }, dump = { 0 }, first = { 0 }, second = { 0 };
        const struct xkd_bitmap *tiers[2] = { &first, &second };
        struct xkd_progress prog;
        struct xkd_xen *xen = NULL;
        char release[320] = "";
        char guard[320] = "", guard_failed[400] = "";
        int r;

        if (xkd_xen_open(vm, &xen) == 0) {
                const struct xkd_xen_crash_info *ci;
                if (xkd_xen_crash_info(xen, &ci) == 0)
                        snprintf(release, sizeof(release), "%llu.%llu%s", (unsigned long long) ci->major,
                                 (unsigned long long) ci->minor, ci->extra_version.text);
                if (xkd_frame_source_from_xen(xen, &src, &fr) == 0)
                        srcp = &src;
                /* Nothing is excluded by owner unless known frames read right. */
                if (srcp && (a->level & XKD_DL_XEN) && xkd_frame_source_guard(xen, srcp, guard, sizeof(guard)) < 0) {
                        snprintf(guard_failed, sizeof(guard_failed), "Xen's frame table fails its check (%s), "
                                 "nothing is excluded by owner", guard);
                        srcp = NULL;
                }
        }
        /* The dom0 walk trusts dom0's description of its memory: a quarter of
         * the capture's time at most, so that writing always gets the rest. */
        uint64_t now = xkd_monotonic_ns();
        struct xkd_filter_budget budget = {
                .deadline_ns = deadline_ns,
                .dom0_deadline_ns = deadline_ns ? now + (deadline_ns > now ? (deadline_ns - now) / 4 : 0)
                                                : now + DOM0_WALK_SECONDS_DEFAULT * UINT64_C(1000000000),
                .no_frame_source_why = guard_failed[0] ? guard_failed : NULL,
        };
        r = xkd_filter_build_budget(vm, srcp, a->level, &budget, &ram, &dump, &st);
        if (r < 0) {
                outcome_set(out, r, "the page filter failed (%s)", strerror(-r));
                goto done;
        }
        log_filter_stats(&st);
        note_filter(out, &st);
        if (guard[0])
                snprintf(out->filter_note, sizeof(out->filter_note), "Xen's frame table fails its check (level bits "
                         "2-32 not applied, every page is kept): %s", guard);

        xkd_progress_init(&prog, stderr, a->quiet);
        struct xkd_kdump_options opt = {
                .compress = a->compress, .dump_level = st.level_applied, .nodename = a->host,
                .release = release, .progress = xkd_progress_update, .progress_userdata = &prog,
                .deadline_ns = deadline_ns,
                /* The CPUs this process may use, at most 8 (a zstd context each;
                 * reading and writing stay on one thread): inline in a capture
                 * kernel booted with nr_cpus=1, in parallel on a host (--vmcore
                 * FILE) or in a capture kernel given more CPUs. */
                .compress_threads = xkd_usable_cpus() < 8 ? xkd_usable_cpus() : 8,
        };
        r = xkd_kdump_writer_new(vm, sink, &opt, &w);
        if (r < 0) {
                outcome_set(out, r, "out of memory");
                goto done;
        }
        /* Xen's frames and dom0's p2m first: a dump cut short stays analysable. */
        if (srcp && (st.level_applied & XKD_DL_XEN))
                if (xkd_filter_priority(vm, srcp, st.layout, &dump, &first, &second) == 0)
                        log_debug("Written first: %llu Xen and dom0 p2m frames, then %llu of dom0's kernel image",
                                  (unsigned long long) xkd_bitmap_count(&first),
                                  (unsigned long long) xkd_bitmap_count(&second));
        r = xkd_kdump_write_ordered(w, &ram, &dump, tiers, first.bits && second.bits ? 2 : 0, &res);
        if (r == -ETIMEDOUT)
                outcome_set(out, r, "the time limit (--time-limit %u s) ran out after %llu of %llu pages: what was written "
                            "is kept; raise the limit or exclude more with --level", a->time_limit,
                            (unsigned long long) res.pages_done, (unsigned long long) res.pages);
        else if (r == -ENOSPC)
                outcome_set(out, r, "no space left on %s after %llu of %llu pages: free space there, lower --reserve, "
                            "or exclude more with --level", where, (unsigned long long) res.pages_done,
                            (unsigned long long) res.pages);
        else if (r < 0)
                outcome_set(out, r, "writing %s failed after %llu of %llu pages (%s): check the disk", where,
                            (unsigned long long) res.pages_done, (unsigned long long) res.pages, strerror(-r));
        if (res.read_errors)
                outcome_set(out, -EIO, "%llu pages could not be read from %s (a truncated or damaged vmcore): "
                            "they are marked missing", (unsigned long long) res.read_errors, a->vmcore);
        if (xkd_vmcore_truncated(vm))
                outcome_set(out, -EIO, "%s is shorter than its headers say: memory beyond the cut is missing",
                            a->vmcore);
        uint64_t dropped_bytes, dropped_first;
        size_t dropped = xkd_vmcore_dropped_ranges(vm, &dropped_bytes, &dropped_first);
        if (dropped)
                outcome_set(out, -EBADMSG, "%zu PT_LOAD(s) of %s (%llu bytes, the first at %#llx) wrap past 2^64 or "
                            "lie above x86_64's 52-bit physical limit: that memory is not in the dump; the vmcore's "
                            "program headers are damaged", dropped, a->vmcore, (unsigned long long) dropped_bytes,
                            (unsigned long long) dropped_first);
        check_notes(vm, xen, a->vmcore, out);
        if (xkd_vmcore_nr_ranges(vm) == 0 && !dropped)
                /* Notes alone are no dump: crash cannot open it and the evidence is gone. */
                outcome_set(out, -ENODATA, "%s has no memory at all (no PT_LOAD program header with data): "
                            "the vmcore's program headers are damaged", a->vmcore);
        xkd_progress_finish(&prog, res.pages_done, sink->bytes_written);
        if (res.zero_pages || res.raw_pages || res.dup_pages)
                log_info("%llu zero pages share one data page, %llu share an identical page's data, "
                         "%llu pages stored raw", (unsigned long long) res.zero_pages,
                         (unsigned long long) res.dup_pages, (unsigned long long) res.raw_pages);

        if (out->reason[0] == 0) {
                /* Durable first, then declared complete. */
                r = sink->sync(sink);
                if (r == 0)
                        r = xkd_kdump_set_complete(w, true);
                if (r == 0)
                        r = sink->sync(sink);
                if (r < 0)
                        outcome_set(out, r, "flushing %s failed (%s): check the disk", where, strerror(-r));
        } else if (w)
                /* Files already say "incomplete"; a stream gets its only header now. */
                (void) xkd_kdump_set_complete(w, false);
        r = sink->finish(sink);
        if (r < 0)
                outcome_set(out, r, "ending the stream failed (%s)", strerror(-r));
done:
        xkd_kdump_writer_free(w);
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_bitmap_done(&first);
        xkd_bitmap_done(&second);
        xkd_frame_reader_free(fr);
        xkd_xen_free(xen);
}

/* makedumpfile -E -X -d 1 writes an ELF dump; it refuses existing files. */
static int run_makedumpfile(const struct xkd_collect_options *a, struct xkd_save *s, uint64_t deadline_ns) {
        char target[PATH_MAX + 32];
        bool timed_out = false;
        int status;
        pid_t pid;

        snprintf(target, sizeof(target), "%s/%s", s->path, XKD_SAVE_VMCORE_PARTIAL);
        close(s->fd);
        s->fd = -1;
        unlink(target);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                umask(077);
                execlp("makedumpfile", "makedumpfile", "-E", "-X", "-d", "1", a->vmcore, target, (char *) NULL);
                log_error_errno(errno, "cannot run makedumpfile: %m: install it or use --engine native");
                _exit(127);
        }
        for (bool killed = false;;) {
                pid_t p = waitpid(pid, &status, deadline_ns ? WNOHANG : 0);
                if (p == pid)
                        break;
                if (p < 0 && errno != EINTR)
                        return -errno;
                if (p == 0 && !killed && xkd_monotonic_ns() >= deadline_ns) {
                        /* What it wrote stays, as vmcore.incomplete. */
                        kill(pid, SIGKILL);
                        killed = true;
                        timed_out = true;
                }
                if (p == 0)
                        nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        s->fd = open(target, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (s->fd >= 0)
                fchmod(s->fd, 0600);
        if (timed_out)
                return -ETIMEDOUT;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || s->fd < 0)
                return -EIO;
        return 0;
}


/* The report again, now saying what became of the dump: what the vmcore says
 * was gathered for the first one (rep; NULL: gather it now), only the dump's
 * section is new, and the dump is declared saved before this. */
static void write_final_report(const struct xkd_collect_options *a, struct xkd_vmcore *vm, struct xkd_report *rep,
                               struct xkd_save *save, const struct xkd_collect_result *out, const struct timespec *t0) {
        bool complete = out->reason[0] == 0;
        const char *file = complete ? XKD_SAVE_VMCORE : XKD_SAVE_VMCORE_PARTIAL;
        char status[600];
        struct timespec t1;
        struct stat st;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        snprintf(status, sizeof(status), complete ? "complete" : "incomplete: %s", out->reason);
        struct xkd_report_dump d = {
                .file = file, .status = status,
                .engine = a->engine == XKD_ENGINE_MAKEDUMPFILE ? "makedumpfile" : "xen-kdump",
                .level = a->engine == XKD_ENGINE_MAKEDUMPFILE ? 1 : (int) a->level,
                .bytes = fstatat(save->dirfd, file, &st, 0) == 0 ? (uint64_t) st.st_size : 0,
                .seconds = (double) (t1.tv_sec - t0->tv_sec) + (double) (t1.tv_nsec - t0->tv_nsec) / 1e9,
                .filter_note = out->filter_note[0] ? out->filter_note : NULL,
        };
        r = rep ? xkd_report_save(rep, save->dirfd, &d) : xkd_report_write_with_dump(vm, save->dirfd, &d);
        if (r < 0)
                log_warning_errno(r, "Cannot update the crash report: %m");
}

int xkd_collect(const struct xkd_collect_options *o, struct xkd_collect_result *out) {
        struct xkd_collect_options a = *o;
        struct timespec t0 = { 0 };
        struct xkd_vmcore *vm = NULL;
        struct xkd_sink *sink = NULL;
        struct xkd_save save = { .dirfd = -1, .fd = -1 };
        struct xkd_report *rep = NULL;
        int r;

        memset(out, 0, sizeof(*out));
        /* The capture's own bound: everything below, reading, filtering and writing, stops by then. */
        uint64_t deadline_ns = a.time_limit ? xkd_monotonic_ns() + (uint64_t) a.time_limit * UINT64_C(1000000000) : 0;
        if (!a.vmcore)
                a.vmcore = "/proc/vmcore";
        r = xkd_vmcore_open(a.vmcore, &vm);
        if (r < 0) {
                int open_error = r;
                outcome_set(out, r, "cannot read the vmcore %s (%s): run this in the capture kernel or pass --vmcore FILE",
                            a.vmcore, strerror(-r));
                /* Still leave a report saying so where the dump would have been. */
                if (strcmp(a.output, "-") != 0 &&
                    xkd_save_begin(&(struct xkd_save_options) { .dir = a.output, .host = a.host, .keep = 0,
                                                                 .now = a.now }, &save) == 0) {
                        snprintf(out->path, sizeof(out->path), "%s", save.path);
                        xkd_report_write_unreadable(save.dirfd, a.vmcore, open_error);
                        xkd_save_mark_incomplete(&save, out->reason);
                }
                xkd_save_close(&save);
                return open_error;
        }

        if (strcmp(a.output, "-") == 0) {
                int fd = a.stream_fd > 0 ? a.stream_fd : STDOUT_FILENO;
                r = xkd_sink_flat_new(fd, &sink);
                if (r == 0) {
                        run_native(&a, vm, sink, "the output stream", deadline_ns, out);
                        sink->free(sink);
                }
                xkd_vmcore_free(vm);
                return out->reason[0] ? (out->error ? out->error : -EIO) : r;
        }

        r = xkd_save_begin(&(struct xkd_save_options) { .dir = a.output, .host = a.host, .keep = a.keep,
                                                         .reserve_bytes = a.reserve_bytes, .now = a.now }, &save);
        if (r < 0) {
                outcome_set(out, r, "cannot start a dump in %s (see above)", a.output);
                xkd_save_close(&save);
                xkd_vmcore_free(vm);
                return r;
        }
        snprintf(out->path, sizeof(out->path), "%s", save.path);
        log_info("Saving to %s", save.path);

        /* The report first: it is what people read, and it must exist even if
         * the dump never finishes.  Rewritten with the dump's outcome below. */
        r = xkd_report_open(vm, &rep);
        if (r == 0)
                r = xkd_report_save(rep, save.dirfd, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot write the crash report: %m");
        /* The logs too, before the dump: they are the evidence when it fails. */
        xkd_evidence_write_logs(vm, save.dirfd);
        clock_gettime(CLOCK_MONOTONIC, &t0);

        if (a.engine == XKD_ENGINE_MAKEDUMPFILE) {
                r = run_makedumpfile(&a, &save, deadline_ns);
                if (r == -ETIMEDOUT)
                        outcome_set(out, r, "the time limit (--time-limit %u s) ran out while makedumpfile -E -X -d 1 "
                                    "was writing: what it wrote is kept; raise the limit or use --engine native",
                                    a.time_limit);
                else if (r < 0)
                        outcome_set(out, r, "makedumpfile -E -X -d 1 failed (see its messages above): "
                                    "retry with --engine native");
        } else {
                r = xkd_sink_file_new(save.fd, a.reserve_bytes, &sink);
                if (r < 0)
                        outcome_set(out, r, "out of memory");
                else {
                        run_native(&a, vm, sink, save.path, deadline_ns, out);
                        sink->free(sink);
                }
        }

        if (out->reason[0] == 0) {
                r = xkd_save_commit(&save);
                if (r < 0)
                        outcome_set(out, r, "cannot finish %s (%s): check the disk", save.path, strerror(-r));
        }
        if (out->reason[0]) {
                xkd_save_mark_incomplete(&save, out->reason);
                r = out->error ? out->error : -EIO;
        } else
                log_info("Dump saved: %s/%s", save.path, XKD_SAVE_VMCORE);
        write_final_report(&a, vm, rep, &save, out, &t0);
        xkd_report_free(rep);
        if (out->reason[0] == 0)
                /* Only a complete, synced and renamed dump may cost an old one. */
                xkd_save_prune(&save);

        xkd_save_close(&save);
        xkd_vmcore_free(vm);
        return r;
}
