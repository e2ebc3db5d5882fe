/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-mini.h"
#include "report.h"
#include "test.h"
#include "vmcore-gen.h"

struct run {
        char dir[64];
        int dirfd;
        char *txt;
        struct json *json;
};

static void run_done(struct run *r) {
        if (r->dirfd >= 0) {
                unlinkat(r->dirfd, "report.txt", 0);
                unlinkat(r->dirfd, "report.json", 0);
                unlinkat(r->dirfd, "vmcore", 0);
                close(r->dirfd);
                rmdir(r->dir);
        }
        free(r->txt);
        json_free(r->json);
}

/* Writes g's vmcore (cut to truncate_to bytes if non-zero), reports on it,
 * and reads both files back.  Returns the report's return value. */
static int run_report(struct vmgen *g, off_t truncate_to, struct run *r) {
        char path[128];
        struct xkd_vmcore *vm = NULL;
        int ret;

        strcpy(r->dir, "/tmp/xkd-report-XXXXXX");
        if (!mkdtemp(r->dir))
                return -errno;
        r->dirfd = open(r->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "%s/vmcore", r->dir);
        ret = vmgen_write(g, path);
        if (ret < 0)
                return ret;
        if (truncate_to && truncate(path, truncate_to) < 0)
                return -errno;
        ret = xkd_vmcore_open(path, &vm);
        if (ret < 0)
                ret = xkd_report_write_unreadable(r->dirfd, path, ret);
        else
                ret = xkd_report_write(vm, r->dirfd);
        xkd_vmcore_free(vm);
        r->txt = read_file_text(r->dirfd, "report.txt");
        char *j = read_file_text(r->dirfd, "report.json");
        r->json = j ? json_parse(j) : NULL;
        free(j);
        return ret;
}

static char hex[32];
static const char *hexs(uint64_t v) {
        snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long) v);
        return hex;
}

TEST(report_fields_match_what_the_generator_wrote) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) {
                .nr_cpus = 3, .crashing_cpu = 1, .dom0 = true, .loadinfo = true, .tainted = 0x3,
                .extra_version = ".7", .changeset = "cs-42", .compiler = "gcc-test", .compile_date = "Fri Nov 27",
                .compile_time = "11:22:33",
        });
        struct run r = { .dirfd = -1 };
        struct stat st;
        double num;

        uint64_t d5 = vmgen_add_domain(g, 5);
        for (uint64_t m = 400; m < 407; m++)
                vmgen_set_page_info(g, m, 0, d5);
        vmgen_cpu(g, 2)->regs.rip = 0xffff82d040abcdef;
        vmgen_cpu_run(g, 1, vmgen_dom0_domain(g), 1);
        vmgen_cpu(g, 0)->cr3 = 0x1234000;
        vmgen_dom0_printk(g, 1500000000, "Linux version 6.1.0-vmgen");
        vmgen_dom0_printk(g, 2250001000, "Kernel panic - not syncing: sysrq triggered crash");
        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_TRUE(r.json != NULL);
        ASSERT_TRUE(fstatat(r.dirfd, "report.json", &st, 0) == 0 && (st.st_mode & 0777) == 0600);
        ASSERT_TRUE(fstatat(r.dirfd, "report.txt", &st, 0) == 0 && (st.st_mode & 0777) == 0600);
        ASSERT_STREQ(json_get_string(r.json, "xen.version"), "4.17.7");
        ASSERT_STREQ(json_get_string(r.json, "xen.changeset"), "cs-42");
        ASSERT_STREQ(json_get_string(r.json, "xen.compiler"), "gcc-test");
        ASSERT_STREQ(json_get_string(r.json, "xen.compile_date"), "Fri Nov 27");
        ASSERT_STREQ(json_get_string(r.json, "xen.compile_time"), "11:22:33");
        ASSERT_STREQ(json_get_string(r.json, "xen.tainted_string"), "Tainted: MC");
        ASSERT_CONTAINS(json_get_string(r.json, "xen.tainted_flags[1]"), "machine check");
        ASSERT_STREQ(json_get_string(r.json, "load.hostname"), "vmgen-host");
        ASSERT_TRUE(json_get_number(r.json, "crash.crashing_cpu", &num));
        ASSERT_EQ(num, 1);
        ASSERT_CONTAINS(json_get_string(r.json, "crash.reason"), "Hardware Dom0 crashed");
        ASSERT_TRUE(json_get(r.json, "cpus[1].crashing")->boolean);
        ASSERT_FALSE(json_get(r.json, "cpus[2].crashing")->boolean);
        ASSERT_STREQ(json_get_string(r.json, "cpus[2].rip"), hexs(0xffff82d040abcdef));
        ASSERT_STREQ(json_get_string(r.json, "cpus[1].running"), "d0v1");
        ASSERT_STREQ(json_get_string(r.json, "cpus[0].running"), "idle");
        ASSERT_STREQ(json_get_string(r.json, "cpus[0].cr3"), hexs(0x1234000));
        ASSERT_STREQ(json_get_string(r.json, "cpus[1].rsp"), hexs(vmgen_cpu(g, 1)->regs.rsp));
        ASSERT_TRUE(json_get_number(r.json, "domains[0].id", &num));
        ASSERT_EQ(num, 0);
        ASSERT_TRUE(json_get_number(r.json, "domains[0].owned_pages", &num));
        ASSERT_TRUE(num >= 64);
        ASSERT_TRUE(json_get_number(r.json, "domains[1].id", &num));
        ASSERT_EQ(num, 5);
        ASSERT_TRUE(json_get_number(r.json, "domains[1].owned_pages", &num));
        ASSERT_EQ(num, 7);
        ASSERT_STREQ(json_get_string(r.json, "domains[1].address"), hexs(d5));
        ASSERT_TRUE(json_is_null(r.json, "domains[1].state"));
        ASSERT_CONTAINS(json_member(json_get(r.json, "missing"), "domains.state")->string, "VMCOREINFO_XEN");
        ASSERT_CONTAINS(json_get_string(r.json, "xen_console_tail"), "Executing kexec image on cpu1");
        ASSERT_CONTAINS(json_get_string(r.json, "dom0.log_tail"),
                        "[    1.500000] Linux version 6.1.0-vmgen\n[    2.250001] Kernel panic - not syncing");
        ASSERT_STREQ(json_get_string(r.json, "dom0.osrelease"), "6.1.0-vmgen-amd64");
        ASSERT_STREQ(json_get_string(r.json, "crash.dom0_panic"), "Kernel panic - not syncing: sysrq triggered crash");
        ASSERT_CONTAINS(r.txt, "CPU1   <== crashing CPU");
        ASSERT_CONTAINS(r.txt, "4.17.7");
        ASSERT_CONTAINS(r.txt, "dom5");
        run_done(&r);
        vmgen_free(g);
}

TEST(missing_notes_are_reported_with_reasons) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) {
                .no_crash_info = true, .no_vmcoreinfo_xen = true, .nr_cpus = 2, .crashing_cpu = 1,
        });
        struct run r = { .dirfd = -1 };
        double num;

        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_TRUE(r.json != NULL);
        const struct json *missing = json_get(r.json, "missing");
        ASSERT_TRUE(json_is_null(r.json, "xen"));
        ASSERT_CONTAINS(json_member(missing, "xen")->string, "CRASH_INFO");
        ASSERT_TRUE(json_member(missing, "domains") != NULL);
        ASSERT_CONTAINS(json_member(missing, "xen_console_tail")->string, "conring");
        ASSERT_CONTAINS(json_member(missing, "load")->string, "XEN_KDUMP");
        ASSERT_CONTAINS(json_member(missing, "dom0")->string, "VMCOREINFO");
        ASSERT_TRUE(json_is_null(r.json, "crash.reason"));
        /* Without the console the crashing CPU is not known; the stacks only hint at it. */
        ASSERT_TRUE(json_is_null(r.json, "crash.crashing_cpu"));
        ASSERT_CONTAINS(json_member(missing, "crash.crashing_cpu")->string, "console");
        ASSERT_TRUE(json_get_number(r.json, "crash.crashing_cpu_hint", &num));
        ASSERT_EQ(num, 1);
        ASSERT_CONTAINS(json_get_string(r.json, "crash.crashing_cpu_hint_basis"), "not proof");
        ASSERT_TRUE(json_is_null(r.json, "cpus[1].crashing"));
        ASSERT_CONTAINS(r.txt, "(missing: no \"Xen\" CRASH_INFO note");
        run_done(&r);
        vmgen_free(g);
}

TEST(truncated_vmcore_still_gets_a_report_that_says_so) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .dom0 = true, .loadinfo = true });
        struct run r = { .dirfd = -1 };

        vmgen_add_domain(g, 3);
        /* Keep the headers and notes and the Xen image, lose the top of RAM (the heap). */
        ASSERT_EQ(run_report(g, 5u << 20, &r), 0);
        ASSERT_TRUE(r.json != NULL);
        ASSERT_TRUE(json_get(r.json, "vmcore.truncated")->boolean);
        ASSERT_STREQ(json_get_string(r.json, "xen.version"), "4.17.7");
        const struct json *missing = json_get(r.json, "missing");
        ASSERT_TRUE(json_member(missing, "xen_console_tail") != NULL);
        ASSERT_CONTAINS(json_member(missing, "xen_console_tail")->string, "truncated");
        ASSERT_CONTAINS(r.txt, "WARNING: the vmcore is truncated");
        run_done(&r);
        vmgen_free(g);
}

TEST(vmcore_cut_inside_its_headers_gets_an_unreadable_report) {
        struct vmgen *g = vmgen_new(NULL);
        struct run r = { .dirfd = -1 };

        ASSERT_EQ(run_report(g, 40, &r), 0);
        ASSERT_TRUE(r.json != NULL);
        ASSERT_TRUE(json_is_null(r.json, "vmcore"));
        ASSERT_CONTAINS(json_member(json_get(r.json, "missing"), "vmcore")->string, "could not be read");
        ASSERT_CONTAINS(r.txt, "could not be read");
        run_done(&r);
        vmgen_free(g);
}

TEST(crash_time_and_panic_reason_from_the_console_ring) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .loadinfo = true, .no_console_message = true });
        struct run r = { .dirfd = -1 };

        vmgen_console_write(g, "(XEN) [2026-11-28 07:59:59.100] ****************************************\n"
                               "(XEN) [2026-11-28 07:59:59.100] Panic on CPU 1:\n"
                               "(XEN) [2026-11-28 07:59:59.100] FATAL PAGE FAULT\n"
                               "(XEN) [2026-11-28 07:59:59.100] ****************************************\n"
                               "(XEN) [2026-11-28 07:59:59.200] Executing kexec image on cpu1\n");
        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_STREQ(json_get_string(r.json, "crash.time"), "2026-11-28 07:59:59.200");
        ASSERT_CONTAINS(json_get_string(r.json, "crash.reason"), "Xen panic");
        ASSERT_STREQ(json_get_string(r.json, "crash.reason"), "Xen panic: FATAL PAGE FAULT");
        run_done(&r);
        vmgen_free(g);
}

TEST(strings_with_quotes_and_control_bytes_stay_valid_json) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) {
                .compiler = "gcc \"12\" \\ x\x01\x7f", .extra_version = "-rc\t1", .loadinfo = true,
        });
        struct run r = { .dirfd = -1 };

        vmgen_console_write(g, "(XEN) odd \"line\" \\ with \x1b[31m escapes\n");
        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_TRUE(r.json != NULL);
        ASSERT_STREQ(json_get_string(r.json, "xen.compiler"), "gcc \"12\" \\ x??");
        ASSERT_STREQ(json_get_string(r.json, "xen.extra_version"), "-rc?1");
        ASSERT_CONTAINS(json_get_string(r.json, "xen_console_tail"), "odd \"line\" \\ with ?[31m escapes");
        run_done(&r);
        vmgen_free(g);
}

TEST(dump_outcome_section) {
        struct vmgen *g = vmgen_new(NULL);
        char dir[] = "/tmp/xkd-report-XXXXXX", path[64];
        struct xkd_vmcore *vm = NULL;
        double num;

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "%s/vmcore", dir);
        ASSERT_EQ(vmgen_write(g, path), 0);
        ASSERT_EQ(xkd_vmcore_open(path, &vm), 0);
        const struct xkd_report_dump d = {
                .file = "vmcore.incomplete", .status = "incomplete: ENOSPC", .engine = "xen-kdump",
                .level = 33, .bytes = 12345, .seconds = 1.5,
        };
        ASSERT_EQ(xkd_report_write_with_dump(vm, dfd, &d), 0);
        char *text = read_file_text(dfd, "report.json");
        struct json *j = text ? json_parse(text) : NULL;
        ASSERT_TRUE(j != NULL);
        ASSERT_STREQ(json_get_string(j, "dump.status"), "incomplete: ENOSPC");
        ASSERT_STREQ(json_get_string(j, "dump.file"), "vmcore.incomplete");
        ASSERT_TRUE(json_get_number(j, "dump.bytes", &num));
        ASSERT_EQ(num, 12345);
        char *txt = read_file_text(dfd, "report.txt");
        ASSERT_CONTAINS(txt, "incomplete: ENOSPC");
        free(txt);
        free(text);
        json_free(j);
        xkd_vmcore_free(vm);
        unlinkat(dfd, "report.txt", 0);
        unlinkat(dfd, "report.json", 0);
        unlinkat(dfd, "vmcore", 0);
        close(dfd);
        rmdir(dir);
        vmgen_free(g);
}

TEST(broken_domain_list_is_reported_not_hidden) {
        struct vmgen *g = vmgen_new(NULL);
        struct run r = { .dirfd = -1 };
        uint64_t bad = XKD_XEN_DIRECTMAP_START + (UINT64_C(1) << 40);

        vmgen_add_domain(g, 0);
        uint64_t d4 = vmgen_add_domain(g, 4);
        vmgen_write_maddr(g, d4 - XKD_XEN_DIRECTMAP_START + 136, &bad, 8);
        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_EQ(json_get(r.json, "domains")->n, 2);
        ASSERT_CONTAINS(json_member(json_get(r.json, "missing"), "domains.complete")->string, "ends at dom4");
        run_done(&r);
        vmgen_free(g);
}

TEST(crash_time_since_boot) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .loadinfo = true, .no_console_message = true });
        struct run r = { .dirfd = -1 };

        vmgen_console_write(g, "(XEN) [   15.560000] Executing kexec image on cpu0\n");
        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_STREQ(json_get_string(r.json, "crash.time"), "15.560000");
        ASSERT_CONTAINS(json_get_string(r.json, "crash.time_source"), "since Xen booted");
        run_done(&r);
        vmgen_free(g);
}

TEST(crash_reason_dom0_watchdog) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .loadinfo = true, .no_console_message = true });
        struct run r = { .dirfd = -1 };
        double num;

        vmgen_console_write(g, "(XEN) Watchdog timer fired for domain 0\n"
                               "(XEN) Hardware Dom0 shutdown: watchdog rebooting machine\n"
                               "(XEN) Executing kexec image on cpu0\n");
        ASSERT_EQ(run_report(g, 0, &r), 0);
        ASSERT_STREQ(json_get_string(r.json, "crash.reason"), "Hardware Dom0 shutdown: watchdog rebooting machine");
        ASSERT_TRUE(json_get_number(r.json, "crash.crashing_cpu", &num));
        ASSERT_EQ(num, 0);
        ASSERT_TRUE(json_is_null(r.json, "crash.time"));
        run_done(&r);
        vmgen_free(g);
}

TEST(dom0_log_keeps_the_newest_records_across_id_wrap) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .dom0 = true });
        struct run r = { .dirfd = -1 };
        char line[64];

        for (unsigned i = 0; i < 40; i++) {
                snprintf(line, sizeof(line), "message number %02u", i);
                vmgen_dom0_printk(g, (uint64_t) i * 1000000000, line);
        }
        ASSERT_EQ(run_report(g, 0, &r), 0);
        const char *log = json_get_string(r.json, "dom0.log_tail");
        ASSERT_TRUE(log != NULL);
        /* 16 descriptors: records 24..39 survive, in order. */
        ASSERT_CONTAINS(log, "[   24.000000] message number 24\n[   25.000000] message number 25\n");
        ASSERT_CONTAINS(log, "message number 39\n");
        ASSERT_TRUE(strstr(log, "message number 23") == NULL);
        run_done(&r);
        vmgen_free(g);
}

TEST_MAIN()
