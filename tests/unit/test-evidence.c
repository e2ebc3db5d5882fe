/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The evidence beside every dump: report.txt, report.json, dom0's whole
 * kernel log (dmesg.txt) and Xen's whole console ring (xen-console.txt),
 * from the native collection and from `--evidence DIR` (the makedumpfile and
 * ssh paths), 0600 in a 0700 directory, control bytes made harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-run.h"
#include "collect-host.h"
#include "evidence.h"
#include "json-mini.h"
#include "save.h"
#include "test.h"
#include "vmcore-gen.h"

/* A console longer than the report's 32 KiB tail, in a 64 KiB ring; dom0
 * log lines; an escape sequence in each. */
static void write_logs(struct vmgen *g) {
        char line[128];

        vmgen_console_write(g, "(XEN) first console line \x1b[31m red\n");
        for (unsigned i = 0; i < 800; i++) {
                snprintf(line, sizeof(line), "(XEN) filler line %04u so that the ring outgrows the report's tail\n", i);
                vmgen_console_write(g, line);
        }
        vmgen_console_write(g, "(XEN) last console line\n");
        vmgen_dom0_printk(g, 1500000000, "Linux version 6.1.0-vmgen");
        vmgen_dom0_printk(g, 2250001000, "Kernel panic - not syncing: sysrq \x1b]0;title\x07 triggered crash");
}

static void check_logs(const char *dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char *dmesg, *con;

        ASSERT_TRUE(dfd >= 0);
        ASSERT_EQ(mode_of(dir, "report.txt"), 0600);
        ASSERT_EQ(mode_of(dir, "report.json"), 0600);
        ASSERT_EQ(mode_of(dir, XKD_EVIDENCE_DMESG), 0600);
        ASSERT_EQ(mode_of(dir, XKD_EVIDENCE_CONSOLE), 0600);
        dmesg = read_file_text(dfd, XKD_EVIDENCE_DMESG);
        con = read_file_text(dfd, XKD_EVIDENCE_CONSOLE);
        ASSERT_TRUE(dmesg && con);
        ASSERT_CONTAINS(dmesg, "[    1.500000] Linux version 6.1.0-vmgen\n");
        ASSERT_CONTAINS(dmesg, "[    2.250001] Kernel panic - not syncing: sysrq ?]0;title? triggered crash\n");
        /* The whole ring, not the report's tail: the first line is there too. */
        ASSERT_TRUE(strlen(con) > (40u << 10));
        ASSERT_CONTAINS(con, "(XEN) first console line ?[31m red\n");
        ASSERT_CONTAINS(con, "(XEN) last console line\n");
        ASSERT_TRUE(strchr(con, '\x1b') == NULL && strchr(dmesg, '\x1b') == NULL && strchr(dmesg, '\x07') == NULL);
        /* No temporary names left behind. */
        ASSERT_FALSE(exists_at(dir, ".dmesg.txt.tmp"));
        ASSERT_FALSE(exists_at(dir, ".xen-console.txt.tmp"));
        free(dmesg);
        free(con);
        close(dfd);
}

TEST(native_dump_has_the_whole_logs_beside_the_vmcore) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .conring_size = 65536 });
        write_logs(h.g);
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_EQ(mode_of(res.path, "."), 0700);
        ASSERT_EQ(mode_of(res.path, XKD_SAVE_VMCORE), 0600);
        check_logs(res.path);
        free_host(&h);
}

TEST(evidence_only_writes_report_and_logs_and_no_dump) {
        struct host h;
        char dir[160];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .conring_size = 65536 });
        write_logs(h.g);
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);
        snprintf(dir, sizeof(dir), "%s/evidence", h.dir);
        umask(0);       /* the files stay 0600 and the directory 0700 whatever the umask */
        ASSERT_EQ(xkd_evidence_only(h.vmcore, dir), 0);
        umask(022);
        ASSERT_EQ(mode_of(dir, "."), 0700);
        check_logs(dir);
        ASSERT_FALSE(exists_at(dir, XKD_SAVE_VMCORE));
        ASSERT_FALSE(exists_at(dir, XKD_SAVE_VMCORE_PARTIAL));
        ASSERT_TRUE(file_contains(dir, "report.json", "\"format\": \"xen-kdump-report\""));
        free_host(&h);
}

TEST(evidence_only_without_dom0_notes_writes_the_console_and_says_why) {
        struct host h;
        char dir[160];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true });
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);
        snprintf(dir, sizeof(dir), "%s/evidence", h.dir);
        /* dom0 has an empty printk ring here: no dmesg.txt, never an empty or made-up one. */
        ASSERT_EQ(xkd_evidence_only(h.vmcore, dir), 0);
        ASSERT_FALSE(exists_at(dir, XKD_EVIDENCE_DMESG));
        ASSERT_EQ(mode_of(dir, XKD_EVIDENCE_CONSOLE), 0600);
        ASSERT_TRUE(file_contains(dir, "report.json", "dom0.log_tail"));
        free_host(&h);
}

TEST(evidence_only_on_an_unreadable_vmcore_fails_with_a_report) {
        struct host h;
        char dir[160], bad[160];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        snprintf(dir, sizeof(dir), "%s/evidence", h.dir);
        snprintf(bad, sizeof(bad), "%s/no-such-vmcore", h.dir);
        ASSERT_TRUE(xkd_evidence_only(bad, dir) < 0);
        ASSERT_EQ(mode_of(dir, "report.txt"), 0600);
        ASSERT_TRUE(file_contains(dir, "report.json", "could not be read"));
        ASSERT_FALSE(exists_at(dir, XKD_EVIDENCE_DMESG));
        free_host(&h);
}

static char collect_cli[4096], out[8192];
CLI_DEFINE_RUN(collect_run, collect_cli, 0, out)

/* The command line the capture script uses: --evidence, and --prune's usage rules. */
TEST(collector_cli_evidence_and_prune) {
        struct host h;
        char dir[160], dump[200];

        cli_path(collect_cli, sizeof(collect_cli));
        strcpy(strrchr(collect_cli, '/'), "/xen-kdump-collect");
        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .conring_size = 65536 });
        write_logs(h.g);
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);
        snprintf(dir, sizeof(dir), "%s/ev", h.dir);
        ASSERT_EQ(collect_run("--vmcore", h.vmcore, "--evidence", dir, "--quiet", NULL), 0);
        check_logs(dir);
        ASSERT_FALSE(exists_at(dir, XKD_SAVE_VMCORE));

        /* Usage errors: exit 2, one line naming the fix. */
        ASSERT_EQ(collect_run("--evidence", dir, "--output", dir, NULL), 2);
        ASSERT_CONTAINS(out, "--evidence and --prune write none");
        ASSERT_EQ(collect_run("--prune", dir, "--keep", "1", NULL), 2);
        ASSERT_CONTAINS(out, "--prune needs --keep N and --host NAME");
        ASSERT_EQ(collect_run("--prune", dir, "--evidence", dir, NULL), 2);
        ASSERT_EQ(collect_run("--output", dir, "--newest", "x", NULL), 2);
        ASSERT_CONTAINS(out, "--newest only goes with --prune");
        ASSERT_EQ(collect_run("--prune", dir, "--keep", "1", "--host", "h", "--newest", "../x", NULL), 2);

        /* --prune: the rules of save.c, the new dump kept. */
        snprintf(dump, sizeof(dump), "%s/dumps", h.dir);
        mkdir(dump, 0700);
        const char *names[] = { "h-20200101-000000", "h-20210101-000000", "h-20220101-000000" };
        for (size_t i = 0; i < 3; i++) {
                char p[300];
                snprintf(p, sizeof(p), "%s/%s", dump, names[i]);
                mkdir(p, 0700);
                snprintf(p, sizeof(p), "%s/%s/vmcore", dump, names[i]);
                FILE *f = fopen(p, "w");
                ASSERT_TRUE(f != NULL);
                fclose(f);
                snprintf(p, sizeof(p), "%s/%s/" XKD_SAVE_ID, dump, names[i]);
                f = fopen(p, "w");
                ASSERT_TRUE(f != NULL);
                fputs(XKD_SAVE_ID_MAGIC "host h\n", f);
                fclose(f);
        }
        ASSERT_EQ(collect_run("--prune", dump, "--keep", "1", "--host", "h", "--newest", "h-20200101-000000", NULL), 0);
        ASSERT_TRUE(exists_at(dump, "h-20200101-000000"));      /* the new one, though the oldest name */
        ASSERT_FALSE(exists_at(dump, "h-20210101-000000"));
        ASSERT_FALSE(exists_at(dump, "h-20220101-000000"));
        ASSERT_CONTAINS(out, "Deleted old dump");
        free_host(&h);
}

/* An allocator like the capture kernel's overcommit heuristic: nothing
 * larger than its RAM (here 20 MiB) in one piece. */
static size_t granted_max;
static void *small_ram_alloc(size_t n) {
        return n <= granted_max ? malloc(n) : NULL;
}

/* A 64 MiB region leaves the minimal kernel ~45 MiB: the log buffer must not
 * be all or nothing (dmesg.txt was lost there). */
TEST(dom0_log_buffer_shrinks_to_what_memory_grants) {
        size_t size = 0;
        char *buf;

        granted_max = 20u << 20;
        buf = xkd_evidence_log_buffer(small_ram_alloc, &size);
        ASSERT_TRUE(buf != NULL);
        ASSERT_EQ(size, 12u << 20);
        free(buf);
        granted_max = 100u << 20;
        buf = xkd_evidence_log_buffer(small_ram_alloc, &size);
        ASSERT_EQ(size, 48u << 20);
        free(buf);
        granted_max = 1000;
        ASSERT_TRUE(xkd_evidence_log_buffer(small_ram_alloc, &size) == NULL);
}

TEST_MAIN()
