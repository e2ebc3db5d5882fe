/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated hypervisor: Xen's load rules with Xen's errno, segment
 * copies with zeroed tails, image replaced only on success, the status bug;
 * and the loader's pre-flight check refusing each rule before any hypercall. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>

#include "hv.h"
#include "kexec-rules.h"
#include "loader-fixtures.h"
#include "log.h"
#include "test.h"

#define R0 FAKE_CRASH_START
static const struct xkd_range crash = { FAKE_CRASH_START, FAKE_CRASH_SIZE };
static uint8_t data[3][8192];

static xkd_hv *sim(void) {
        xkd_hv *hv = NULL;
        if (xkd_hv_new_sim_from_string(fake_host_config, &hv) < 0)
                abort();
        return hv;
}

/* A valid three-segment image (plus a buffer-less low-memory mapping). */
static unsigned good(struct xkd_segment *s) {
        for (int i = 0; i < 3; i++)
                for (int j = 0; j < 8192; j++)
                        data[i][j] = (uint8_t) (i * 40 + j);
        s[0] = (struct xkd_segment) { data[0], 8192, R0, 0x4000 };
        s[1] = (struct xkd_segment) { data[1], 5000, R0 + 0x10000, 0x2000 };
        s[2] = (struct xkd_segment) { data[2], 100, R0 + 0x20000, 0x1000 };
        s[3] = (struct xkd_segment) { NULL, 0, 0, 0x100000 };
        return 4;
}

/* Apply one violation, check both the pre-flight check and the simulator refuse it. */
static void refused(void (*mutate)(struct xkd_segment *, unsigned *, uint64_t *, uint16_t *), int sim_errno) {
        struct xkd_segment s[20];
        unsigned n = good(s);
        uint64_t entry = R0;
        uint16_t arch = EM_X86_64;
        xkd_hv *hv = sim();

        mutate(s, &n, &entry, &arch);
        ASSERT_TRUE(xkd_kexec_rules_check(XKD_KEXEC_TYPE_CRASH, arch, entry, &crash, s, n) < 0);
        ASSERT_EQ(xkd_hv_sim_hypercalls(hv), 0);
        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, arch, entry, s, n), sim_errno);
        ASSERT_EQ(xkd_hv_sim_loaded(hv, XKD_KEXEC_TYPE_CRASH), 0);
        xkd_hv_free(hv);
}

static void too_many(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) {
        (void) e; (void) a;
        for (unsigned i = 0; i < 16; i++)
                s[i] = (struct xkd_segment) { data[0], 10, R0 + 0x100000 + i * 0x1000ULL, 0x1000 };
        *n = 16;
}
static void dest_unaligned(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) n; (void) e; (void) a; s[1].dest_maddr += 0x10; }
static void end_unaligned(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) n; (void) e; (void) a; s[1].dest_size = 0x1800; s[1].buf_size = 100; }
static void overlap(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) n; (void) e; (void) a; s[1].dest_maddr = R0 + 0x2000; }
static void overlap_bufferless(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) e; (void) a; s[(*n)++] = (struct xkd_segment) { NULL, 0, R0 + 0x20000, 0x1000 }; }
static void buf_too_big(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) n; (void) e; (void) a; s[2].buf_size = 0x1001; }
static void entry_outside(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) s; (void) n; (void) a; *e = R0 - 0x1000; }
static void seg_outside(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) n; (void) e; (void) a; s[2].dest_maddr = R0 + FAKE_CRASH_SIZE - 0x1000; s[2].dest_size = 0x2000; }
static void seg_below(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) n; (void) e; (void) a; s[2].dest_maddr = 0x200000; }
static void bad_arch(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) { (void) s; (void) n; (void) e; *a = EM_AARCH64; }
static void region_full(struct xkd_segment *s, unsigned *n, uint64_t *e, uint16_t *a) {
        (void) e; (void) a;
        /* Cover all but 8 pages: fewer than Xen's control page + page tables. */
        s[0] = (struct xkd_segment) { data[0], 8192, R0, FAKE_CRASH_SIZE - 8 * 4096 };
        s[1] = (struct xkd_segment) { data[1], 100, R0 + FAKE_CRASH_SIZE - 8 * 4096, 0x1000 };
        *n = 2;
}

TEST(rule_at_most_15_segments) { refused(too_many, -EINVAL); }
TEST(rule_dest_page_aligned) { refused(dest_unaligned, -EADDRNOTAVAIL); }
TEST(rule_dest_end_page_aligned) { refused(end_unaligned, -EADDRNOTAVAIL); }
TEST(rule_no_overlap) { refused(overlap, -EINVAL); }
TEST(rule_no_overlap_with_bufferless) { refused(overlap_bufferless, -EINVAL); }
TEST(rule_buf_size_le_dest_size) { refused(buf_too_big, -EINVAL); }
TEST(rule_entry_inside_region) { refused(entry_outside, -EADDRNOTAVAIL); }
TEST(rule_buffered_segment_inside_region) { refused(seg_outside, -EADDRNOTAVAIL); }
TEST(rule_buffered_segment_not_below_region) { refused(seg_below, -EADDRNOTAVAIL); }
TEST(rule_arch) { refused(bad_arch, -EINVAL); }
TEST(rule_room_for_xen_pages) { refused(region_full, -ENOMEM); }

TEST(good_image_copied_with_zeroed_tails) {
        struct xkd_segment s[8];
        unsigned n = good(s);
        uint8_t buf[0x2000];
        xkd_hv *hv = sim();

        ASSERT_EQ(xkd_kexec_rules_check(XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, &crash, s, n), 0);
        /* Stale bytes where the tail goes: the load must zero them. */
        memset(buf, 0xee, sizeof(buf));
        ASSERT_EQ(xkd_hv_sim_write(hv, R0 + 0x10000, buf, sizeof(buf)), 0);
        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, s, n), 0);
        ASSERT_EQ(xkd_hv_sim_loaded(hv, XKD_KEXEC_TYPE_CRASH), 1);
        ASSERT_TRUE(xkd_hv_sim_carved_pages(hv) >= 3);
        ASSERT_EQ(xkd_hv_sim_read(hv, R0 + 0x10000, buf, 0x2000), 0);
        ASSERT_MEMEQ(buf, data[1], 5000);
        for (int i = 5000; i < 0x2000; i++)
                if (buf[i])
                        TEST_FAIL_("tail byte %d is 0x%x, not zeroed", i, buf[i]);
        xkd_hv_free(hv);
}

TEST(failed_load_keeps_previous_image) {
        struct xkd_segment s[8];
        unsigned n = good(s);
        uint8_t buf[64];
        xkd_hv *hv = sim();

        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, s, n), 0);
        s[0].buf = data[2];
        s[1].dest_maddr += 1;   /* makes the second load fail */
        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, s, n), -EADDRNOTAVAIL);
        ASSERT_EQ(xkd_hv_sim_loaded(hv, XKD_KEXEC_TYPE_CRASH), 1);
        /* Refused by kimage_alloc()'s checks, before Xen wrote anything. */
        ASSERT_EQ(xkd_hv_sim_clobbered(hv), 0);
        ASSERT_EQ(xkd_hv_sim_read(hv, R0, buf, sizeof(buf)), 0);
        ASSERT_MEMEQ(buf, data[0], sizeof(buf));
        xkd_hv_free(hv);
}

TEST(status_op_flips_like_xen) {
        /* Measured on Xen 4.17.7: load, unload, unload, load, load, load, unload, unload. */
        static const struct { char op; int status; } seq[] = {
                { 'L', 1 }, { 'U', 0 }, { 'U', 1 }, { 'L', 0 }, { 'L', 1 }, { 'L', 0 }, { 'U', 1 }, { 'U', 0 },
        };
        struct xkd_segment s[8];
        unsigned n = good(s);
        xkd_hv *hv = sim();

        ASSERT_EQ(xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH), 0);
        for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
                if (seq[i].op == 'L')
                        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, s, n), 0);
                else
                        ASSERT_EQ(xkd_hv_unload(hv, XKD_KEXEC_TYPE_CRASH), 0);
                ASSERT_EQ(xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH), seq[i].status);
                ASSERT_EQ(xkd_hv_sim_loaded(hv, XKD_KEXEC_TYPE_CRASH), seq[i].op == 'L');
        }
        xkd_hv_free(hv);
}

TEST(sim_reports_host_facts) {
        struct xkd_range r;
        struct xkd_e820 map[XKD_MAX_E820];
        unsigned n, cpus, major, minor;
        char line[1024];
        xkd_hv *hv = sim();

        ASSERT_EQ(xkd_hv_get_crash_range(hv, &r), 0);
        ASSERT_U64_EQ(r.start, FAKE_CRASH_START);
        ASSERT_EQ(xkd_hv_nr_cpus(hv, &cpus), 0);
        ASSERT_EQ(cpus, 2);
        ASSERT_EQ(xkd_hv_get_cpu_note(hv, 1, &r), 0);
        ASSERT_U64_EQ(r.start, FAKE_CPU_NOTES + 4096);
        ASSERT_EQ(xkd_hv_get_cpu_note(hv, 2, &r), -ERANGE);
        ASSERT_EQ(xkd_hv_memory_map(hv, map, XKD_MAX_E820, &n), 0);
        ASSERT_EQ(n, 8);
        ASSERT_EQ(xkd_hv_xen_cmdline(hv, line, sizeof(line)), 0);
        ASSERT_CONTAINS(line, "com1=115200");
        ASSERT_EQ(xkd_hv_xen_version(hv, &major, &minor), 0);
        ASSERT_EQ(major * 100 + minor, 417);
        xkd_hv_free(hv);
}

TEST(bad_sim_config_refused) {
        xkd_hv *hv = NULL;
        ASSERT_EQ(xkd_hv_new_sim_from_string("crash 1 2\nbogus line\n", &hv), -EINVAL);
        ASSERT_TRUE(hv == NULL);
}

TEST(check_dom0) {
        char root[] = "/tmp/xkd-dom0-XXXXXX", p[256];

        ASSERT_TRUE(mkdtemp(root) != NULL);
        ASSERT_EQ(xkd_hv_check_dom0(root), -ENODEV);                    /* no Xen at all */
        snprintf(p, sizeof(p), "%s/proc/xen/capabilities", root);
        write_text(p, "\n");
        ASSERT_EQ(xkd_hv_check_dom0(root), -EPERM);                     /* a domU */
        write_text(p, "control_d\n");
        ASSERT_EQ(xkd_hv_check_dom0(root), -ENODEV);                    /* no privcmd */
        snprintf(p, sizeof(p), "%s/dev/xen/privcmd", root);
        write_text(p, "");
        ASSERT_EQ(xkd_hv_check_dom0(root), 0);
}

TEST(carve_estimate_grows_with_segments) {
        struct xkd_segment one = { NULL, 0, 0x40000000, 0x1000 };
        struct xkd_segment big = { NULL, 0, 0x40000000, 64 << 20 };
        ASSERT_TRUE(xkd_xen_carve_pages(&big, 1) >= xkd_xen_carve_pages(&one, 1) + 31);
}

/*
 * Xen writes into the crash region before it can fail (hv-sim-load.c: control
 * pages, segment copies, then the architecture check and the slot swap):
 * each failure after that point leaves the old image armed but overwritten.
 */
/* Load the good image, then (with the failure inject, if any) try second
 * (n2 segments) and expect err with the old image armed but clobbered. */
static void old_image_overwritten(xkd_hv *hv, const char *inject, struct xkd_segment *second, unsigned n2, uint16_t arch, int err) {
        struct xkd_segment s[8];
        unsigned n = good(s);
        unsigned status;

        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, s, n), 0);
        ASSERT_EQ(xkd_hv_sim_clobbered(hv), 0);
        if (inject)
                ASSERT_EQ(xkd_hv_sim_configure(hv, inject), 0);
        status = (unsigned) xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, arch, R0, second, n2), err);
        /* Still in its slot (Xen swaps only on success; the status op did not flip)... */
        ASSERT_EQ(xkd_hv_sim_loaded(hv, XKD_KEXEC_TYPE_CRASH), 1);
        ASSERT_EQ((unsigned) xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH), status);
        /* ...but no longer what was loaded. */
        ASSERT_EQ(xkd_hv_sim_clobbered(hv), 1);
        /* An unload disarms it. */
        ASSERT_EQ(xkd_hv_unload(hv, XKD_KEXEC_TYPE_CRASH), 0);
        ASSERT_EQ(xkd_hv_sim_clobbered(hv), 0);
}

TEST(failure_taking_control_pages_clears_old_image_pages) {
        /* Three free pages: the control code page, the L4 and an L3 fit, the L2 does not. */
        struct xkd_segment b[2] = {
                { data[2], 100, R0, 0x4000 },
                { data[2], 100, R0 + 0x7000, FAKE_CRASH_SIZE - 0x7000 },
        };
        xkd_hv *hv = sim();
        old_image_overwritten(hv, NULL, b, 2, EM_X86_64, -ENOMEM);
        xkd_hv_free(hv);
}

TEST(failure_mapping_segments_after_copying_them) {
        /* Room for the control pages, not for the page tables of a 256 MiB segment. */
        struct xkd_segment b[2] = {
                { data[2], 8192, R0, 0x4000 },
                { data[1], 100, R0 + 0x10000, FAKE_CRASH_SIZE - 0x10000 },
        };
        uint8_t buf[64];
        xkd_hv *hv = sim();
        old_image_overwritten(hv, NULL, b, 2, EM_X86_64, -ENOMEM);
        /* The first segment was copied over the old image's first segment. */
        ASSERT_EQ(xkd_hv_sim_read(hv, R0, buf, sizeof(buf)), 0);
        ASSERT_MEMEQ(buf, data[2], sizeof(buf));
        xkd_hv_free(hv);
}

TEST(failure_copying_a_segment) {
        struct xkd_segment b[8];
        unsigned n = good(b);
        xkd_hv *hv = sim();
        old_image_overwritten(hv, "fail copy 14", b, n, EM_X86_64, -EFAULT);  /* a guest buffer Xen cannot read */
        xkd_hv_free(hv);
}

TEST(failure_at_arch_check_after_the_copy) {
        /* The very same segments: Xen still cleared the old image's control
         * pages (its jump code and page tables) before machine_kexec_load(). */
        struct xkd_segment b[8];
        unsigned n = good(b);
        xkd_hv *hv = sim();
        old_image_overwritten(hv, NULL, b, n, EM_AARCH64, -EINVAL);
        xkd_hv_free(hv);
}

TEST(failure_at_slot_swap) {
        struct xkd_segment b[8];
        unsigned n = good(b);
        uint8_t buf[64];
        b[0].buf = data[2];
        xkd_hv *hv = sim();
        old_image_overwritten(hv, "fail swap 16", b, n, EM_X86_64, -EBUSY);   /* a kexec in progress */
        ASSERT_EQ(xkd_hv_sim_read(hv, R0, buf, sizeof(buf)), 0);
        ASSERT_MEMEQ(buf, data[2], sizeof(buf));
        /* The injection is used up: the next load succeeds and is intact. */
        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_X86_64, R0, b, n), 0);
        ASSERT_EQ(xkd_hv_sim_clobbered(hv), 0);
        xkd_hv_free(hv);
}

TEST(failure_with_nothing_loaded_clobbers_nothing) {
        struct xkd_segment b[8];
        unsigned n = good(b);
        xkd_hv *hv = sim();
        ASSERT_EQ(xkd_hv_load(hv, XKD_KEXEC_TYPE_CRASH, EM_AARCH64, R0, b, n), -EINVAL);
        ASSERT_EQ(xkd_hv_sim_loaded(hv, XKD_KEXEC_TYPE_CRASH), 0);
        ASSERT_EQ(xkd_hv_sim_clobbered(hv), 0);
        xkd_hv_free(hv);
}

TEST(bad_fail_directive_refused) {
        xkd_hv *hv = NULL;
        ASSERT_EQ(xkd_hv_new_sim_from_string("fail later 5\n", &hv), -EINVAL);
        ASSERT_EQ(xkd_hv_new_sim_from_string("fail swap\n", &hv), -EINVAL);
        ASSERT_TRUE(hv == NULL);
}

TEST_MAIN()
