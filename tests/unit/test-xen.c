/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "vmcore-gen.h"
#include "xen.h"

static char *tmp_vmcore(void) {
        static char path[64];
        strcpy(path, "/tmp/xkd-test-vmcore-XXXXXX");
        int fd = mkstemp(path);
        close(fd);
        return path;
}

/* Writes g to a temp file and opens both layers. */
static int open_gen(struct vmgen *g, struct xkd_vmcore **vm, struct xkd_xen **x) {
        char *path = tmp_vmcore();
        int r = vmgen_write(g, path);
        if (r < 0)
                return r;
        r = xkd_vmcore_open(path, vm);
        unlink(path);
        if (r < 0)
                return r;
        return xkd_xen_open(*vm, x);
}

TEST(crash_info_strings_resolved_through_pt_loads) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) {
                .extra_version = ".7-test", .changeset = "abc123", .compiler = "gcc 99",
                .compile_date = "Mon Jan 1", .compile_time = "01:02:03", .tainted = 0x12,
                .xen_major = 4, .xen_minor = 17,
        });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        const struct xkd_xen_crash_info *ci;
        char t[64];

        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_crash_info(x, &ci), 0);
        ASSERT_EQ(ci->major, 4);
        ASSERT_EQ(ci->minor, 17);
        ASSERT_STREQ(ci->extra_version.text, ".7-test");
        ASSERT_STREQ(ci->changeset.text, "abc123");
        ASSERT_STREQ(ci->compiler.text, "gcc 99");
        ASSERT_STREQ(ci->compile_date.text, "Mon Jan 1");
        ASSERT_STREQ(ci->compile_time.text, "01:02:03");
        ASSERT_EQ(ci->tainted, 0x12);
        ASSERT_TRUE(ci->has_xen_phys_start);
        ASSERT_U64_EQ(ci->xen_phys_start, VMGEN_XEN_PHYS_START);
        ASSERT_STREQ(xkd_xen_tainted_string(ci->tainted, t, sizeof(t)), "Tainted: IM");
        ASSERT_STREQ(xkd_xen_tainted_string(0, t, sizeof(t)), "Not tainted");
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(cpus_registers_and_crashing_cpu_from_console) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .nr_cpus = 4, .crashing_cpu = 2, .loadinfo = true });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        unsigned cpu = 99;
        const char *how = NULL;

        vmgen_cpu(g, 3)->regs.rip = 0xffff82d040212345;
        vmgen_cpu(g, 3)->cr4 = 0xabcdef;
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_nr_cpus(x), 4);
        ASSERT_U64_EQ(xkd_xen_cpu(x, 3)->regs.rip, 0xffff82d040212345);
        ASSERT_U64_EQ(xkd_xen_cpu(x, 3)->cr4, 0xabcdef);
        ASSERT_U64_EQ(xkd_xen_cpu(x, 1)->regs.rsp, vmgen_cpu(g, 1)->regs.rsp);
        ASSERT_EQ(xkd_xen_crashing_cpu(x, &cpu, &how), 0);
        ASSERT_EQ(cpu, 2);
        ASSERT_CONTAINS(how, "console");
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(crashing_cpu_only_a_hint_without_console) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .nr_cpus = 3, .crashing_cpu = 1 });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        unsigned cpu = 99;
        const char *how = NULL;

        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_crashing_cpu(x, &cpu, &how), -ENODATA);
        ASSERT_EQ(xkd_xen_crashing_cpu_hint(x, &cpu, &how), 0);
        ASSERT_EQ(cpu, 1);
        ASSERT_CONTAINS(how, "not proof");
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(crashing_cpu_hint_refuses_when_two_cpus_stand_out) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .nr_cpus = 3, .crashing_cpu = 1 });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        unsigned cpu = 99;
        const char *how = NULL;

        /* CPU 2 was running a guest: Xen moved its NMI frame to the primary stack. */
        vmgen_cpu(g, 2)->regs.rsp += 5 * 4096;
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_crashing_cpu_hint(x, &cpu, &how), -ENODATA);
        ASSERT_EQ(cpu, 99);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(vcpu_loaded_on_each_cpu) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .nr_cpus = 3, .loadinfo = true, .dom0 = true });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        struct xkd_xen_cpu_vcpu v;

        uint64_t d3 = vmgen_add_domain(g, 3);
        vmgen_cpu_run(g, 1, d3, 2);
        vmgen_cpu_run(g, 2, vmgen_dom0_domain(g), 0);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_cpu_vcpu(x, 0, &v), 0);
        ASSERT_TRUE(v.idle);
        ASSERT_EQ(xkd_xen_cpu_vcpu(x, 1, &v), 0);
        ASSERT_FALSE(v.idle);
        ASSERT_EQ(v.domain_id, 3);
        ASSERT_EQ(v.vcpu_id, 2);
        ASSERT_EQ(xkd_xen_cpu_vcpu(x, 2, &v), 0);
        ASSERT_EQ(v.domain_id, 0);
        ASSERT_EQ(v.vcpu_id, 0);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        /* A vcpu whose domain is not on domain_list is not believed. */
        vmgen_cpu_run(g, 0, XKD_XEN_DIRECTMAP_START + 0x123000, 0);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_cpu_vcpu(x, 0, &v), -EBADMSG);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

/* struct vcpu's domain pointer moved from 16 to 24 in Xen 4.18 (vcpu_info_area,
 * xen/include/xen/sched.h at RELEASE-4.17.0 vs 4.18.0 .. 4.21.0): the running
 * vCPU is found for each version the docs claim. */
TEST(vcpu_domain_offset_per_xen_version) {
        for (unsigned minor = 17; minor <= 22; minor++) {
                struct vmgen *g = vmgen_new(&(struct vmgen_config) { .nr_cpus = 2, .loadinfo = true, .dom0 = true,
                                                                      .xen_major = 4, .xen_minor = minor });
                struct xkd_vmcore *vm = NULL;
                struct xkd_xen *x = NULL;
                struct xkd_xen_cpu_vcpu v;

                vmgen_cpu_run(g, 1, vmgen_dom0_domain(g), 1);
                ASSERT_EQ(open_gen(g, &vm, &x), 0);
                ASSERT_EQ(xkd_xen_cpu_vcpu(x, 1, &v), 0);
                ASSERT_EQ(v.domain_id, 0);
                ASSERT_EQ(v.vcpu_id, 1);
                xkd_xen_free(x);
                xkd_vmcore_free(vm);
                vmgen_free(g);
        }
}

TEST(translation_direct_map_image_and_page_walk) {
        struct vmgen *g = vmgen_new(NULL);
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t v, m;
        char buf[16];

        memcpy(vmgen_page(g, 700) + 100, "directmap!", 11);
        uint64_t sym = vmgen_image_alloc(g, 16);
        memcpy(vmgen_page(g, vmgen_image_to_maddr(g, sym) / 4096) + (vmgen_image_to_maddr(g, sym) & 4095), "image!", 7);
        uint64_t page = vmgen_alloc_page(g);
        vmgen_map_xen(g, 0xffff82c000123000, page);
        memcpy(vmgen_page(g, page / 4096) + 8, "walked!", 8);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_TRUE(xkd_xen_uses_page_tables(x));
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, XKD_XEN_DIRECTMAP_START + 700 * 4096 + 100, &m), 0);
        ASSERT_U64_EQ(m, 700 * 4096 + 100);
        ASSERT_EQ(xkd_xen_read_virt(x, XKD_XEN_DIRECTMAP_START + 700 * 4096 + 100, buf, 11), 0);
        ASSERT_STREQ(buf, "directmap!");
        ASSERT_EQ(xkd_xen_read_virt(x, sym, buf, 7), 0);
        ASSERT_STREQ(buf, "image!");
        ASSERT_EQ(xkd_xen_read_virt(x, 0xffff82c000123008, buf, 8), 0);
        ASSERT_STREQ(buf, "walked!");
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, 0xffff82c000124000, &v), -EADDRNOTAVAIL);
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, 0x0000800000000000, &v), -EADDRNOTAVAIL);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(linear_maps_when_pgd_l4_is_not_exported) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .no_pgd_l4 = true, .old_image_base = true });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t m;
        char buf[8];

        uint64_t sym = vmgen_image_alloc(g, 8);
        vmgen_write_maddr(g, vmgen_image_to_maddr(g, sym), "linear", 7);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_FALSE(xkd_xen_uses_page_tables(x));
        ASSERT_TRUE(sym >= XKD_XEN_IMAGE_START_44);
        ASSERT_EQ(xkd_xen_read_virt(x, sym, buf, 7), 0);
        ASSERT_STREQ(buf, "linear");
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, XKD_XEN_DIRECTMAP_START + 0x123456, &m), 0);
        ASSERT_U64_EQ(m, 0x123456);
        /* Without page tables the frame table (not linearly mapped) is out of reach. */
        ASSERT_EQ(xkd_xen_page_info(x, 10, &m, &m), -EADDRNOTAVAIL);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(walk_through_1g_and_2m_pages) {
        struct vmgen *g = vmgen_new(NULL);
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t m;

        vmgen_map_xen_large(g, 0xffff82c040000000, 0x40000000, 3);
        vmgen_map_xen_large(g, 0xffff82c080200000, 0x600000, 2);
        vmgen_write_maddr(g, 0x600000 + 0x1234, "2m", 3);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, 0xffff82c040000000 + 0x12345678, &m), 0);
        ASSERT_U64_EQ(m, 0x40000000 + 0x12345678);
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, 0xffff82c080200000 + 0x1234, &m), 0);
        ASSERT_U64_EQ(m, 0x601234);
        char buf[3];
        ASSERT_EQ(xkd_xen_read_virt(x, 0xffff82c080201234, buf, 3), 0);
        ASSERT_STREQ(buf, "2m");
        /* 1 GiB mapped beyond RAM: translation works, the read says "not in the dump". */
        ASSERT_EQ(xkd_xen_read_virt(x, 0xffff82c040000000, buf, 1), -EFAULT);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(pdx_compression_from_loader_symbols) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .ram_size = 24u << 20, .loadinfo = true });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t ci, owner, d;
        char line[128];
        /* pfn bits 10-11 are a hole: pdx = (pfn & 0x3ff) | ((pfn & ~0xfff) >> 2) */
        const struct { const char *name; uint64_t value; } syms[] = {
                { "pfn_pdx_bottom_mask", 0x3ff }, { "pfn_top_mask", ~UINT64_C(0xfff) }, { "pfn_pdx_hole_shift", 2 },
        };

        /* pfn_top_mask is left out (as the loader's note lacked it on 4.17): derived. */
        for (size_t i = 0; i < 3; i += 2) {
                uint64_t v = vmgen_image_alloc(g, 8);
                vmgen_write_maddr(g, vmgen_image_to_maddr(g, v), &syms[i].value, 8);
                snprintf(line, sizeof(line), "SYMBOL(%s)=%llx", syms[i].name, (unsigned long long) v);
                vmgen_add_info(g, XKD_INFO_LOAD, line);
        }
        d = vmgen_add_domain(g, 9);
        vmgen_set_page_info(g, 0x400, 0x77, d);        /* frame-table index = pdx */
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_TRUE(xkd_xen_pdx_known(x));
        ASSERT_EQ(xkd_xen_page_info(x, 0x1000, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x77);
        ASSERT_U64_EQ(owner, d);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

/* The frame table indexed by pdx and the direct map at pdx offsets, as Xen
 * lays them out with PDX compression (vmgen: frame bit 11 squeezed out, RAM
 * frames 0-0x5ff and 0x1000-0x15ff).  Frames above the hole have
 * index != frame: their entries, their direct-map addresses and the frames in
 * the hole (no entry of their own) must all decode as Xen does. */
static void pdx_layout_case(int scheme, unsigned minor, bool bigmem, const char *name, unsigned order) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) {
                .ram_size = 12u << 20, .hole_size = 10u << 20, .pdx = scheme, .loadinfo = true,
                .xen_major = 4, .xen_minor = minor, .bigmem = bigmem, .pdx_table_order = order });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t ci, owner, m, maxp;
        char buf[16];

        uint64_t d = vmgen_add_domain(g, 9), low = vmgen_add_domain(g, 3);
        ASSERT_TRUE(d - vmgen_directmap(g, 0) < UINT64_C(0xe00) << 12);        /* a compressed address */
        vmgen_set_page_info(g, 0x1234, 0x77, d);
        vmgen_set_page_info(g, 0x234, 0x66, low);
        vmgen_set_page_info(g, 0x1000, 0x55, 0);
        vmgen_write_maddr(g, 0x1234 * 4096 + 100, "above hole", 11);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_TRUE(xkd_xen_pdx_known(x));
        ASSERT_STREQ(xkd_xen_pdx_scheme_name(x), name);
        ASSERT_U64_EQ(xkd_xen_pfn_to_pdx(x, 0x1234), 0xa34);
        ASSERT_U64_EQ(xkd_xen_pdx_to_pfn(x, 0xa34), 0x1234);
        ASSERT_U64_EQ(xkd_xen_pfn_to_pdx(x, 0x234), 0x234);
        ASSERT_EQ(xkd_xen_page_info(x, 0x1234, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x77);
        ASSERT_U64_EQ(owner, d);
        ASSERT_EQ(xkd_xen_page_info(x, 0x234, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x66);
        ASSERT_U64_EQ(owner, low);
        ASSERT_EQ(xkd_xen_page_info(x, 0x1000, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x55);
        /* In the hole: index 0x800 is frame 0x1000's entry, not frame 0x800's. */
        ASSERT_FALSE(xkd_xen_pfn_has_pdx(x, 0x800));
        ASSERT_EQ(xkd_xen_page_info(x, 0x800, &ci, &owner), -EADDRNOTAVAIL);
        /* The direct map without the page tables (linear rule) and with them. */
        ASSERT_EQ(xkd_xen_virt_to_maddr(x, vmgen_directmap(g, 0x1234 * 4096 + 100), &m), 0);
        ASSERT_U64_EQ(m, 0x1234 * 4096 + 100);
        ASSERT_EQ(xkd_xen_read_virt(x, vmgen_directmap(g, 0x1234 * 4096 + 100), buf, 11), 0);
        ASSERT_STREQ(buf, "above hole");
        ASSERT_U64_EQ(xkd_xen_directmap_start(x), vmgen_directmap(g, 0));
        ASSERT_EQ(xkd_xen_max_page(x, &maxp), 0);
        ASSERT_U64_EQ(maxp, 0x1600);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}
TEST(pdx_mask_compression_xen_4_17) { pdx_layout_case(VMGEN_PDX_MASK, 17, false, "mask", 0); }
TEST(pdx_mask_compression_xen_4_21) { pdx_layout_case(VMGEN_PDX_MASK, 21, false, "mask", 0); }
TEST(pdx_offset_compression_xen_4_21) { pdx_layout_case(VMGEN_PDX_OFFSET, 21, false, "offset", 0); }
/* CONFIG_PDX_OFFSET_TBL_ORDER 1: the table size comes from the symbols' spacing. */
TEST(pdx_offset_compression_2_entry_tables) { pdx_layout_case(VMGEN_PDX_OFFSET, 21, false, "offset", 1); }
TEST(pdx_offset_compression_with_bigmem) { pdx_layout_case(VMGEN_PDX_OFFSET, 22, true, "offset", 0); }

/* CONFIG_BIGMEM alone: direct map at slot 265, a 64-bit _domain (an owner
 * whose pdx does not fit 32 bits must come out whole). */
TEST(bigmem_direct_map_and_64_bit_owner) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .bigmem = true, .xen_major = 4, .xen_minor = 20 });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t ci, owner;

        uint64_t d = vmgen_add_domain(g, 4);
        uint64_t far = XKD_XEN_BIGMEM_DIRECTMAP_START + (UINT64_C(0x123456789) << 12);
        vmgen_set_page_info(g, 300, 0x42, d);
        vmgen_set_page_info(g, 301, 0x43, far);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_U64_EQ(xkd_xen_directmap_start(x), XKD_XEN_BIGMEM_DIRECTMAP_START);
        ASSERT_EQ(xkd_xen_domain_pdx_bytes(x), 8);
        ASSERT_TRUE(xkd_xen_uses_page_tables(x));
        ASSERT_EQ(xkd_xen_page_info(x, 300, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x42);
        ASSERT_U64_EQ(owner, d);
        ASSERT_EQ(xkd_xen_page_info(x, 301, &ci, &owner), 0);
        ASSERT_U64_EQ(owner, far);
        struct xkd_xen_domain doms[8];
        int n = xkd_xen_domains(x, doms, 8);
        ASSERT_TRUE(n >= 1);
        ASSERT_U64_EQ(doms[n - 1].vaddr, d);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

/* Which Xen may compress without saying how (no PDX variables in the note):
 * 4.17 and 4.21+ above 1 GiB of RAM, unless the loader looked for them
 * (XEN_SYMBOL_SET 2) and Xen has none; never 4.18-4.20 (x86 Kconfig), never
 * with all RAM below 2^18 frames. */
static void pdx_state_is(int want, unsigned minor, bool loadinfo, bool old_loader, bool high_ram) {
        struct vmgen_config c = { .xen_major = 4, .xen_minor = minor, .loadinfo = loadinfo,
                                  .pdx_no_symbols = old_loader };
        if (high_ram)
                c.extra_loads[0].paddr = UINT64_C(5) << 30, c.extra_loads[0].size = 4096;
        struct vmgen *g = vmgen_new(&c);
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        const char *why = NULL;
        uint64_t ci;

        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_pdx_state(x, &why), want);
        if (want < 0) {
                ASSERT_CONTAINS(why, "may compress frame-table indexes (PDX)");
                ASSERT_EQ(xkd_xen_page_info(x, 300, &ci, NULL), -EDOM);
        } else
                ASSERT_EQ(xkd_xen_page_info(x, 300, &ci, NULL), 0);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}
TEST(pdx_unknown_only_where_xen_may_compress) {
        pdx_state_is(-EDOM, 21, false, false, true);    /* no loader note */
        pdx_state_is(-EDOM, 21, true, true, true);      /* an older loader's note */
        pdx_state_is(-EDOM, 17, false, false, true);
        pdx_state_is(0, 22, true, false, true);         /* looked for, none: CONFIG_PDX_NONE */
        pdx_state_is(0, 17, true, true, true);          /* 0.1 notes asked for the mask */
        pdx_state_is(0, 20, false, false, true);
        pdx_state_is(0, 18, false, false, true);
        pdx_state_is(0, 21, false, false, false);       /* all RAM below 1 GiB */
}

TEST(frame_table_owner_and_domain_list) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .dom0 = true });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        struct xkd_xen_domain d[8];
        uint64_t ci, owner, maxp;

        uint64_t d1 = vmgen_add_domain(g, 1);
        uint64_t d7 = vmgen_add_domain(g, 7);
        vmgen_set_page_info(g, 300, 0x8000000000000001, d7);
        vmgen_set_page_info(g, 301, 0x42, 0);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_page_info(x, 300, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x8000000000000001);
        ASSERT_U64_EQ(owner, d7);
        ASSERT_EQ(xkd_xen_page_info(x, 301, &ci, &owner), 0);
        ASSERT_U64_EQ(ci, 0x42);
        ASSERT_U64_EQ(owner, 0);
        ASSERT_EQ(xkd_xen_page_info(x, vmgen_dom0_mfn(g, 5), &ci, &owner), 0);
        ASSERT_U64_EQ(owner, vmgen_dom0_domain(g));
        ASSERT_U64_EQ(xkd_xen_dom_xen(x), vmgen_dom_xen(g));
        ASSERT_U64_EQ(xkd_xen_dom_io(x), vmgen_dom_io(g));
        ASSERT_EQ(xkd_xen_max_page(x, &maxp), 0);
        ASSERT_U64_EQ(maxp, vmgen_max_pfn(g));
        ASSERT_EQ(xkd_xen_domains(x, d, 8), 3);
        ASSERT_EQ(d[0].id, 0);
        ASSERT_EQ(d[1].id, 1);
        ASSERT_U64_EQ(d[1].vaddr, d1);
        ASSERT_EQ(d[2].id, 7);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(domain_list_loop_is_an_error) {
        struct vmgen *g = vmgen_new(NULL);
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        struct xkd_xen_domain d[64];

        vmgen_add_domain(g, 0);
        uint64_t d1 = vmgen_add_domain(g, 1);
        vmgen_add_domain(g, 2);
        uint64_t d3 = vmgen_add_domain(g, 3);
        vmgen_write_maddr(g, d3 - XKD_XEN_DIRECTMAP_START + 136, &d1, 8);      /* 3 -> 1 */
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_domains(x, d, 64), -ELOOP);
        ASSERT_EQ(xkd_xen_domains(x, d, 3), 3);        /* a bounded walk stops before noticing */
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(dom0_virtual_through_p2m_and_its_page_tables) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .dom0 = true, .dom0_pages = 600 });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t mfn;
        char buf[16];

        memcpy(vmgen_dom0_page(g, 513) + 16, "dom0 text", 10);
        memcpy(vmgen_dom0_page(g, 7), "dom0 map", 9);
        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_dom0_pfn_to_mfn(x, 513, &mfn), 0);
        ASSERT_U64_EQ(mfn, vmgen_dom0_mfn(g, 513));
        ASSERT_EQ(xkd_xen_dom0_read_virt(x, VMGEN_DOM0_KERNEL_MAP + 513 * 4096 + 16, buf, 10), 0);
        ASSERT_STREQ(buf, "dom0 text");
        ASSERT_EQ(xkd_xen_dom0_read_virt(x, VMGEN_DOM0_DIRECTMAP + 7 * 4096, buf, 9), 0);
        ASSERT_STREQ(buf, "dom0 map");
        ASSERT_EQ(xkd_xen_dom0_pfn_to_mfn(x, 600, &mfn), -EFAULT);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST(keys_numbers_symbols_and_missing_notes) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .loadinfo = true });
        struct xkd_vmcore *vm = NULL;
        struct xkd_xen *x = NULL;
        uint64_t v;
        char s[64];

        ASSERT_EQ(open_gen(g, &vm, &x), 0);
        ASSERT_EQ(xkd_xen_info_get(x, "PAGESIZE", &v), 0);
        ASSERT_EQ(v, 4096);
        ASSERT_EQ(xkd_xen_info_get(x, "OFFSET(domain.next_in_list)", &v), 0);
        ASSERT_EQ(v, 136);
        ASSERT_EQ(xkd_xen_info_get(x, "SYMBOL(frame_table)", &v), 0);
        ASSERT_EQ(xkd_xen_read_virt(x, v, &v, sizeof(v)), 0);  /* a pointer to the table */
        ASSERT_U64_EQ(v, XKD_XEN_FRAMETABLE_START);
        ASSERT_EQ(xkd_xen_info_get(x, "OFFSET(domain.tot_pages)", &v), -ENOENT);
        ASSERT_EQ(xkd_xen_symbol(x, "conring", &v), 0);       /* from XEN_KDUMP */
        ASSERT_EQ(xkd_xen_key_get_string(x, XKD_INFO_LOAD, "HOSTNAME", s, sizeof(s)), 0);
        ASSERT_STREQ(s, "vmgen-host");
        ASSERT_EQ(xkd_xen_key_get(x, XKD_INFO_DOM0, "PAGESIZE", &v), -ENODATA);
        ASSERT_EQ(xkd_xen_key_get(x, XKD_INFO_LOAD, "DOM0_VMCOREINFO", &v), 0);
        ASSERT_U64_EQ(v, 0x6547e000);
        ASSERT_EQ(xkd_xen_key_get(x, XKD_INFO_LOAD, "LOAD_TIME", &v), 0);
        ASSERT_EQ(v, 1764300000);
        ASSERT_EQ(xkd_xen_key_get(x, XKD_INFO_LOAD, "HOSTNAME", &v), -EBADMSG);
        xkd_xen_free(x);
        xkd_vmcore_free(vm);
        vmgen_free(g);
}

TEST_MAIN()
