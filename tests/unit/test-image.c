/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crash image built against the simulated hypervisor, read back from the
 * simulated machine memory the way the stub and the capture kernel see it. */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>

#include "bootparams.h"
#include "capture-cmdline.h"
#include "hv.h"
#include "image.h"
#include "load-inputs.h"
#include "loader-fixtures.h"
#include "purgatory.h"
#include "test.h"
#include "xkd-note.h"

struct built {
        xkd_hv *hv;
        struct xkd_image *img;
        uint8_t *kernel, *initrd;
        size_t kernel_size, initrd_size;
        int r;
};

/* kernel_entry decompressor for the next build_with(). */
static bool decompressor_entry;

static struct built build_with(const char *config, const struct fake_kernel *k, size_t initrd_size, const char *append) {
        struct built b = { .initrd_size = initrd_size };

        if (xkd_hv_new_sim_from_string(config, &b.hv) < 0)
                abort();
        b.kernel = fake_bzimage(k, &b.kernel_size);
        b.initrd = malloc(initrd_size ? initrd_size : 1);
        for (size_t i = 0; i < initrd_size; i++)
                b.initrd[i] = (uint8_t) (i * 3 + 1);
        struct xkd_image_input in = {
                .kernel = b.kernel, .kernel_size = b.kernel_size,
                .initrd = initrd_size ? b.initrd : NULL, .initrd_size = initrd_size,
                .kernel_path = "/boot/vmlinuz-test", .initrd_path = "/boot/initrd-test",
                .append = append, .sysroot = fake_sysroot(), .load_time = 1795850000,
                .decompressor_entry = decompressor_entry,
        };
        b.r = xkd_image_build(b.hv, &in, &b.img);
        return b;
}

static struct built build(void) {
        return build_with(fake_host_config, &(struct fake_kernel) { .payload = 300000, .init_size = 0x800000 }, 123457, "quiet");
}

static void done(struct built *b) {
        xkd_image_free(b->img);
        xkd_hv_free(b->hv);
        free(b->kernel);
        free(b->initrd);
}

static uint64_t get(const uint8_t *p, int n) {
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

TEST(layout_obeys_xen_and_leaves_slack) {
        struct built b = build();
        const struct xkd_image *img = b.img;
        uint64_t rs = FAKE_CRASH_START, re = rs + FAKE_CRASH_SIZE, used = 0;

        ASSERT_EQ(b.r, 0);
        ASSERT_TRUE(img->nr_segments <= XKD_MAX_SEGMENTS);
        ASSERT_EQ(img->nr_segments, 6);
        for (unsigned i = 0; i < img->nr_segments; i++) {
                const struct xkd_segment *s = &img->segments[i];
                ASSERT_EQ(s->dest_maddr % 4096, 0);
                ASSERT_EQ(s->dest_size % 4096, 0);
                ASSERT_TRUE(s->buf_size <= s->dest_size);
                if (s->buf_size) {
                        ASSERT_TRUE(s->dest_maddr >= rs && s->dest_maddr + s->dest_size <= re);
                        used += s->dest_size;
                }
                for (unsigned j = 0; j < i; j++) {
                        const struct xkd_segment *o = &img->segments[j];
                        ASSERT_TRUE(s->dest_maddr >= o->dest_maddr + o->dest_size || o->dest_maddr >= s->dest_maddr + s->dest_size);
                }
        }
        /* The low-memory mapping is buffer-less and covers the first MiB. */
        const struct xkd_segment *low = &img->segments[img->index[XKD_SEG_LOWMEM]];
        ASSERT_TRUE(low->buf == NULL && low->dest_maddr == 0 && low->dest_size == 0x100000);
        const struct xkd_segment *k = &img->segments[img->index[XKD_SEG_KERNEL]];
        ASSERT_EQ(k->dest_maddr % 0x200000, 0);
        ASSERT_TRUE(k->dest_size >= 0x800000);
        ASSERT_U64_EQ(img->entry, img->segments[img->index[XKD_SEG_STUB]].dest_maddr);
        ASSERT_TRUE((FAKE_CRASH_SIZE - used) / 4096 >= 2 * xkd_xen_carve_pages(img->segments, img->nr_segments));

        ASSERT_EQ(xkd_image_load(b.hv, img), 0);
        ASSERT_EQ(xkd_hv_sim_hypercalls(b.hv), 1);
        ASSERT_EQ(xkd_hv_sim_loaded(b.hv, XKD_KEXEC_TYPE_CRASH), 1);
        done(&b);
}

TEST(boot_params_fields) {
        struct built b = build();
        uint8_t bp[4096];
        char cmd[4096];

        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->boot_params_maddr, bp, sizeof(bp)), 0);
        ASSERT_MEMEQ(bp + 0x202, "HdrS", 4);
        ASSERT_MEMEQ(bp + 0x1f1, b.kernel + 0x1f1, 0x210 - 0x1f1);     /* setup header copied */
        ASSERT_EQ(bp[0x210], 0xff);
        ASSERT_TRUE(bp[0x211] & XKD_LOADED_HIGH);
        ASSERT_EQ(bp[XKD_BP_SENTINEL], 0);
        ASSERT_U64_EQ(get(bp + 0x228, 4), b.img->cmdline_maddr);
        ASSERT_U64_EQ(get(bp + 0x0c8, 4), 0);
        ASSERT_U64_EQ(get(bp + 0x218, 4), b.img->initrd_maddr);
        ASSERT_U64_EQ(get(bp + 0x21c, 4), 123457);
        ASSERT_U64_EQ(get(bp + 0x0c0, 4), 0);
        ASSERT_U64_EQ(get(bp + 0x0c4, 4), 0);
        ASSERT_U64_EQ(get(bp + 0x070, 8), 0xF5A40);                    /* RSDP from the kernel log */
        ASSERT_U64_EQ(get(bp + 0x260, 4), 0x800000);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->cmdline_maddr, cmd, sizeof(cmd)), 0);
        ASSERT_STREQ(cmd, b.img->cmdline);
        ASSERT_CONTAINS(cmd, "console=ttyS0,115200 ");
        ASSERT_CONTAINS(cmd, "nr_cpus=1");
        ASSERT_CONTAINS(cmd, "irqpoll");
        ASSERT_CONTAINS(cmd, "reset_devices");
        ASSERT_TRUE(strstr(cmd, "hvc0") == NULL);
        char want[64];
        snprintf(want, sizeof(want), "elfcorehdr=%lluK", (unsigned long long) (b.img->elfcorehdr_maddr >> 10));
        ASSERT_CONTAINS(cmd, want);
        ASSERT_TRUE(strstr(cmd, " quiet") != NULL && strstr(cmd, "quiet") > strstr(cmd, "elfcorehdr="));
        /* The initrd bytes are where boot_params says. */
        uint8_t head[16];
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->initrd_maddr, head, sizeof(head)), 0);
        ASSERT_MEMEQ(head, b.initrd, sizeof(head));
        done(&b);
}

TEST(e820_offers_only_the_crash_region) {
        struct built b = build();
        uint8_t bp[4096];
        uint64_t rs = FAKE_CRASH_START, re = rs + FAKE_CRASH_SIZE, ram_in_region = 0, prev_end = 0;
        int saw_acpi = 0, saw_reserved_hdr = 0;

        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->boot_params_maddr, bp, sizeof(bp)), 0);
        unsigned n = bp[XKD_BP_E820_ENTRIES];
        ASSERT_TRUE(n >= 5);
        for (unsigned i = 0; i < n; i++) {
                const uint8_t *e = bp + XKD_BP_E820_TABLE + 20 * i;
                uint64_t a = get(e, 8), s = get(e + 8, 8);
                uint32_t t = (uint32_t) get(e + 16, 4);
                ASSERT_TRUE(a >= prev_end);     /* sorted, no overlaps */
                prev_end = a + s;
                if (t == XKD_E820_RAM) {
                        ASSERT_TRUE(a + s <= 0x100000 || (a >= rs && a + s <= re));
                        if (a >= rs) {
                                ram_in_region += s;
                                ASSERT_TRUE(a + s <= b.img->elfcorehdr_maddr || a >= b.img->elfcorehdr_maddr + 4096);
                        }
                }
                if (t == XKD_E820_ACPI && a == 0x7ffe0000)
                        saw_acpi = 1;
                if (t == XKD_E820_RESERVED && a == b.img->elfcorehdr_maddr)
                        saw_reserved_hdr = 1;
        }
        ASSERT_TRUE(saw_acpi);
        ASSERT_TRUE(saw_reserved_hdr);
        ASSERT_TRUE(ram_in_region >= FAKE_CRASH_SIZE - 16 * 4096);
        ASSERT_TRUE(ram_in_region < FAKE_CRASH_SIZE);
        done(&b);
}

TEST(elf_core_header_reads_back_with_libelf) {
        struct built b = build();
        size_t size;
        uint8_t *hdr;
        GElf_Ehdr eh;
        GElf_Phdr ph;
        unsigned notes = 0, loads = 0;
        uint64_t load_total = 0;

        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        size = b.img->segments[b.img->index[XKD_SEG_ELFCOREHDR]].buf_size;
        hdr = malloc(size);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->elfcorehdr_maddr, hdr, size), 0);
        ASSERT_TRUE(elf_version(EV_CURRENT) != EV_NONE);
        Elf *e = elf_memory((char *) hdr, size);
        ASSERT_TRUE(e != NULL);
        ASSERT_EQ(elf_kind(e), ELF_K_ELF);
        ASSERT_TRUE(gelf_getehdr(e, &eh) != NULL);
        ASSERT_EQ(eh.e_type, ET_CORE);
        ASSERT_EQ(eh.e_machine, EM_X86_64);
        ASSERT_EQ(gelf_getclass(e), ELFCLASS64);
        size_t phnum;
        ASSERT_EQ(elf_getphdrnum(e, &phnum), 0);
        const uint64_t want_notes[][2] = {
                { FAKE_CPU_NOTES, 500 }, { FAKE_CPU_NOTES + 4096, 404 }, { FAKE_VMCOREINFO, 0x1000 },
                { FAKE_DOM0_VMCI, 0x1024 }, { b.img->loadinfo_maddr, b.img->loadinfo_size },
        };
        for (size_t i = 0; i < phnum; i++) {
                ASSERT_TRUE(gelf_getphdr(e, (int) i, &ph) != NULL);
                if (ph.p_type == PT_NOTE) {
                        ASSERT_TRUE(notes < 5);
                        ASSERT_U64_EQ(ph.p_offset, want_notes[notes][0]);
                        ASSERT_U64_EQ(ph.p_paddr, want_notes[notes][0]);
                        ASSERT_U64_EQ(ph.p_filesz, want_notes[notes][1]);
                        notes++;
                } else if (ph.p_type == PT_LOAD) {
                        ASSERT_U64_EQ(ph.p_offset, ph.p_paddr);
                        ASSERT_TRUE(ph.p_paddr + ph.p_memsz <= FAKE_CRASH_START || ph.p_paddr >= FAKE_CRASH_START + FAKE_CRASH_SIZE);
                        load_total += ph.p_memsz;
                        loads++;
                }
        }
        ASSERT_EQ(notes, 5);
        ASSERT_EQ(loads, 4);    /* low RAM, below the region, above it, above 4 GiB */
        ASSERT_U64_EQ(load_total, 0x9fc00ULL + 0x7fee0000ULL + 0x40000000ULL - FAKE_CRASH_SIZE);
        elf_end(e);
        free(hdr);
        done(&b);
}

TEST(xen_kdump_note_contents) {
        struct built b = build();
        uint8_t note[XKD_NOTE_MAX_SIZE];

        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        ASSERT_TRUE(b.img->loadinfo_size < sizeof(note));
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->loadinfo_maddr, note, b.img->loadinfo_size), 0);
        ASSERT_EQ(get(note, 4), strlen(XKD_NOTE_NAME) + 1);
        ASSERT_EQ(get(note + 8, 4), XKD_NOTE_LOADINFO);
        ASSERT_STREQ((char *) note + 12, XKD_NOTE_NAME);
        const char *text = (char *) note + 24;
        ASSERT_EQ(strlen(text) + 1, get(note + 4, 4));
        ASSERT_CONTAINS(text, "XKD_VERSION=0.1\n");
        ASSERT_CONTAINS(text, "LOAD_TIME=1795850000\n");
        ASSERT_CONTAINS(text, "XEN_CMDLINE=console=com1,vga com1=115200,8n1");
        ASSERT_CONTAINS(text, "DOM0_VMCOREINFO=654a8000 4132\n");
        ASSERT_CONTAINS(text, "SYMBOL(conring)=ffff82d040600000\n");    /* file-local console.c#conring */
        ASSERT_CONTAINS(text, "SYMBOL(domain_list)=ffff82d04057b380\n");
        ASSERT_TRUE(strstr(text, "not_wanted") == NULL);
        ASSERT_TRUE(strstr(text, "_stext") == NULL);
        done(&b);
}

TEST(stub_digest_covers_every_other_segment) {
        struct built b = build();
        const struct xkd_segment *stub;
        uint8_t *mem, *magic;
        struct xkd_purgatory_params p;
        struct xkd_sha256_ctx ctx;
        uint8_t d[32];

        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        stub = &b.img->segments[b.img->index[XKD_SEG_STUB]];
        mem = malloc(stub->dest_size);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, stub->dest_maddr, mem, stub->dest_size), 0);
        magic = memmem(mem, stub->buf_size, "XKDPURG1", 8);
        ASSERT_TRUE(magic != NULL);
        memcpy(&p, magic + 8, sizeof(p));
        ASSERT_U64_EQ(p.kernel_entry, b.img->kernel_maddr + 0x200);
        ASSERT_U64_EQ(p.boot_params, b.img->boot_params_maddr);
        ASSERT_EQ(p.serial_port, 0x3f8);
        ASSERT_EQ(p.nr_regions, 4);     /* kernel, boot_params, ELF header, initrd */

        xkd_sha256_init(&ctx);
        for (unsigned i = 0; i < p.nr_regions; i++) {
                uint8_t *buf = malloc(p.regions[i].size);
                ASSERT_TRUE(p.regions[i].start + p.regions[i].size <= stub->dest_maddr || p.regions[i].start >= stub->dest_maddr + stub->dest_size);
                xkd_hv_sim_read(b.hv, p.regions[i].start, buf, p.regions[i].size);
                xkd_sha256_update(&ctx, buf, p.regions[i].size);
                free(buf);
        }
        xkd_sha256_final(&ctx, d);
        ASSERT_MEMEQ(d, p.sha256, 32);

        /* One flipped byte in the initrd: the digest no longer matches. */
        uint8_t x;
        xkd_hv_sim_read(b.hv, b.img->initrd_maddr + 1000, &x, 1);
        x ^= 1;
        xkd_hv_sim_write(b.hv, b.img->initrd_maddr + 1000, &x, 1);
        xkd_sha256_init(&ctx);
        for (unsigned i = 0; i < p.nr_regions; i++) {
                uint8_t *buf = malloc(p.regions[i].size);
                xkd_hv_sim_read(b.hv, p.regions[i].start, buf, p.regions[i].size);
                xkd_sha256_update(&ctx, buf, p.regions[i].size);
                free(buf);
        }
        xkd_sha256_final(&ctx, d);
        ASSERT_TRUE(memcmp(d, p.sha256, 32) != 0);
        free(mem);
        done(&b);
}

/* The stub's params as loaded. */
static struct xkd_purgatory_params stub_params(struct built *b) {
        const struct xkd_segment *stub = &b->img->segments[b->img->index[XKD_SEG_STUB]];
        struct xkd_purgatory_params p = {};
        const uint8_t *magic = memmem(stub->buf, stub->buf_size, "XKDPURG1", 8);

        if (magic)
                memcpy(&p, magic + 8, sizeof(p));
        return p;
}

/* What load-inputs hashed already (the initrd's context, both digests) gives
 * the very image the builder makes on its own, with the initrd hashed first. */
TEST(known_inputs_give_the_same_image) {
        struct built a = build(), b = build();
        struct xkd_load_inputs li = {
                .kernel = b.kernel, .kernel_size = b.kernel_size,
                .initrd = b.initrd, .initrd_size = b.initrd_size,
        };
        struct xkd_sha256_ctx copy;
        struct xkd_purgatory_params pa, pb;

        ASSERT_EQ(a.r, 0);
        xkd_sha256(b.kernel, b.kernel_size, li.kernel_sha256);
        xkd_sha256_init(&li.after_initrd);
        xkd_sha256_update(&li.after_initrd, b.initrd, b.initrd_size);
        copy = li.after_initrd;
        xkd_sha256_final(&copy, li.initrd_sha256);
        xkd_image_free(b.img);
        struct xkd_image_input in = {
                .kernel = b.kernel, .kernel_size = b.kernel_size,
                .initrd = b.initrd, .initrd_size = b.initrd_size,
                .kernel_path = "/boot/vmlinuz-test", .initrd_path = "/boot/initrd-test",
                .append = "quiet", .sysroot = fake_sysroot(), .load_time = 1795850000,
                .known = &li,
        };
        ASSERT_EQ(xkd_image_build(b.hv, &in, &b.img), 0);

        pa = stub_params(&a);
        pb = stub_params(&b);
        ASSERT_EQ(pa.nr_regions, 4);
        ASSERT_U64_EQ(pa.regions[0].start, a.img->initrd_maddr);      /* the initrd first */
        ASSERT_U64_EQ(pa.regions[0].size, a.initrd_size);
        ASSERT_MEMEQ(&pa, &pb, sizeof(pa));
        ASSERT_MEMEQ(a.img->kernel_sha256, li.kernel_sha256, 32);
        ASSERT_MEMEQ(a.img->initrd_sha256, li.initrd_sha256, 32);
        ASSERT_MEMEQ(b.img->kernel_sha256, li.kernel_sha256, 32);
        ASSERT_MEMEQ(b.img->initrd_sha256, li.initrd_sha256, 32);
        done(&a);
        done(&b);
}

/* A payload load can unpack: Xen gets the vmlinux laid out by physical
 * address and the stub jumps to its entry point; with kernel_entry
 * decompressor, the bzImage and +0x200 as before. */
TEST(unpacked_kernel_entered_at_its_entry_point) {
        size_t elf_size, gz_size;
        uint8_t *elf = fake_vmlinux_elf(&elf_size), *gz = gzip_bytes(elf, elf_size, &gz_size);
        const struct fake_kernel k = { .vmlinux = gz, .vmlinux_size = gz_size, .init_size = 0x400000 };
        struct built b = build_with(fake_host_config, &k, 123457, "quiet");
        const struct xkd_segment *ks;
        struct xkd_vmlinux want = {};

        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_vmlinux_from_elf(elf, elf_size, 0, 0x400000, &want), 0);
        ks = &b.img->segments[b.img->index[XKD_SEG_KERNEL]];
        ASSERT_U64_EQ(ks->dest_maddr, b.img->kernel_maddr);
        ASSERT_U64_EQ(b.img->kernel_maddr % XKD_VMLINUX_ALIGN, 0);
        ASSERT_U64_EQ(ks->dest_size, FAKE_VMLINUX_MEM);
        ASSERT_U64_EQ(ks->buf_size, FAKE_VMLINUX_DATA);
        ASSERT_U64_EQ(b.img->boot_params_maddr, b.img->kernel_maddr + FAKE_VMLINUX_MEM);
        ASSERT_U64_EQ(stub_params(&b).kernel_entry, b.img->kernel_maddr + (FAKE_VMLINUX_ENTRY - FAKE_VMLINUX_BASE));
        ASSERT_U64_EQ(stub_params(&b).regions[1].size, FAKE_VMLINUX_DATA);     /* the digest covers the vmlinux */

        /* In machine memory: the layout, then zeros to the end of its span (.bss). */
        uint8_t *mem = malloc(FAKE_VMLINUX_MEM);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->kernel_maddr, mem, FAKE_VMLINUX_MEM), 0);
        ASSERT_MEMEQ(mem, want.image, FAKE_VMLINUX_DATA);
        for (size_t i = FAKE_VMLINUX_DATA; i < FAKE_VMLINUX_MEM; i++)
                ASSERT_EQ(mem[i], 0);
        free(mem);
        done(&b);

        decompressor_entry = true;
        b = build_with(fake_host_config, &k, 123457, "quiet");
        decompressor_entry = false;
        ASSERT_EQ(b.r, 0);
        ASSERT_TRUE(b.img->vmlinux.image == NULL);
        ks = &b.img->segments[b.img->index[XKD_SEG_KERNEL]];
        ASSERT_TRUE(ks->buf == b.img->bz.kernel);
        ASSERT_U64_EQ(ks->dest_size, 0x400000);
        ASSERT_U64_EQ(stub_params(&b).kernel_entry, b.img->kernel_maddr + 0x200);
        done(&b);
        xkd_vmlinux_done(&want);
        free(gz);
        free(elf);
}

/* A payload that decodes into no kernel: refused before any hypercall. */
TEST(corrupt_payload_refused_before_any_hypercall) {
        size_t elf_size, gz_size;
        uint8_t *elf = fake_vmlinux_elf(&elf_size), *gz = gzip_bytes(elf, elf_size, &gz_size);

        gz[gz_size / 2] ^= 0xff;
        stderr_capture_begin();
        struct built b = build_with(fake_host_config, &(struct fake_kernel) { .vmlinux = gz, .vmlinux_size = gz_size, .init_size = 0x400000 },
                                    123457, "quiet");
        const char *err = stderr_capture_end();
        ASSERT_EQ(b.r, -EBADMSG);
        ASSERT_TRUE(b.img == NULL);
        ASSERT_CONTAINS(err, "/boot/vmlinuz-test is corrupt");
        done(&b);
        free(gz);
        free(elf);
}

TEST(region_too_small_names_crashkernel) {
        char config[2048];
        const char *msg;
        struct built b;

        snprintf(config, sizeof(config), "crash 0x69d8d000 0x4000000\n%s", strchr(fake_host_config, '\n') + 1);
        stderr_capture_begin();
        b = build_with(config, &(struct fake_kernel) { .payload = 300000, .init_size = 0x800000 }, 40 << 20, NULL);
        msg = stderr_capture_end();
        ASSERT_EQ(b.r, -ENOSPC);
        ASSERT_CONTAINS(msg, "The crash region is 64 MiB but this capture image needs ");
        ASSERT_CONTAINS(msg, "crashkernel=128M");
        ASSERT_CONTAINS(msg, "Xen's command line");
        ASSERT_EQ(xkd_hv_sim_hypercalls(b.hv), 0);
        done(&b);
}

TEST(no_crash_region_names_the_line_to_add) {
        char config[2048];
        const char *msg;
        struct built b;

        snprintf(config, sizeof(config), "crash 0 0\n%s", strchr(fake_host_config, '\n') + 1);
        stderr_capture_begin();
        b = build_with(config, &(struct fake_kernel) { 0 }, 4096, NULL);
        msg = stderr_capture_end();
        ASSERT_EQ(b.r, -ENXIO);
        ASSERT_CONTAINS(msg, "Xen has no crash region reserved; add crashkernel=");
        ASSERT_CONTAINS(msg, "to Xen's command line");
        ASSERT_EQ(xkd_hv_sim_hypercalls(b.hv), 0);
        done(&b);
}

TEST(bad_kernel_refused_before_any_hypercall) {
        const char *msg;
        struct built b;

        stderr_capture_begin();
        b = build_with(fake_host_config, &(struct fake_kernel) { .relocatable = 0xff }, 4096, NULL);
        msg = stderr_capture_end();
        ASSERT_EQ(b.r, -EINVAL);
        ASSERT_CONTAINS(msg, "not relocatable");
        ASSERT_EQ(strchr(msg, '\n') - msg + 1, (long) strlen(msg));      /* one line */
        ASSERT_EQ(xkd_hv_sim_hypercalls(b.hv), 0);
        done(&b);
}

TEST(failed_build_keeps_previous_image) {
        struct built good = build();
        uint8_t before[64], after[64];

        ASSERT_EQ(good.r, 0);
        ASSERT_EQ(xkd_image_load(good.hv, good.img), 0);
        xkd_hv_sim_read(good.hv, good.img->kernel_maddr, before, sizeof(before));
        /* A corrupted copy of the image: the pre-flight check refuses it. */
        struct xkd_image bad = *good.img;
        bad.segments[bad.index[XKD_SEG_INITRD]].dest_maddr += 0x800;
        stderr_capture_begin();
        int r = xkd_image_load(good.hv, &bad);
        const char *msg = stderr_capture_end();
        ASSERT_EQ(r, -EADDRNOTAVAIL);
        ASSERT_CONTAINS(msg, "not page aligned");
        ASSERT_EQ(xkd_hv_sim_hypercalls(good.hv), 1);
        ASSERT_EQ(xkd_hv_sim_loaded(good.hv, XKD_KEXEC_TYPE_CRASH), 1);
        xkd_hv_sim_read(good.hv, good.img->kernel_maddr, after, sizeof(after));
        ASSERT_MEMEQ(before, after, sizeof(before));
        done(&good);
}

TEST(capture_console_from_xen_command_line) {
        char buf[256];

        ASSERT_EQ(xkd_serial_console_from_xen("console=com1 com1=115200,8n1", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "console=ttyS0,115200");
        ASSERT_EQ(xkd_serial_console_from_xen("console=vga,com2 com2=57600,8n1,0x2f8,3", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "console=ttyS1,57600");
        ASSERT_EQ(xkd_serial_console_from_xen("console=com1 com1=auto", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "console=ttyS0");
        ASSERT_EQ(xkd_serial_console_from_xen("console=vga dom0_mem=1G", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "");
        ASSERT_EQ(xkd_serial_console_from_xen("", buf, sizeof(buf)), 0);
        ASSERT_STREQ(buf, "");
        ASSERT_EQ(xkd_serial_port_from_xen("console=com1 com1=115200"), 0x3f8);
        ASSERT_EQ(xkd_serial_port_from_xen("console=com2 com2=115200"), 0x2f8);
        ASSERT_EQ(xkd_serial_port_from_xen("console=vga"), 0);
}

TEST(capture_cmdline_never_hvc0_and_user_console_wins) {
        char buf[1024];

        stderr_capture_begin();
        ASSERT_EQ(xkd_capture_cmdline("console=com1 com1=115200", 0x6a000000, "console=hvc0 foo=1", buf, sizeof(buf)), 0);
        const char *msg = stderr_capture_end();
        ASSERT_CONTAINS(msg, "Dropping 'console=hvc0'");
        ASSERT_TRUE(strstr(buf, "hvc0") == NULL);
        ASSERT_CONTAINS(buf, "console=ttyS0,115200 " XKD_CAPTURE_CPU_ARGS " " XKD_CAPTURE_BASE_ARGS
                        " elfcorehdr=1736704K foo=1");
        ASSERT_EQ(xkd_capture_cmdline("console=com1 com1=115200", 0x6a000000, "console=ttyS1,9600", buf, sizeof(buf)), 0);
        ASSERT_TRUE(strstr(buf, "ttyS0") == NULL);
        ASSERT_CONTAINS(buf, "console=ttyS1,9600");
        ASSERT_TRUE(xkd_capture_cmdline("", 0x6a000000, "x", buf, 20) < 0);
}

TEST(capture_cmdline_append_sets_the_cpus) {
        char buf[1024];

        /* The kernel keeps the smallest nr_cpus= it sees: ours must go, not just come first. */
        ASSERT_EQ(xkd_capture_cmdline("console=com1", 0x6a000000, "nr_cpus=2", buf, sizeof(buf)), 0);
        ASSERT_TRUE(strstr(buf, "nr_cpus=1") == NULL);
        ASSERT_CONTAINS(buf, "maxcpus=1 " XKD_CAPTURE_BASE_ARGS);
        ASSERT_CONTAINS(buf, " nr_cpus=2");
        ASSERT_EQ(xkd_capture_cmdline("console=com1", 0x6a000000, "maxcpus=2 nr_cpus=2", buf, sizeof(buf)), 0);
        ASSERT_TRUE(strstr(buf, "nr_cpus=1") == NULL && strstr(buf, "maxcpus=1") == NULL);
        ASSERT_EQ(xkd_capture_cmdline("console=com1", 0x6a000000, "xnr_cpus=2", buf, sizeof(buf)), 0);
        ASSERT_CONTAINS(buf, XKD_CAPTURE_CPU_ARGS);
}

TEST(no_dom0_vmcoreinfo_leaves_the_note_out) {
        char path[512];
        struct built b;

        snprintf(path, sizeof(path), "%s/sys/kernel/vmcoreinfo", fake_sysroot());
        rename(path, "/tmp/xkd-vmci-aside");
        stderr_capture_begin();
        b = build();
        const char *msg = stderr_capture_end();
        rename("/tmp/xkd-vmci-aside", path);
        ASSERT_EQ(b.r, 0);
        ASSERT_FALSE(b.img->have_dom0_vmcoreinfo);
        ASSERT_CONTAINS(msg, "dom0's VMCOREINFO");
        done(&b);
}

TEST(crash_region_above_4g) {
        char config[2048];
        uint8_t bp[4096];
        struct built b;

        /* fake_host_config starts with the crash line: replace it. */
        snprintf(config, sizeof(config), "crash 0x120000000 0x10000000\n%s", strchr(fake_host_config, '\n') + 1);
        b = build_with(config, &(struct fake_kernel) { .payload = 300000, .init_size = 0x800000 }, 5000, NULL);
        ASSERT_EQ(b.r, 0);
        ASSERT_EQ(xkd_image_load(b.hv, b.img), 0);
        ASSERT_EQ(xkd_hv_sim_read(b.hv, b.img->boot_params_maddr, bp, sizeof(bp)), 0);
        ASSERT_U64_EQ(get(bp + 0x228, 4) | get(bp + 0x0c8, 4) << 32, b.img->cmdline_maddr);
        ASSERT_U64_EQ(get(bp + 0x218, 4) | get(bp + 0x0c0, 4) << 32, b.img->initrd_maddr);
        ASSERT_EQ(get(bp + 0x0c0, 4), 1);
        done(&b);

        /* A kernel that cannot live above 4 GiB is refused with the fix. */
        stderr_capture_begin();
        b = build_with(config, &(struct fake_kernel) { .xloadflags = XKD_XLF_KERNEL_64 }, 5000, NULL);
        const char *msg = stderr_capture_end();
        ASSERT_EQ(b.r, -ERANGE);
        ASSERT_CONTAINS(msg, "below=4G");
        done(&b);
}

TEST_MAIN()
