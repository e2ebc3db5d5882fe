/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole collection on synthetic Xen vmcores (the reader's generator):
 * what is kept and excluded page by page per page_info layout, the saved
 * directory, the stream, the makedumpfile engine and the reserve.
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

static void check_dump_pages(struct host *h, const char *file, bool xen_filtered) {
        struct kcheck k;
        uint8_t want[4096], got[4096];
        unsigned kept = 0, gone = 0;

        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_EQ(k.header.status & KDUMP_INCOMPLETE, 0);
        for (uint64_t m = h->first; m < h->last; m++) {
                bool excluded;
                if (!mine(h, m))
                        continue;
                excluded = xen_filtered && (kind_of(m) == K_DOMU || kind_of(m) == K_FREE);
                ASSERT_TRUE(kcheck_is_ram(&k, m));
                if (excluded) {
                        ASSERT_FALSE(kcheck_is_dumped(&k, m));
                        gone++;
                        continue;
                }
                ASSERT_EQ(kcheck_read_page(&k, m, got), 0);
                page_content(m, want);
                ASSERT_MEMEQ(want, got, 4096);
                kept++;
        }
        /* Xen's own pages (page tables, frame table, domain structs) are all there. */
        for (uint64_t m = 0; m < k.max_mapnr; m++)
                if (vmgen_is_xen_page(h->g, m)) {
                        ASSERT_EQ(kcheck_read_page(&k, m, got) == 0 || !kcheck_is_dumped(&k, m), 1);
                        if (kcheck_is_dumped(&k, m))
                                ASSERT_MEMEQ(vmgen_page(h->g, m), got, 4096);
                }
        ASSERT_TRUE(kept > 100);
        ASSERT_EQ(gone > 100, xen_filtered);
        kcheck_close(&k);
}

static void collect_and_check(unsigned minor, uint64_t free_bits) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 16];

        make_host(&h, minor, free_bits, (struct vmgen_config) { 0 });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_STREQ(res.reason, "");
        ASSERT_TRUE(strstr(res.path, "/unit-") != NULL);
        ASSERT_EQ(mode_of(res.path, "."), 0700);
        ASSERT_EQ(mode_of(res.path, XKD_SAVE_VMCORE), 0600);
        ASSERT_FALSE(exists_at(res.path, XKD_SAVE_MARKER));
        ASSERT_FALSE(exists_at(res.path, XKD_SAVE_VMCORE_PARTIAL));
        ASSERT_EQ(mode_of(res.path, "report.txt"), 0600);
        ASSERT_EQ(mode_of(res.path, "report.json"), 0600);
        ASSERT_TRUE(file_contains(res.path, "report.json", "\"complete\""));
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        check_dump_pages(&h, file, true);
        free_host(&h);
}

TEST(xen_417_dump_keeps_dom0_and_xen_drops_domu_and_free) {
        collect_and_check(17, FREE_XSA402);
}

TEST(xen_416_backported_layout) {
        collect_and_check(16, FREE_XSA402 | ALLOCATED);
}

TEST(xen_415_old_layout) {
        collect_and_check(15, FREE_OLD);
}

TEST(level_zero_keeps_everything) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 16];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        o = host_opts(&h);
        o.level = 0;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        check_dump_pages(&h, file, false);
        free_host(&h);
}

TEST(flattened_stream_to_a_pipe_end_marker) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX];
        int fd;
        uint8_t tail[16];
        struct stat st;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        snprintf(file, sizeof(file), "%s/flat", h.dir);
        fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
        o = host_opts(&h);
        o.output = "-";
        o.stream_fd = fd;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_EQ(fstat(fd, &st), 0);
        ASSERT_EQ(pread(fd, tail, 16, st.st_size - 16), 16);
        ASSERT_MEMEQ(tail, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
        ASSERT_EQ(pread(fd, tail, 12, 0), 12);
        ASSERT_MEMEQ(tail, "makedumpfile", 12);
        close(fd);
        free_host(&h);
}

static void fake_makedumpfile(const char *dir, int exit_code) {
        char p[PATH_MAX], script[512], path[4096];
        FILE *f;

        snprintf(p, sizeof(p), "%s/bin", dir);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/bin/makedumpfile", dir);
        f = fopen(p, "w");
        snprintf(script, sizeof(script),
                 "#!/bin/sh\necho \"$@\" > %s/args\n[ -e \"$6\" ] && exit 9\necho ELF > \"$6\"\nexit %d\n",
                 dir, exit_code);
        fputs(script, f);
        fclose(f);
        chmod(p, 0755);
        snprintf(path, sizeof(path), "%s/bin:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        setenv("PATH", path, 1);
}

TEST(makedumpfile_engine_runs_E_X_d1_and_saves_atomically) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        char expect[PATH_MAX + 256];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        fake_makedumpfile(h.dir, 0);
        o = host_opts(&h);
        o.engine = XKD_ENGINE_MAKEDUMPFILE;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(expect, sizeof(expect), "-E -X -d 1 %s %s/vmcore.incomplete", h.vmcore, res.path);
        ASSERT_TRUE(file_contains(h.dir, "args", expect));
        ASSERT_EQ(mode_of(res.path, XKD_SAVE_VMCORE), 0600);
        ASSERT_FALSE(exists_at(res.path, XKD_SAVE_MARKER));
        ASSERT_TRUE(file_contains(res.path, "report.json", "makedumpfile"));

        fake_makedumpfile(h.dir, 1);
        o.now = 1;
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        ASSERT_CONTAINS(res.reason, "makedumpfile -E -X -d 1 failed");
        ASSERT_TRUE(exists_at(res.path, XKD_SAVE_MARKER));
        ASSERT_FALSE(exists_at(res.path, XKD_SAVE_VMCORE));
        setenv("PATH", old_path, 1);
        free(old_path);
        free_host(&h);
}

TEST(reserve_refuses_to_start) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        o = host_opts(&h);
        o.reserve_bytes = UINT64_C(1) << 60;
        ASSERT_EQ(xkd_collect(&o, &res), -ENOSPC);
        ASSERT_STREQ(res.path, "");
        free_host(&h);
}

/* Retention (keep) has its own tests: test-retention.c. */

TEST(dump_names) {
        char stamp[16];

        ASSERT_TRUE(xkd_save_name_is_dump("host-20261128-091500", stamp));
        ASSERT_STREQ(stamp, "20261128-091500");
        ASSERT_TRUE(xkd_save_name_is_dump("my-host-20261128-091500.3", stamp));
        ASSERT_FALSE(xkd_save_name_is_dump("-20261128-091500", NULL));
        ASSERT_FALSE(xkd_save_name_is_dump("host-2026112-091500", NULL));
        ASSERT_FALSE(xkd_save_name_is_dump("host-20261128x091500", NULL));
        ASSERT_FALSE(xkd_save_name_is_dump("lost+found", NULL));
}

TEST(progress_line) {
        char buf[128];

        xkd_progress_format(buf, sizeof(buf), 256, 1024, 0.5);
        ASSERT_STREQ(buf, " 25% 1/4 MiB, 2 MiB/s, ETA 2s");
        xkd_progress_format(buf, sizeof(buf), 1024, 1024, 1.0);
        ASSERT_STREQ(buf, "100% 4/4 MiB");
}

/* ---- dom0 page types ---------------------------------------------------- */

TEST_MAIN()
