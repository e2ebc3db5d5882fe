/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen-kdump test with a fake crash trigger: $XKD_SYSROOT/proc/sysrq-trigger is
 * a regular file, so "crashing" writes 'c' there.  The marker is written before
 * the trigger, nothing is triggered without a loaded image or a confirmation,
 * and after a "reboot" (another boot id) status says COMPLETE, INCOMPLETE or
 * FAILED: no dump, from the dumps the collector really wrote. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-run.h"
#include "collect-host.h"
#include "collect.h"
#include "json-mini.h"
/* The collector's and the loader's headers both name the page size (the same 4096). */
#undef XKD_PAGE_SIZE
#include "loader-fixtures.h"
#include "test-marker.h"
#include "test.h"

static char cli[4096], out[65536], dir[64], kernel[256], initrd[256], trigger[512], bootid[512],
        dumps[256], marker[256];

CLI_DEFINE_RUN(run, cli, 0, out)

/* A fresh simulated host with the image loaded, dumps going to dumps_dir. */
static void host(const char *dumps_dir) {

        cli_path(cli, sizeof(cli));
        sim_host_env("xkd-vtest", dumps_dir, dir, sizeof(dir));
        snprintf(marker, sizeof(marker), "%s/state/test", dir);
        const char *sysroot = fake_sysroot();
        snprintf(trigger, sizeof(trigger), "%s/proc/sysrq-trigger", sysroot);
        write_text(trigger, "");
        snprintf(bootid, sizeof(bootid), "%s/proc/sys/kernel/random/boot_id", sysroot);
        write_text(bootid, "11111111-2222-3333-4444-555555555555\n");
        snprintf(dumps, sizeof(dumps), "%s", dumps_dir);

        snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
        if (write_fake_kernel(kernel) < 0)
                abort();
        snprintf(initrd, sizeof(initrd), "%s/initrd.img", dir);
        write_fake_initrd(initrd);
}

static void reboot(void) {
        write_text(bootid, "99999999-2222-3333-4444-555555555555\n");
}

TEST(refuses_without_image_or_confirmation) {
        struct stat st;
        char d[] = "/tmp/xkd-vtest-dumps-XXXXXX";

        ASSERT_TRUE(mkdtemp(d) != NULL);
        host(d);
        ASSERT_EQ(run("test", "--yes", NULL), 1);
        ASSERT_CONTAINS(out, "No crash image is known to be loaded");
        ASSERT_EQ(access(trigger, F_OK), 0);     /* there, and empty */
        ASSERT_STREQ(test_slurp(trigger), "");
        ASSERT_TRUE(stat(marker, &st) < 0);

        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        /* stdin is not a terminal here: no --yes, no crash. */
        ASSERT_EQ(run("test", NULL), 2);
        ASSERT_CONTAINS(out, "pass --yes");
        ASSERT_EQ(access(trigger, F_OK), 0);     /* there, and empty */
        ASSERT_STREQ(test_slurp(trigger), "");
        ASSERT_TRUE(stat(marker, &st) < 0);
        ASSERT_EQ(run("test", "--bogus", NULL), 2);
}

TEST(marker_then_trigger_then_no_dump_fails) {
        struct stat st;
        char d[] = "/tmp/xkd-vtest-dumps-XXXXXX";

        ASSERT_TRUE(mkdtemp(d) != NULL);
        host(d);
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        ASSERT_EQ(run("test", "--yes", NULL), 0);
        ASSERT_STREQ(test_slurp(trigger), "c");
        ASSERT_EQ(stat(marker, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0600);
        ASSERT_CONTAINS(test_slurp(marker), "BOOT_ID=11111111-2222-3333-4444-555555555555\n");
        /* Same boot: the crash did not happen (the fake trigger). */
        ASSERT_EQ(run("status", NULL), 0);
        ASSERT_CONTAINS(out, "no crash yet in this boot");
        reboot();
        run("status", NULL);
        ASSERT_CONTAINS(out, "FAILED: no dump in ");
        ASSERT_CONTAINS(out, d);
}

TEST(after_reboot_new_dump_complete_old_ones_ignored) {
        struct host h, bad;
        struct xkd_collect_options o;
        struct xkd_collect_result res;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .crashing_cpu = 1 });
        o = host_opts(&h);
        /* An old incomplete dump, there before the test: never the test's. */
        make_host(&bad, 17, FREE_XSA402, (struct vmgen_config) { .no_cpu_notes = true });
        o.vmcore = bad.vmcore;
        o.now = 1795856400;
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        host(h.out);
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        ASSERT_EQ(run("test", "--yes", NULL), 0);
        reboot();
        run("status", NULL);
        ASSERT_CONTAINS(out, "FAILED: no dump");
        /* The capture of the test's crash. */
        o.vmcore = h.vmcore;
        o.now += 3600;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        run("status", NULL);
        ASSERT_CONTAINS(out, "last test ");
        ASSERT_CONTAINS(out, res.path);
        ASSERT_CONTAINS(out, " COMPLETE");
        ASSERT_FALSE(strstr(out, "INCOMPLETE"));
        run("status", "--json", NULL);
        ASSERT_CONTAINS(out, "\"last_test\":\"last test ");
        struct json *j = json_parse(out);
        ASSERT_TRUE(j != NULL);
        ASSERT_CONTAINS(json_get_string(j, "last_test"), " COMPLETE");
        json_free(j);
        free_host(&bad);
        free_host(&h);
}

TEST(remote_target_is_not_checked_here) {
        char d[] = "/tmp/xkd-vtest-dumps-XXXXXX", p[512];

        ASSERT_TRUE(mkdtemp(d) != NULL);
        host(d);
        snprintf(p, sizeof(p), "%s/xen-kdump.conf", dir);
        write_text(p, "target nfs nas.example:/export/crash\n");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        ASSERT_EQ(run("test", "--yes", NULL), 0);
        ASSERT_STREQ(test_slurp(trigger), "c");
        ASSERT_CONTAINS(test_slurp(marker), "DIR=remote:nfs nas.example:/export/crash\n");
        reboot();
        run("status", NULL);
        ASSERT_CONTAINS(out, "the dump went to nfs nas.example:/export/crash: check it there");
}

TEST(evaluate_rules) {
        struct xkd_test_marker m = { .time = 1795856400, .boot_id = "A", .dir = "/var/crash" };
        struct xkd_dump d[3] = {};
        struct xkd_test_result r;
        char line[1024];

        strcpy(d[0].name, "h-20261201-000000");
        d[0].state = XKD_DUMP_COMPLETE;
        ASSERT_EQ(xkd_test_marker_set_before(&m, d, 1), 0);
        xkd_test_evaluate(&m, "A", d, 1, &r);
        ASSERT_EQ(r.outcome, XKD_TEST_PENDING);
        xkd_test_evaluate(&m, "B", d, 1, &r);
        ASSERT_EQ(r.outcome, XKD_TEST_NO_DUMP);
        xkd_test_describe(&m, &r, line, sizeof(line));
        ASSERT_STREQ(line, "last test 2026-11-28 09:00:00 UTC: FAILED: no dump in /var/crash");
        strcpy(d[1].name, "h-20261205-030000");
        d[1].state = XKD_DUMP_INCOMPLETE;
        strcpy(d[1].why, "INCOMPLETE marker: disk full");
        strcpy(d[2].name, "h-20261206-030000");
        d[2].state = XKD_DUMP_COMPLETE;
        xkd_test_evaluate(&m, "B", d, 3, &r);
        ASSERT_EQ(r.outcome, XKD_TEST_INCOMPLETE);   /* the first new one, not a later crash's */
        ASSERT_STREQ(r.dump, "h-20261205-030000");
        xkd_test_describe(&m, &r, line, sizeof(line));
        ASSERT_STREQ(line, "last test 2026-11-28 09:00:00 UTC: dump /var/crash/h-20261205-030000 INCOMPLETE "
                           "(INCOMPLETE marker: disk full)");
        xkd_test_evaluate(&m, "", d + 2, 1, &r);       /* boot id unknown: a new dump still counts */
        ASSERT_EQ(r.outcome, XKD_TEST_COMPLETE);
        xkd_test_marker_free(&m);
}
TEST_MAIN()
