/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bzimage.h"
#include "loader-fixtures.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t) (v >> (8 * i)); }

uint8_t *fake_bzimage(const struct fake_kernel *in, size_t *ret_size) {
        struct fake_kernel k = *in;
        const unsigned setup_sects = 4;
        size_t setup = (setup_sects + 1) * 512, size;
        uint8_t *b;

        if (!k.version) k.version = 0x020f;
        if (!k.xloadflags) k.xloadflags = XKD_XLF_KERNEL_64 | XKD_XLF_CAN_BE_LOADED_ABOVE_4G;
        if (!k.kernel_alignment) k.kernel_alignment = 0x200000;
        if (!k.payload) k.payload = 64 * 1024;
        if (k.vmlinux && k.payload < 0x100 + k.vmlinux_size) k.payload = 0x100 + k.vmlinux_size;
        if (!k.init_size) k.init_size = (uint32_t) (4 * k.payload);
        if (!k.loadflags) k.loadflags = XKD_LOADED_HIGH;
        size = setup + k.payload;
        b = calloc(1, size);
        if (!b)
                abort();
        b[0x1f1] = setup_sects;
        put32(b + 0x1f4, (uint32_t) ((k.payload + 15) / 16));
        put16(b + 0x1fe, 0xAA55);
        b[0x200] = 0xeb;
        b[0x201] = 0x6a;                /* header ends at 0x26c */
        memcpy(b + 0x202, "HdrS", 4);
        put16(b + 0x206, k.version);
        b[0x211] = k.loadflags;
        put32(b + 0x22c, 0x7fffffff);
        put32(b + 0x230, k.kernel_alignment);
        b[0x234] = in->relocatable == 0xff ? 0 : 1;
        put16(b + 0x236, k.xloadflags == 0xffff ? 0 : k.xloadflags);
        put32(b + 0x238, 2047);
        put32(b + 0x258, 0x1000000);
        put32(b + 0x260, k.init_size);
        for (size_t i = 0; i < k.payload; i++)
                b[setup + i] = (uint8_t) (i * 31 + 7);
        if (k.vmlinux) {
                put32(b + 0x248, 0x100);
                put32(b + 0x24c, (uint32_t) k.vmlinux_size);
                memcpy(b + setup + 0x100, k.vmlinux, k.vmlinux_size);
        }
        *ret_size = size;
        return b;
}

uint8_t *fake_vmlinux_elf(size_t *ret_size) {
        static const struct { uint64_t offset, vaddr, paddr, filesz, memsz; uint32_t flags; } loads[] = {
                { 0x1000, 0xffffffff81000000, 0x1000000, 0x3000, 0x3000, PF_R | PF_X },
                { 0x4000, 0xffffffff81200000, 0x1200000, 0x1800, 0x2000, PF_R | PF_W },
                { 0x6000, 0x0, 0x1202000, 0x800, 0x800, PF_R | PF_W },
                { 0x7000, 0xffffffff81203000, 0x1203000, 0x4000, 0x6000, PF_R | PF_W | PF_X },
        };
        const size_t size = 0xb000;
        uint8_t *b = calloc(1, size);
        Elf64_Ehdr eh = {
                .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
                .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                .e_entry = FAKE_VMLINUX_ENTRY, .e_phoff = sizeof(Elf64_Ehdr),
                .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 5,
        };

        if (!b)
                abort();
        memcpy(b, &eh, sizeof(eh));
        for (unsigned i = 0; i < 4; i++) {
                Elf64_Phdr ph = {
                        .p_type = PT_LOAD, .p_flags = loads[i].flags, .p_offset = loads[i].offset,
                        .p_vaddr = loads[i].vaddr, .p_paddr = loads[i].paddr,
                        .p_filesz = loads[i].filesz, .p_memsz = loads[i].memsz, .p_align = 0x200000,
                };
                memcpy(b + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
                for (uint64_t j = 0; j < loads[i].filesz; j++)
                        b[loads[i].offset + j] = (uint8_t) (j * 13 + i + 1) | 1;
        }
        /* The last segment's .bss stored as zeros, and a PT_NOTE that is not loaded. */
        memset(b + 0x7000 + 0x2000, 0, 0x2000);
        Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = 0x100, .p_paddr = 0x1000100, .p_filesz = 0x20, .p_memsz = 0x20 };
        memcpy(b + sizeof(eh) + 4 * sizeof(note), &note, sizeof(note));
        *ret_size = size;
        return b;
}

uint8_t *gzip_bytes(const void *buf, size_t size, size_t *ret_size) {
        z_stream z = {};
        size_t cap = compressBound(size) + 64;
        uint8_t *out = malloc(cap);

        if (!out || deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                abort();
        z.next_in = (Bytef *) buf;
        z.avail_in = (uInt) size;
        z.next_out = out;
        z.avail_out = (uInt) cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                abort();
        *ret_size = z.total_out;
        deflateEnd(&z);
        return out;
}

const char fake_host_config[] =
        "crash 0x69d8d000 0x10000000\n"
        "cpus 2\n"
        "cpu_notes 0x7fe00000\n"
        "vmcoreinfo 0x7fd00000 0x1000\n"
        "e820 0x0 0x9fc00 1\n"
        "e820 0x9fc00 0x400 2\n"
        "e820 0xf0000 0x10000 2\n"
        "e820 0x100000 0x7fee0000 1\n"
        "e820 0x7ffe0000 0x20000 3\n"
        "e820 0xfeffc000 0x4000 2\n"
        "e820 0xfffc0000 0x40000 2\n"
        "e820 0x100000000 0x40000000 1\n"
        "xen_cmdline console=com1,vga com1=115200,8n1 crashkernel=256M dom0_mem=512M,max:512M\n"
        "xen_version 4.17\n";

size_t fake_cpio_entry(uint8_t *out, size_t off, const char *name, uint32_t mode, const void *data, size_t len) {
        char hdr[128];
        size_t namesize = strlen(name) + 1;

        snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                 1u, mode, 0u, 0u, 1u, 0u, (unsigned) len, 0u, 0u, 0u, 0u, (unsigned) namesize, 0u);
        memcpy(out + off, hdr, 110);
        off += 110;
        memcpy(out + off, name, namesize);
        off += namesize;
        while (off % 4)
                out[off++] = 0;
        if (data)
                memcpy(out + off, data, len);
        else
                memset(out + off, 'x', len);
        off += len;
        while (off % 4)
                out[off++] = 0;
        return off;
}

/* The kernel the CLI tests load: a relocatable bzImage, 200 kB payload, 6 MiB init_size. */
int write_fake_kernel(const char *path) {
        size_t size;
        uint8_t *k = fake_bzimage(&(struct fake_kernel) { .payload = 200000, .init_size = 0x600000 }, &size);
        FILE *f = fopen(path, "we");
        int r = -1;

        if (f) {
                r = fwrite(k, 1, size, f) == size ? 0 : -1;
                if (fclose(f) != 0)
                        r = -1;
        }
        free(k);
        return r;
}

/* A small initramfs the loader accepts: one newc archive with a file and its trailer. */
int write_fake_initrd(const char *path) {
        uint8_t buf[1024];
        size_t n = 0;
        FILE *f;

        n = fake_cpio_entry(buf, n, "init", 0100755, "#!/bin/sh\nexit 0\n", 17);
        n = fake_cpio_entry(buf, n, "TRAILER!!!", 0, "", 0);
        f = fopen(path, "wb");
        if (!f)
                return -1;
        if (fwrite(buf, 1, n, f) != n) {
                fclose(f);
                return -1;
        }
        return fclose(f);
}

int write_text(const char *path, const char *text) {
        char dir[4096];
        FILE *f;

        snprintf(dir, sizeof(dir), "%s", path);
        for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(dir, 0700);
                *p = '/';
        }
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        fclose(f);
        return 0;
}

void fake_sysroot_write(const char *root) {
        char p[512];

        snprintf(p, sizeof(p), "%s/sys/kernel/vmcoreinfo", root);
        write_text(p, "0x00000000654a8000 1024\n");
        snprintf(p, sizeof(p), "%s/proc/xen/xensyms", root);
        write_text(p, "ffff82d040200000 T _stext\n"
                      "ffff82d04057b380 D domain_list\n"
                      "ffff82d040600000 b console.c#conring\n"
                      "ffff82d040601000 D conring_size\n"
                      "ffff82d040700000 T not_wanted\n");
        snprintf(p, sizeof(p), "%s/proc/xen/capabilities", root);
        write_text(p, "control_d\n");
        snprintf(p, sizeof(p), "%s/dev/kmsg", root);
        write_text(p, "6,1,0,-;Linux version 6.1\n6,2,0,-;ACPI: RSDP 0x00000000000F5A40 000014 (v00 BOCHS )\n");
        snprintf(p, sizeof(p), "%s/proc/sys/kernel/random/boot_id", root);
        write_text(p, "11111111-2222-3333-4444-555555555555\n");
}

const char *fake_sysroot(void) {
        static char root[256];

        if (root[0])
                return root;
        snprintf(root, sizeof(root), "/tmp/xkd-test-sysroot-XXXXXX");
        if (!mkdtemp(root))
                abort();
        fake_sysroot_write(root);
        return root;
}

static FILE *capture_file;
static int capture_saved = -1;

void stderr_capture_begin(void) {
        fflush(stderr);
        capture_file = tmpfile();
        capture_saved = dup(2);
        dup2(fileno(capture_file), 2);
}

const char *stderr_capture_end(void) {
        static char buf[16384];
        size_t n;

        fflush(stderr);
        dup2(capture_saved, 2);
        close(capture_saved);
        rewind(capture_file);
        n = fread(buf, 1, sizeof(buf) - 1, capture_file);
        buf[n] = '\0';
        fclose(capture_file);
        return buf;
}

void sim_host_env(const char *prefix, const char *dumps_dir, char *dir, size_t dir_size) {
        char p[512], text[4096];

        snprintf(dir, dir_size, "/tmp/%s-XXXXXX", prefix);
        if (!mkdtemp(dir))
                abort();
        snprintf(p, sizeof(p), "%s/sim.conf", dir);
        snprintf(text, sizeof(text), "%sstate %s/sim-state\n", fake_host_config, dir);
        write_text(p, text);
        snprintf(text, sizeof(text), "sim:%s", p);
        setenv("XKD_HV", text, 1);
        snprintf(p, sizeof(p), "%s/state", dir);
        setenv("XKD_STATE_DIR", p, 1);
        setenv("XKD_SYSROOT", fake_sysroot(), 1);
        snprintf(p, sizeof(p), "%s/xen-kdump.conf", dir);
        snprintf(text, sizeof(text), "target path %s\n", dumps_dir);
        write_text(p, text);
        setenv("XEN_KDUMP_CONF", p, 1);
}
