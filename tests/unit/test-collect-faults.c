/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Faults on synthetic Xen vmcores: a truncated vmcore, missing notes, a kill
 * mid-write, ENOSPC on a small tmpfs, an unreadable vmcore, a cut stream:
 * never a dump that looks complete, always a report and a reason.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "filter.h"
#include "kcheck.h"
#include "log.h"
#include "progress.h"
#include "save.h"
#include "test.h"
#include "vmcore-gen.h"
#include "collect-host.h"

static void assert_incomplete(const char *path, const char *reason_part) {
        char file[PATH_MAX + 32], text[1024] = "";
        struct kcheck k;
        int fd;

        ASSERT_TRUE(exists_at(path, XKD_SAVE_MARKER));
        ASSERT_TRUE(exists_at(path, XKD_SAVE_VMCORE_PARTIAL));
        ASSERT_FALSE(exists_at(path, XKD_SAVE_VMCORE));
        snprintf(file, sizeof(file), "%s/%s", path, XKD_SAVE_MARKER);
        fd = open(file, O_RDONLY);
        ASSERT_TRUE(read(fd, text, sizeof(text) - 1) > 0);
        close(fd);
        if (reason_part)
                ASSERT_CONTAINS(text, reason_part);
        snprintf(file, sizeof(file), "%s/%s", path, XKD_SAVE_VMCORE_PARTIAL);
        if (kcheck_open(file, &k) == 0) {
                ASSERT_TRUE(k.header.status & KDUMP_INCOMPLETE);
                kcheck_close(&k);
        }
}

TEST(stream_of_a_truncated_vmcore_ends_with_an_incomplete_header) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX];
        struct stat st;
        uint8_t rec[16], hdr[464];
        int64_t off, size;
        uint32_t status = 0;
        bool found = false;
        int fd;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        ASSERT_EQ(stat(h.vmcore, &st), 0);
        ASSERT_EQ(truncate(h.vmcore, st.st_size - 5 * 4096), 0);
        snprintf(file, sizeof(file), "%s/flat", h.dir);
        fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
        o = host_opts(&h);
        o.output = "-";
        o.stream_fd = fd;
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        /* Walk the records: block 0 appears exactly once and says incomplete. */
        for (uint64_t pos = 4096; pread(fd, rec, 16, (off_t) pos) == 16; ) {
                off = (int64_t) be64toh(*(uint64_t *) rec);
                size = (int64_t) be64toh(*(uint64_t *) (rec + 8));
                if (off == -1)
                        break;
                if (off == 0) {
                        ASSERT_FALSE(found);
                        found = true;
                        ASSERT_EQ(pread(fd, hdr, sizeof(hdr), (off_t) pos + 16), (ssize_t) sizeof(hdr));
                        memcpy(&status, hdr + 424, 4);
                }
                pos += 16 + (uint64_t) size;
        }
        ASSERT_TRUE(found);
        ASSERT_TRUE(status & KDUMP_INCOMPLETE);
        close(fd);
        free_host(&h);
}

/* The incomplete state on disk: marker with the reason, partial file, status 0x8. */
TEST(truncated_vmcore_is_marked_incomplete) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        struct stat st;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        ASSERT_EQ(stat(h.vmcore, &st), 0);
        ASSERT_EQ(truncate(h.vmcore, st.st_size - 3 * 4096 - 10), 0);
        o = host_opts(&h);
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        ASSERT_CONTAINS(res.reason, "vmcore");
        assert_incomplete(res.path, "INCOMPLETE");
        /* The report is there and says the dump is incomplete. */
        ASSERT_TRUE(file_contains(res.path, "report.json", "incomplete"));
        ASSERT_TRUE(file_contains(res.path, "report.txt", "vmcore.incomplete"));
        free_host(&h);
}

TEST(missing_notes_never_look_complete) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .no_crash_info = true, .no_vmcoreinfo_xen = true,
                                                               .no_cpu_notes = true });
        o = host_opts(&h);
        /* Nothing can be excluded safely without CRASH_INFO, and without the
         * CPU notes the dump cannot be analysed: kept, never complete. */
        ASSERT_EQ(xkd_collect(&o, &res), -EBADMSG);
        ASSERT_CONTAINS(res.reason, "NT_PRSTATUS");
        ASSERT_CONTAINS(res.reason, "CRASH_INFO");
        assert_incomplete(res.path, "lacks ELF notes");
        free_host(&h);
}

TEST(killed_mid_write_leaves_marker_and_partial_name) {
        struct host h;
        struct rlimit lim = { 64 * 1024, 64 * 1024 };
        int status;
        pid_t pid;
        DIR *d;
        struct dirent *de;
        char path[PATH_MAX] = "";

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .ram_size = 16u << 20 });
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                struct xkd_collect_result res;
                struct xkd_collect_options o = host_opts(&h);
                /* The kernel kills us (SIGXFSZ) at the first write past 64 KiB. */
                log_set_max_level(LOG_LEVEL_ERROR);
                setrlimit(RLIMIT_FSIZE, &lim);
                o.level = 0;
                xkd_collect(&o, &res);
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGXFSZ);
        d = opendir(h.out);
        ASSERT_TRUE(d != NULL);
        while ((de = readdir(d)))
                if (xkd_save_name_is_dump(de->d_name, NULL))
                        snprintf(path, sizeof(path), "%s/%s", h.out, de->d_name);
        closedir(d);
        ASSERT_TRUE(path[0]);
        assert_incomplete(path, "still writing");
        free_host(&h);
}

/* Counts Xen's frames readable from a dump and other frames not readable. */
static void count_after_cut(struct host *h, const char *file, unsigned *xen_ok, unsigned *xen_bad, unsigned *others_missing) {
        uint8_t got[4096];
        struct kcheck k;

        *xen_ok = *xen_bad = *others_missing = 0;
        if (kcheck_open(file, &k) < 0) {
                *xen_bad = 1;
                return;
        }
        for (uint64_t m = 0; m < k.max_mapnr; m++) {
                bool ok;
                if (!kcheck_is_dumped(&k, m))
                        continue;
                ok = kcheck_read_page(&k, m, got) == 0;
                if (vmgen_is_xen_page(h->g, m)) {
                        if (ok && memcmp(vmgen_page(h->g, m), got, 4096) == 0)
                                (*xen_ok)++;
                        else
                                (*xen_bad)++;
                } else if (!ok)
                        (*others_missing)++;
        }
        kcheck_close(&k);
}

TEST(enospc_on_a_small_tmpfs_keeps_xen_frames_written_first) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 32], opt[64];
        struct stat st;
        unsigned xen_ok, xen_bad, others_missing;
        uint64_t full, reports;
        int r;

        /* Random-ish page contents so the dump does not compress to nothing. */
        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        o = host_opts(&h);
        o.reserve_bytes = 0;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        ASSERT_EQ(stat(file, &st), 0);
        full = (uint64_t) st.st_size;
        snprintf(file, sizeof(file), "%s/report.json", res.path);
        ASSERT_EQ(stat(file, &st), 0);
        reports = (uint64_t) st.st_size;
        snprintf(file, sizeof(file), "%s/report.txt", res.path);
        ASSERT_EQ(stat(file, &st), 0);
        reports += (uint64_t) st.st_size;
        rm_rf(h.out);
        if (mkdir(h.out, 0700) < 0)
                abort();
        /* Room for the reports (twice: rewritten through temporary files),
         * the small files (INCOMPLETE, xen-kdump.id: a tmpfs page each) and
         * half the dump. */
        snprintf(opt, sizeof(opt), "size=%llu",
                 (unsigned long long) ((2 * reports + 9 * 4096 + full / 2) & ~4095ull));
        if (mount("xkd-test", h.out, "tmpfs", 0, opt) < 0) {
                int e = errno;
                free_host(&h);
                TEST_SKIP("cannot mount a tmpfs (%s): run as root", strerror(e));
        }
        o.now = 1;
        r = xkd_collect(&o, &res);
        snprintf(file, sizeof(file), "%s/%s", res.path, XKD_SAVE_VMCORE_PARTIAL);
        count_after_cut(&h, file, &xen_ok, &xen_bad, &others_missing);
        if (r == -ENOSPC)
                assert_incomplete(res.path, "no space left");
        umount(h.out);
        ASSERT_EQ(r, -ENOSPC);
        ASSERT_CONTAINS(res.reason, "no space left");
        ASSERT_TRUE(xen_ok > 10);
        ASSERT_EQ(xen_bad, 0);
        ASSERT_TRUE(others_missing > 0);
        free_host(&h);
}

TEST(unreadable_vmcore_still_leaves_a_report) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        int fd;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        fd = open(h.vmcore, O_WRONLY | O_TRUNC);
        ASSERT_EQ(write(fd, "not an ELF file", 15), 15);
        close(fd);
        o = host_opts(&h);
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        ASSERT_CONTAINS(res.reason, "cannot read the vmcore");
        ASSERT_TRUE(res.path[0]);
        ASSERT_TRUE(exists_at(res.path, "report.txt"));
        ASSERT_TRUE(exists_at(res.path, XKD_SAVE_MARKER));
        ASSERT_FALSE(exists_at(res.path, XKD_SAVE_VMCORE));
        free_host(&h);
}

/* A stand-in makedumpfile first in PATH: records its arguments, writes
 * the target (or fails), so the engine's handling is tested exactly. */
TEST_MAIN()
