/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bad-input catalogue's damaged vmcores, in Xen's and dom0's structures:
 * VMCOREINFO_XEN, CRASH_INFO, the frame table and page_info layout, the
 * domain list, dom0's VMCOREINFO / p2m / printk ring / mem_section, the
 * console ring and the loader's XEN_KDUMP note (tests/bad-input/gen.c has the
 * file-level cases and the helpers).
 */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-vmcore.h"
#include "gen.h"
#include "vmcore-gen-internal.h"

void gen_vmcores_xen(void) {
        struct vmgen *g;
        struct bytes b;
        char text[8192];

        /* -- VMCOREINFO_XEN -- */
        vm_plain("no-vmcoreinfo-xen", base_cfg((struct vmgen_config) { .dom0 = true, .loadinfo = true,
                                                                       .no_vmcoreinfo_xen = true }));
        g = base();
        info_raw(g, XKD_INFO_XEN, "", 0);
        vm_plain("vmcoreinfo-xen-empty", g);
        g = base();
        info_raw(g, XKD_INFO_XEN, "no equals sign anywhere\nSYMBOL(pgd_l4)\n=\n", 39);
        vm_plain("vmcoreinfo-xen-garbage", g);
        g = base();
        memset(text, 'K', sizeof(text));
        memcpy(text, "OSRELEASE=", 10);
        info_raw(g, XKD_INFO_XEN, text, sizeof(text));
        vm_plain("vmcoreinfo-xen-one-long-line", g);
        g = base();
        {
                char z[64] = "SYMBOL(pgd_l4)=";
                size_t n = strlen(z);
                z[n++] = '\0';
                memcpy(z + n, "ffff\n", 5);
                info_raw(g, XKD_INFO_XEN, z, n + 5);
        }
        vm_plain("vmcoreinfo-xen-nul", g);
        g = base_cfg((struct vmgen_config) { .dom0 = true, .loadinfo = true, .no_pgd_l4 = true });
        vm_plain("no-pgd-l4", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SYMBOL(pgd_l4)", "zzzz");
        vm_plain("pgd-l4-not-hex", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SYMBOL(pgd_l4)", "123456789abcdef0123456789");
        vm_plain("pgd-l4-overflow", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SYMBOL(pgd_l4)", "ffff82d040000000");
        vm_plain("pgd-l4-unmapped", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SYMBOL(pgd_l4)", "-1");
        vm_plain("pgd-l4-negative", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "PAGESIZE", "65536");
        vm_plain("pagesize-64k", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "PAGESIZE", "0");
        vm_plain("pagesize-0", g);
        g = base();
        info_setf(g, XKD_INFO_XEN, "SYMBOL(frame_table)", "%" PRIx64, UINT64_C(0xffff82d0dead0000));
        vm_plain("frame-table-sym-unmapped", g);
        g = base();
        vmgen_add_info(g, XKD_INFO_XEN, "SYMBOL(pgd_l4)=0");
        vm_plain("pgd-l4-twice", g);
        g = base();
        {
                char big[300];
                memset(big, '9', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                info_set(g, XKD_INFO_XEN, "SIZE(page_info)", big);
        }
        vm_plain("size-page-info-300-digits", g);

        /* -- CRASH_INFO -- */
        vm_plain("no-crash-info", base_cfg((struct vmgen_config) { .dom0 = true, .loadinfo = true,
                                                                   .no_crash_info = true }));
        b = render(base());
        ((uint32_t *) (b.p + note_at(&b, "Xen", 0x1000001)))[1] = 16;
        vm_emit("crash-info-16-bytes", b);
        b = render(base());
        ((uint32_t *) (b.p + note_at(&b, "Xen", 0x1000001)))[1] = 0;
        vm_emit("crash-info-0-bytes", b);
        b = render(base());
        {
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                set64(w, 0, UINT64_MAX);
                set64(w, 1, UINT64_MAX);
        }
        vm_emit("crash-info-version-huge", b);
        b = render(base());
        {
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                for (int i = 2; i < 7; i++)
                        set64(w, i, UINT64_C(0xffff82d0dead0000) + (uint64_t) i);
        }
        vm_emit("crash-info-strings-unmapped", b);
        b = render(base());
        {
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                for (int i = 2; i < 7; i++)
                        set64(w, i, UINT64_MAX - 2);
        }
        vm_emit("crash-info-strings-wrap", b);
        g = base();
        {
                /* A string that never ends: image bytes with no NUL for 4000 bytes. */
                uint64_t v = vmgen_image_alloc(g, 4000);
                char fill[4000];
                memset(fill, 'Z', sizeof(fill));
                uint64_t m = vmgen_image_to_maddr(g, v);
                vmgen_write_maddr(g, m, fill, sizeof(fill));
                b = render(g);
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                for (int i = 2; i < 7; i++)
                        set64(w, i, m);
        }
        vm_emit("crash-info-string-unterminated", b);
        b = render(base());
        {
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                set64(w, 8, UINT64_MAX);      /* xen_phys_start */
                set64(w, 9, UINT64_MAX);      /* dom0_pfn_to_mfn_frame_list_list */
        }
        vm_emit("crash-info-phys-start-garbage", b);
        b = render(base());
        {
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                set64(w, 8, get64(w, 8) + 0x1000);         /* unaligned to 2 MiB */
        }
        vm_emit("crash-info-phys-start-moved", b);
        vm_plain("crash-info-64", base_cfg((struct vmgen_config) { .dom0 = true, .loadinfo = true,
                                                                   .crash_info_size = 64 }));
        vm_plain("crash-info-old-image", base_cfg((struct vmgen_config) { .loadinfo = true, .crash_info_size = 64,
                                                                          .old_image_base = true }));

        /* -- frame table and page_info layout -- */
        g = base();
        put_image64(g, sym(g, "SYMBOL(max_page)"), UINT64_C(1) << 40);
        vm_plain("max-page-2p40", g);
        g = base();
        put_image64(g, sym(g, "SYMBOL(max_page)"), 0);
        vm_plain("max-page-0", g);
        g = base();
        put_image64(g, sym(g, "SYMBOL(max_page)"), UINT64_MAX);
        vm_plain("max-page-all-ones", g);
        g = base();
        put_image64(g, sym(g, "SYMBOL(frame_table)"), UINT64_C(0xffff82e0deadb000));
        vm_plain("frame-table-ptr-unmapped", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(page_info._domain)", "-8");
        vm_plain("page-info-domain-negative", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(page_info._domain)", "4096");
        vm_plain("page-info-domain-4096", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(page_info._domain)", "18446744073709551615");
        vm_plain("page-info-domain-max", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(page_info.count_info)", "-16");
        vm_plain("page-info-count-negative", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(page_info.count_info)", "30");
        vm_plain("page-info-count-past-size", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SIZE(page_info)", "0");
        vm_plain("page-info-size-0", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SIZE(page_info)", "1048576");
        vm_plain("page-info-size-1m", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SIZE(page_info)", "7");
        vm_plain("page-info-size-7", g);
        g = base();
        for (uint64_t m = 0; m < vmgen_max_pfn(g); m++)
                vmgen_set_page_info(g, m, UINT64_MAX, UINT64_C(0xffff830000000000) + m * 8);
        vm_plain("page-info-all-garbage", g);
        g = base();
        for (uint64_t m = 0; m < vmgen_max_pfn(g); m++)
                vmgen_set_page_info(g, m, UINT64_C(3) << 58, 0);       /* every page "free" */
        vm_plain("page-info-all-free", g);

        /* -- the domain list -- */
        g = base();
        {
                /* domain 1 points back at itself */
                uint64_t d = vmgen_add_domain(g, 7);
                gen_put64(g, d - XKD_XEN_DIRECTMAP_START + DOMAIN_OFF_NEXT, d);
        }
        vm_plain("domain-list-self-loop", g);
        g = base();
        {
                uint64_t a = vmgen_add_domain(g, 8), c = vmgen_add_domain(g, 9);
                gen_put64(g, c - XKD_XEN_DIRECTMAP_START + DOMAIN_OFF_NEXT, a);
        }
        vm_plain("domain-list-cycle", g);
        g = base();
        put_image64(g, sym(g, "SYMBOL(domain_list)"), UINT64_C(0xffff8300deadbe00));
        vm_plain("domain-list-unmapped", g);
        g = base();
        put_image64(g, sym(g, "SYMBOL(domain_list)"), UINT64_C(0xffff830000000003));
        vm_plain("domain-list-unaligned", g);
        g = base();
        for (uint16_t i = 0; i < 300; i++)
                vmgen_add_domain(g, (uint16_t) (100 + i));
        vm_plain("domain-list-300", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(domain.next_in_list)", "-8");
        vm_plain("domain-next-offset-negative", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "OFFSET(domain.next_in_list)", "99999999");
        vm_plain("domain-next-offset-huge", g);
        g = base();
        info_set(g, XKD_INFO_XEN, "SIZE(domain)", "0");
        vm_plain("domain-size-0", g);
        g = base();
        {
                uint64_t d = vmgen_add_domain(g, 0x7ff0);
                (void) d;
                vmgen_add_domain(g, 0xffff);
        }
        vm_plain("domain-ids-reserved", g);

        /* -- dom0: its VMCOREINFO, p2m, page structures, printk ring -- */
        vm_plain("no-dom0", base_cfg((struct vmgen_config) { .loadinfo = true }));
        g = base();
        info_set(g, XKD_INFO_DOM0, "OSRELEASE", "6.1.0\033[2J\033]0;owned\007-evil");
        vm_plain("dom0-osrelease-escapes", g);
        g = base();
        memset(text, 'R', 300);
        text[300] = '\0';
        info_set(g, XKD_INFO_DOM0, "OSRELEASE", text);
        vm_plain("dom0-osrelease-300", g);
        g = base();
        info_set(g, XKD_INFO_DOM0, "PAGESIZE", "3");
        vm_plain("dom0-pagesize-3", g);
        g = base();
        info_set(g, XKD_INFO_DOM0, "SYMBOL(init_top_pgt)", "ffffffffdead0000");
        vm_plain("dom0-pgt-unmapped", g);
        g = base();
        info_raw(g, XKD_INFO_DOM0, "\377\376garbage\n\n==\n", 14);
        vm_plain("dom0-vmcoreinfo-garbage", g);
        g = base();
        info_set(g, XKD_INFO_DOM0, "SYMBOL(prb)", "ffffffffdead0000");
        vm_plain("dom0-prb-unmapped", g);
        g = base();
        {
                /* printk ring with absurd sizes: count_bits and data size_bits of 63 */
                uint32_t big = 63;
                vmgen_write_maddr(g, vmgen_dom0_mfn(g, 3) * PAGE + 0x40, &big, 4);
                vmgen_write_maddr(g, vmgen_dom0_mfn(g, 3) * PAGE + 0x40 + 48, &big, 4);
        }
        vm_plain("dom0-prb-bits-63", g);
        g = base();
        {
                uint8_t junk[4096];
                for (unsigned i = 0; i < sizeof(junk); i++)
                        junk[i] = (uint8_t) (i * 131 + 17);
                memcpy(vmgen_dom0_page(g, 10), junk, sizeof(junk));    /* descriptors */
                memcpy(vmgen_dom0_page(g, 11), junk, sizeof(junk));    /* infos */
        }
        vm_plain("dom0-prb-descs-garbage", g);
        g = base();
        info_set(g, XKD_INFO_DOM0, "OFFSET(printk_info.text_len)", "-100");
        vm_plain("dom0-prb-offset-negative", g);
        b = render(base());
        {
                uint8_t *w = note_desc(&b, note_at(&b, "Xen", 0x1000001));
                set64(w, 9, 3);       /* frame list list: a page of Xen's, not dom0's p2m */
        }
        vm_emit("dom0-p2m-fll-wrong", b);
        g = base();
        {
                /* dom0's p2m: every entry the same machine frame */
                for (uint64_t p = 0; p < 16; p++)
                        g->dom0_p2m[p] = 5;
        }
        vm_plain("dom0-p2m-all-same", g);
        /* dom0 filter inputs (mem_section): the hours-long walk of issue 10 item 3 */
        static const char *const d0keys[] = {
                "SIZE(mem_section)=16", "OFFSET(mem_section.section_mem_map)=0",
                "SIZE(page)=64", "OFFSET(page.flags)=0", "OFFSET(page.compound_head)=8",
                "OFFSET(page.mapping)=24", "OFFSET(page.private)=40", "OFFSET(page._mapcount)=48",
                "NUMBER(PG_lru)=4", "NUMBER(PG_private)=13", "NUMBER(PG_swapcache)=10", "NUMBER(PG_slab)=9",
                "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129",
        };
        static const struct {
                const char *name, *ssb, *mpb, *roots;
                bool roots_full;
        } d0[] = {
                { "dom0-sections-bits-40", "40", "46", "64", true },
                { "dom0-sections-bits-63", "63", "64", "1", true },
                { "dom0-sections-bits-0", "0", "46", "1", false },
                { "dom0-physmem-bits-100", "27", "100", "1", false },
                { "dom0-mem-section-roots-huge", "27", "46", "4294967296", false },
                { "dom0-mem-section-roots-0", "27", "46", "0", false },
        };
        for (size_t k = 0; k < sizeof(d0) / sizeof(d0[0]); k++) {
                g = base();
                /* Roots page at dom0 pfn 6: every root points at a "section" page whose
                 * entries all claim present with a map that reads nothing useful. */
                uint64_t *roots = (uint64_t *) vmgen_dom0_page(g, 6);
                uint64_t *sect = (uint64_t *) vmgen_dom0_page(g, 7);
                for (unsigned i = 0; i < 512; i++) {
                        roots[i] = d0[k].roots_full || i == 0 ? VMGEN_DOM0_DIRECTMAP + 7 * PAGE : 0;
                        sect[i] = i % 2 == 0 ? (VMGEN_DOM0_DIRECTMAP + 8 * PAGE) | 3 : 0;
                }
                info_setf(g, XKD_INFO_DOM0, "SYMBOL(mem_section)", "%" PRIx64, VMGEN_DOM0_DIRECTMAP + 6 * PAGE);
                info_set(g, XKD_INFO_DOM0, "LENGTH(mem_section)", d0[k].roots);
                info_set(g, XKD_INFO_DOM0, "NUMBER(SECTION_SIZE_BITS)", d0[k].ssb);
                info_set(g, XKD_INFO_DOM0, "NUMBER(MAX_PHYSMEM_BITS)", d0[k].mpb);
                for (size_t i = 0; i < sizeof(d0keys) / sizeof(d0keys[0]); i++)
                        vmgen_add_info(g, XKD_INFO_DOM0, d0keys[i]);
                vm_plain(d0[k].name, g);
        }
        g = base();
        info_setf(g, XKD_INFO_DOM0, "SYMBOL(mem_section)", "%" PRIx64, VMGEN_DOM0_DIRECTMAP + 6 * PAGE);
        info_set(g, XKD_INFO_DOM0, "LENGTH(mem_section)", "1");
        info_set(g, XKD_INFO_DOM0, "NUMBER(SECTION_SIZE_BITS)", "27");
        info_set(g, XKD_INFO_DOM0, "NUMBER(MAX_PHYSMEM_BITS)", "46");
        for (size_t i = 0; i < sizeof(d0keys) / sizeof(d0keys[0]); i++)
                vmgen_add_info(g, XKD_INFO_DOM0, d0keys[i]);
        info_set(g, XKD_INFO_DOM0, "SIZE(page)", "0");
        vm_plain("dom0-size-page-0", g);
        g = base();
        info_setf(g, XKD_INFO_DOM0, "SYMBOL(mem_section)", "%" PRIx64, VMGEN_DOM0_DIRECTMAP + 6 * PAGE);
        info_set(g, XKD_INFO_DOM0, "LENGTH(mem_section)", "1");
        info_set(g, XKD_INFO_DOM0, "NUMBER(SECTION_SIZE_BITS)", "27");
        info_set(g, XKD_INFO_DOM0, "NUMBER(MAX_PHYSMEM_BITS)", "46");
        for (size_t i = 0; i < sizeof(d0keys) / sizeof(d0keys[0]); i++)
                vmgen_add_info(g, XKD_INFO_DOM0, d0keys[i]);
        info_set(g, XKD_INFO_DOM0, "OFFSET(page.mapping)", "-24");
        info_set(g, XKD_INFO_DOM0, "NUMBER(PG_lru)", "200");
        vm_plain("dom0-page-offsets-bad", g);

        /* -- the console ring -- */
        g = base();
        {
                uint32_t v = 0x80000000u;
                vmgen_write_maddr(g, vmgen_image_to_maddr(g, g->sym_conring_size), &v, 4);
        }
        vm_plain("conring-size-2g", g);
        g = base();
        {
                uint32_t v = 0;
                vmgen_write_maddr(g, vmgen_image_to_maddr(g, g->sym_conring_size), &v, 4);
        }
        vm_plain("conring-size-0", g);
        g = base();
        {
                uint32_t v = 12345;
                vmgen_write_maddr(g, vmgen_image_to_maddr(g, g->sym_conring_size), &v, 4);
        }
        vm_plain("conring-size-not-pow2", g);
        g = base();
        put_image64(g, g->sym_conring, UINT64_C(0xffff8300deadb000));
        vm_plain("conring-unmapped", g);
        g = base();
        {
                char esc[200];
                snprintf(esc, sizeof(esc), "(XEN) \033[31mred\033]0;title\007 \033[2J cleared\r\n(XEN) Panic on CPU 1:\n");
                vmgen_console_write(g, esc);
        }
        vm_plain("conring-escapes", g);

        /* -- the loader's XEN_KDUMP note -- */
        g = base();
        info_set(g, XKD_INFO_LOAD, "HOSTNAME", "host\033]0;pwned\007\033[2J");
        vm_plain("hostname-escapes", g);
        g = base();
        info_set(g, XKD_INFO_LOAD, "HOSTNAME", "../../etc");
        vm_plain("hostname-dotdot", g);
        g = base();
        info_set(g, XKD_INFO_LOAD, "HOSTNAME", "a'b\"c;rm -rf /;`x`$(y)");
        vm_plain("hostname-quotes", g);
        g = base();
        memset(text, 'h', 2000);
        text[2000] = '\0';
        info_set(g, XKD_INFO_LOAD, "HOSTNAME", text);
        vm_plain("hostname-2000", g);
        g = base();
        info_set(g, XKD_INFO_LOAD, "XEN_CMDLINE", "console=com1 \033[2J\033]0;x\007 crashkernel=256M");
        vm_plain("xen-cmdline-escapes", g);
        g = base();
        info_set(g, XKD_INFO_LOAD, "DOM0_VMCOREINFO", "ffffffffffff0000 4294967295");
        vm_plain("dom0-vmcoreinfo-ptr-garbage", g);
        g = base();
        info_set(g, XKD_INFO_LOAD, "SYMBOL(per_cpu__curr_vcpu)", "ffffffffffffffff");
        info_set(g, XKD_INFO_LOAD, "SYMBOL(__per_cpu_offset)", "ffff82d0deadbeef");
        vm_plain("percpu-syms-garbage", g);
}
