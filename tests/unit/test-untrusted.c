/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vmcore is whatever memory held: hostile offsets, program headers,
 * note counts and strings must neither crash the collector nor let a dump
 * that lacks memory look complete nor reach a terminal raw.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect-host.h"
#include "collect.h"
#include "filter-xen.h"
#include "filter.h"
#include "json-mini.h"
#include "kcheck.h"
#include "report.h"
#include "save.h"
#include "test.h"
#include "vmcore-gen.h"
#include "xen.h"

static int open_gen(struct vmgen *g, struct xkd_vmcore **vm, struct xkd_xen **x) {
        char path[] = "/tmp/xkd-untrusted-XXXXXX";
        int fd = mkstemp(path), r;

        if (fd < 0)
                return -errno;
        close(fd);
        r = vmgen_write(g, path);
        if (r == 0)
                r = xkd_vmcore_open(path, vm);
        unlink(path);
        if (r < 0)
                return r;
        return xkd_xen_open(*vm, x);
}

/* Negative (as Xen's unsigned parser reads them: huge) or oversized offsets:
 * refused, never used to index the page_info bytes (ASan saw a read before
 * the stack buffer in xen-mm.c and the frame reader's page in filter-xen.c). */
static void hostile_offsets(const char *count_text, const char *domain_text) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .dom0 = true, .off_count_text = count_text,
                                                              .off_domain_text = domain_text });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        struct xkd_frame_source src;
        struct xkd_frame_reader *fr = NULL;
        uint64_t ci, owner;

        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_page_info(x, 300, &ci, &owner), -EBADMSG);
        ASSERT_TRUE(xkd_frame_source_from_xen(x, &src, &fr) < 0);
        ASSERT_TRUE(fr == NULL);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(page_info_domain_offset_negative) { hostile_offsets(NULL, "-4"); }
TEST(page_info_domain_offset_minus_two) { hostile_offsets(NULL, "-2"); }
TEST(page_info_count_offset_negative) { hostile_offsets("-8", NULL); }
TEST(page_info_count_offset_huge) { hostile_offsets("18446744073709551615", NULL); }
TEST(page_info_domain_offset_past_the_entry) { hostile_offsets(NULL, "30"); }

/* The whole collection with such a frame table: no crash, Xen filtering refused, dump complete. */
TEST(collect_with_negative_domain_offset_keeps_everything) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .off_domain_text = "-4" });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        free_host(&h);
}

static void assert_marker_says(const char *path, const char *needle) {
        char file[PATH_MAX + 32], text[2048] = "";
        int fd;

        ASSERT_TRUE(exists_at(path, XKD_SAVE_MARKER));
        ASSERT_FALSE(exists_at(path, XKD_SAVE_VMCORE));
        snprintf(file, sizeof(file), "%s/%s", path, XKD_SAVE_MARKER);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(read(fd, text, sizeof(text) - 1) > 0);
        close(fd);
        ASSERT_CONTAINS(text, needle);
}

/* A PT_LOAD whose physical end wraps past 2^64 (or lies above 2^52): its
 * memory cannot be in the dump, so the dump is never called complete. */
static void bad_load(uint64_t paddr, uint64_t size) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        struct kcheck k;
        char file[PATH_MAX + 32];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .extra_loads = { { paddr, size } } });
        o = host_opts(&h);
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        ASSERT_CONTAINS(res.reason, "PT_LOAD");
        ASSERT_CONTAINS(res.reason, "52-bit");
        assert_marker_says(res.path, "wrap past 2^64");
        ASSERT_TRUE(file_contains(res.path, "report.txt", "ram.ranges"));
        snprintf(file, sizeof(file), "%s/%s", res.path, XKD_SAVE_VMCORE_PARTIAL);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_TRUE(k.header.status & KDUMP_INCOMPLETE);
        kcheck_close(&k);
        free_host(&h);
}

TEST(pt_load_wrapping_past_2_64_is_never_complete) { bad_load(UINT64_MAX - 4095, 8192); }
TEST(pt_load_above_52_bits_is_never_complete) { bad_load(UINT64_C(1) << 60, 4096); }

/* More CPU notes than the decoder keeps: the first ones and every other note
 * are still decoded, and the report says how many were left out. */
TEST(more_than_8192_cpu_notes_still_decode_the_rest) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .loadinfo = true, .dom0 = true,
                                                              .extra_core_notes = XKD_XEN_CPUS_MAX + 5 });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        const struct xkd_xen_crash_info *ci;

        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_nr_cpus(x), XKD_XEN_CPUS_MAX);
        ASSERT_EQ(xkd_xen_nr_cpus_ignored(x), 2 + 5);   /* the generator's own 2 CPUs come first */
        ASSERT_EQ(xkd_xen_crash_info(x, &ci), 0);
        ASSERT_TRUE(xkd_xen_info_text(x, XKD_INFO_XEN, &(size_t) { 0 }) != NULL);
        ASSERT_TRUE(xkd_xen_info_text(x, XKD_INFO_DOM0, &(size_t) { 0 }) != NULL);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(many_cpus_collect_is_complete_and_the_report_says_what_was_left_out) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true,
                                                                .extra_core_notes = XKD_XEN_CPUS_MAX });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        int dfd = open(res.path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        char *txt = read_file_text(dfd, "report.txt");
        close(dfd);
        ASSERT_TRUE(txt != NULL);
        ASSERT_CONTAINS(txt, "cpus.all: the dump has 2 more CPU notes");
        ASSERT_TRUE(strstr(txt, "CRASH_INFO note in the dump") == NULL);
        ASSERT_CONTAINS(txt, "  version          4.17");
        free(txt);
        free_host(&h);
}

/* HOSTNAME, Xen's command line and dom0's OSRELEASE come from the crashed
 * machine: report.txt (cat'ed on terminals) shows them with escapes defused. */
TEST(report_strings_from_the_dump_carry_no_terminal_escapes) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;
        char file[PATH_MAX + 32];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) {
                .loadinfo = true, .hostname = "evil\033]2;owned\007host",
                .xen_cmdline = "console=com1 \033[2J\033[31mred", .dom0_osrelease = "6.1\033[8m-hidden\r" });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(file, sizeof(file), "%s/report.txt", res.path);
        int dfd = open(res.path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        char *txt = read_file_text(dfd, "report.txt");
        char *json = read_file_text(dfd, "report.json");
        close(dfd);
        ASSERT_TRUE(txt && json);
        for (const char *p = txt; *p; p++)
                ASSERT_TRUE(*p == '\n' || ((unsigned char) *p >= 0x20 && (unsigned char) *p < 0x7f));
        ASSERT_CONTAINS(txt, "evil?]2;owned?host");
        ASSERT_CONTAINS(txt, "console=com1 ?[2J?[31mred");
        ASSERT_CONTAINS(txt, "dom0 Linux 6.1?[8m-hidden");
        ASSERT_TRUE(strchr(json, '\033') == NULL);
        free(txt);
        free(json);
        free_host(&h);
}

TEST_MAIN()
