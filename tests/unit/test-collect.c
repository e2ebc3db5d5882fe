/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole collection on synthetic Xen vmcores (the reader's generator):
 * what is kept and excluded page by page, the saved directory, and the
 * faults: ENOSPC, a kill mid-write, a truncated vmcore, missing notes.
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

#define ALLOCATED     (1ull << 63)
#define FREE_XSA402   (3ull << 58)
#define FREE_OLD      (3ull << 55)

enum kind { K_DOMU, K_FREE, K_DOM0, K_ANON };

struct host {
        char dir[64];
        char vmcore[96];
        char out[96];
        struct vmgen *g;
        uint64_t first, last;           /* the frames this test owns */
};

static enum kind kind_of(uint64_t mfn) { return (enum kind) (mfn % 4); }

static void page_content(uint64_t mfn, uint8_t *p) {
        for (unsigned i = 0; i < 4096; i += 8) {
                uint64_t v = (mfn << 32) ^ (i * 0x9e3779b1u) ^ (kind_of(mfn) == K_DOMU ? 0xd0d0d0d0u : 0);
                memcpy(p + i, &v, 8);
        }
        memcpy(p, kind_of(mfn) == K_DOMU ? "DOMU-MARKER" : "DOM0-OR-XEN", 12);
}

static bool mine(const struct host *h, uint64_t mfn) {
        return mfn >= h->first && mfn < h->last && !vmgen_is_xen_page(h->g, mfn) && vmgen_is_ram(h->g, mfn);
}

/* A host with dom0, one domU and Xen free pages in the given layout. */
static void make_host(struct host *h, unsigned minor, uint64_t free_bits, struct vmgen_config cfg) {
        uint64_t domu, dom0;

        strcpy(h->dir, "/tmp/xkd-collect-XXXXXX");
        if (!mkdtemp(h->dir))
                abort();
        snprintf(h->vmcore, sizeof(h->vmcore), "%s/vmcore", h->dir);
        snprintf(h->out, sizeof(h->out), "%s/dumps", h->dir);
        cfg.dom0 = true;
        cfg.xen_minor = minor;
        cfg.xen_major = 4;
        h->g = vmgen_new(&cfg);
        domu = vmgen_add_domain(h->g, 1);
        dom0 = vmgen_dom0_domain(h->g);
        h->first = 16;
        h->last = 400;
        for (uint64_t m = h->first; m < h->last; m++) {
                if (!mine(h, m))
                        continue;
                page_content(m, vmgen_page(h->g, m));
                switch (kind_of(m)) {
                case K_DOMU: vmgen_set_page_info(h->g, m, ALLOCATED | 1, domu); break;
                case K_FREE: vmgen_set_page_info(h->g, m, free_bits, 0); break;
                case K_DOM0: vmgen_set_page_info(h->g, m, ALLOCATED | 1, dom0); break;
                case K_ANON: vmgen_set_page_info(h->g, m, 1, 0); break;
                }
        }
        if (vmgen_write(h->g, h->vmcore) < 0)
                abort();
}

static void rm_rf(const char *path) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
        if (system(cmd) != 0)
                abort();
}

static void free_host(struct host *h) {
        vmgen_free(h->g);
        rm_rf(h->dir);
}

static struct xkd_collect_options opts(const struct host *h) {
        return (struct xkd_collect_options) { .vmcore = h->vmcore, .output = h->out, .level = XKD_DL_XEN | XKD_DL_ZERO,
                                              .host = "unit", .quiet = true };
}

static bool exists_at(const char *dir, const char *name) {
        char p[PATH_MAX + 64];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return stat(p, &st) == 0;
}

static unsigned mode_of(const char *dir, const char *name) {
        char p[PATH_MAX + 64];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return stat(p, &st) == 0 ? st.st_mode & 07777 : 0;
}

static bool file_contains(const char *dir, const char *name, const char *needle) {
        char p[PATH_MAX + 64], *buf = calloc(1, 1 << 20);
        bool found;
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_RDONLY);
        if (fd < 0 || read(fd, buf, (1 << 20) - 1) < 0)
                buf[0] = 0;
        if (fd >= 0)
                close(fd);
        found = strstr(buf, needle) != NULL;
        free(buf);
        return found;
}

/* Checks every frame this test owns: domU and free ones are gone, the rest equal. */
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
        o = opts(&h);
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
        o = opts(&h);
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
        o = opts(&h);
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
        o = opts(&h);
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

TEST(truncated_vmcore_is_marked_incomplete) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        struct stat st;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        ASSERT_EQ(stat(h.vmcore, &st), 0);
        ASSERT_EQ(truncate(h.vmcore, st.st_size - 3 * 4096 - 10), 0);
        o = opts(&h);
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
        o = opts(&h);
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
                struct xkd_collect_options o = opts(&h);
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
        o = opts(&h);
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
        /* Room for the reports (twice: rewritten through temporary files)
         * and half the dump. */
        snprintf(opt, sizeof(opt), "size=%llu",
                 (unsigned long long) ((2 * reports + 8 * 4096 + full / 2) & ~4095ull));
        if (mount("xkd-test", h.out, "tmpfs", 0, opt) < 0) {
                printf("# skipped: cannot mount a tmpfs (%s)\n", strerror(errno));
                free_host(&h);
                return;
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
        o = opts(&h);
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
        o = opts(&h);
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
        o = opts(&h);
        o.reserve_bytes = UINT64_C(1) << 60;
        ASSERT_EQ(xkd_collect(&o, &res), -ENOSPC);
        ASSERT_STREQ(res.path, "");
        free_host(&h);
}

TEST(retention_deletes_only_the_oldest_dumps) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char p[256];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        mkdir(h.out, 0700);
        const char *names[] = { "a-20250101-000000", "b-20250102-000000", "c-20250103-000000.1", "notes-2025" };
        for (unsigned i = 0; i < 4; i++) {
                snprintf(p, sizeof(p), "%s/%s", h.out, names[i]);
                ASSERT_EQ(mkdir(p, 0700), 0);
                snprintf(p, sizeof(p), "%s/%s/vmcore", h.out, names[i]);
                close(open(p, O_CREAT | O_WRONLY, 0600));
        }
        o = opts(&h);
        o.keep = 2;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_FALSE(exists_at(h.out, names[0]));
        ASSERT_FALSE(exists_at(h.out, names[1]));
        ASSERT_TRUE(exists_at(h.out, names[2]));
        ASSERT_TRUE(exists_at(h.out, names[3]));        /* not a dump name: never touched */
        ASSERT_TRUE(exists_at(res.path, XKD_SAVE_VMCORE));
        /* keep 0: nothing is ever deleted */
        o.keep = 0;
        o.now = 1;                                      /* a different stamp */
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_TRUE(exists_at(h.out, names[2]));
        free_host(&h);
}

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

#define D0_PAGES      1024u
#define D0_ROOTS_PFN  100u
#define D0_SECT_PFN   101u
#define D0_VMEMMAP    102u      /* 16 pages of struct pages for 1024 pfns */
#define D0_FIRST      200u
#define D0_LAST       600u
#define PG_LRU        4
#define PG_SLAB       9
#define PG_SWAPCACHE  10
#define PG_PRIVATE    13

enum d0kind { D0_BUDDY, D0_BUDDY_TAIL, D0_CACHE, D0_CACHE_PRIV, D0_ANON, D0_SLAB, D0_KERNEL, D0_TAIL };

static enum d0kind d0kind(uint64_t pfn) { return (enum d0kind) ((pfn - D0_FIRST) % 8); }

static uint64_t d0_va(uint64_t pfn) { return VMGEN_DOM0_DIRECTMAP + pfn * 4096; }

static bool d0_excluded(uint64_t pfn, unsigned level) {
        if (pfn < D0_FIRST || pfn >= D0_LAST || pfn == 250 || !(level & XKD_DL_XEN))
                return false;
        switch (d0kind(pfn)) {
        case D0_BUDDY: case D0_BUDDY_TAIL: return level & XKD_DL_DOM0_FREE;
        case D0_CACHE: return level & (XKD_DL_DOM0_CACHE | XKD_DL_DOM0_CACHE_PRIVATE);
        case D0_CACHE_PRIV: return level & XKD_DL_DOM0_CACHE_PRIVATE;
        case D0_ANON: return level & XKD_DL_DOM0_USER;
        default: return false;
        }
}

static void put(uint8_t *p, size_t off, uint64_t v, size_t n) { memcpy(p + off, &v, n); }

static void make_dom0_host(struct host *h) {
        struct vmgen_config cfg = { .dom0 = true, .dom0_pages = D0_PAGES, .xen_major = 4, .xen_minor = 17,
                                    .ram_size = 16u << 20 };
        char line[128];

        strcpy(h->dir, "/tmp/xkd-dom0-XXXXXX");
        if (!mkdtemp(h->dir))
                abort();
        snprintf(h->vmcore, sizeof(h->vmcore), "%s/vmcore", h->dir);
        snprintf(h->out, sizeof(h->out), "%s/dumps", h->dir);
        h->g = vmgen_new(&cfg);

        /* SPARSEMEM_EXTREME with one root and one 1024-page section. */
        put(vmgen_dom0_page(h->g, D0_ROOTS_PFN), 0, d0_va(D0_SECT_PFN), 8);
        put(vmgen_dom0_page(h->g, D0_SECT_PFN), 0, d0_va(D0_VMEMMAP) | 3, 8);
        for (uint64_t pfn = 0; pfn < D0_PAGES; pfn++) {
                uint8_t *sp = vmgen_dom0_page(h->g, D0_VMEMMAP + pfn / 64) + (pfn % 64) * 64;
                uint8_t *data = vmgen_dom0_page(h->g, pfn);
                if (pfn >= D0_FIRST && pfn < D0_LAST) {
                        for (unsigned i = 0; i < 4096; i += 8)
                                put(data, i, pfn * 0x100000001ull + i, 8);
                        switch (d0kind(pfn)) {
                        case D0_BUDDY: put(sp, 48, (uint32_t) -129, 4); put(sp, 40, 1, 8); break;
                        case D0_BUDDY_TAIL: break;
                        case D0_CACHE: put(sp, 0, 1u << PG_LRU, 8); put(sp, 24, 0xffff888000100000ull, 8); break;
                        case D0_CACHE_PRIV:
                                put(sp, 0, (1u << PG_LRU) | (1u << PG_PRIVATE), 8);
                                put(sp, 24, 0xffff888000100000ull, 8);
                                break;
                        case D0_ANON: put(sp, 0, 1u << PG_LRU, 8); put(sp, 24, 0xffff888000200001ull, 8); break;
                        case D0_SLAB: put(sp, 0, 1u << PG_SLAB, 8); put(sp, 24, 0xffff888000300001ull, 8); break;
                        case D0_KERNEL: break;
                        case D0_TAIL: put(sp, 8, d0_va(D0_VMEMMAP) | 1, 8); put(sp, 0, 1u << PG_LRU, 8);
                                put(sp, 24, 0xffff888000200001ull, 8); break;
                        }
                }
        }
        /* A frame dom0's p2m points at but Xen gives to dom_xen: never excluded by dom0's view. */
        vmgen_set_page_info(h->g, vmgen_dom0_mfn(h->g, 250), ALLOCATED | 1, vmgen_dom_xen(h->g));

        snprintf(line, sizeof(line), "SYMBOL(mem_section)=%llx", (unsigned long long) d0_va(D0_ROOTS_PFN));
        vmgen_add_info(h->g, XKD_INFO_DOM0, line);
        const char *keys[] = {
                "LENGTH(mem_section)=1", "SIZE(mem_section)=16", "OFFSET(mem_section.section_mem_map)=0",
                "NUMBER(SECTION_SIZE_BITS)=22", "NUMBER(MAX_PHYSMEM_BITS)=30", "SIZE(page)=64",
                "OFFSET(page.flags)=0", "OFFSET(page.compound_head)=8", "OFFSET(page.mapping)=24",
                "OFFSET(page.private)=40", "OFFSET(page._mapcount)=48", "NUMBER(PG_lru)=4",
                "NUMBER(PG_private)=13", "NUMBER(PG_swapcache)=10", "NUMBER(PG_slab)=9",
                "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129",
        };
        for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                vmgen_add_info(h->g, XKD_INFO_DOM0, keys[i]);
        if (vmgen_write(h->g, h->vmcore) < 0)
                abort();
}

static void dom0_level(unsigned level) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 16];
        uint8_t got[4096];
        struct kcheck k;
        unsigned excluded = 0;

        make_dom0_host(&h);
        o = opts(&h);
        o.level = level;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(file, sizeof(file), "%s/vmcore", res.path);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        for (uint64_t pfn = 0; pfn < D0_PAGES; pfn++) {
                uint64_t mfn = vmgen_dom0_mfn(h.g, pfn);
                bool zero = true;
                if (d0_excluded(pfn, level)) {
                        ASSERT_FALSE(kcheck_is_dumped(&k, mfn));
                        excluded++;
                        continue;
                }
                for (unsigned i = 0; i < 4096; i++)
                        zero = zero && vmgen_dom0_page(h.g, pfn)[i] == 0;
                if (zero && (level & XKD_DL_ZERO))
                        continue;
                ASSERT_EQ(kcheck_read_page(&k, mfn, got), 0);
                ASSERT_MEMEQ(vmgen_dom0_page(h.g, pfn), got, 4096);
        }
        ASSERT_EQ(excluded > 0, (level & XKD_DL_DOM0_ANY) && (level & XKD_DL_XEN));
        kcheck_close(&k);
        free_host(&h);
}

TEST(dom0_free_pages_only) { dom0_level(XKD_DL_XEN | XKD_DL_DOM0_FREE); }
TEST(dom0_cache_without_private) { dom0_level(XKD_DL_XEN | XKD_DL_DOM0_CACHE); }
TEST(dom0_all_types_like_d31) { dom0_level(XKD_DL_MAX); }
TEST(dom0_types_ignored_without_xen_bit) { dom0_level(XKD_DL_DOM0_ANY | XKD_DL_ZERO); }

TEST_MAIN()
