/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "vmcore-gen.h"
#include "vmcore.h"

/* An ET_CORE with the given note bytes and one PT_LOAD of `ram` bytes at
 * machine address 0x100000, filled with (offset & 0xff). */
static const char *write_core(const void *notes, size_t notes_len, size_t ram, uint16_t type) {
        static char path[64];
        strcpy(path, "/tmp/xkd-test-core-XXXXXX");
        int fd = mkstemp(path);
        Elf64_Ehdr eh = {
                .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
                .e_type = type, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2,
        };
        uint64_t notes_off = sizeof(eh) + 2 * sizeof(Elf64_Phdr), load_off = 8192;
        Elf64_Phdr ph[2] = {
                { .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes_len },
                { .p_type = PT_LOAD, .p_offset = load_off, .p_paddr = 0x100000, .p_filesz = ram, .p_memsz = ram },
        };
        uint8_t *mem = malloc(ram ? ram : 1);
        for (size_t i = 0; i < ram; i++)
                mem[i] = (uint8_t) i;
        if (pwrite(fd, &eh, sizeof(eh), 0) < 0 || pwrite(fd, ph, sizeof(ph), sizeof(eh)) < 0 ||
            pwrite(fd, notes, notes_len, (off_t) notes_off) < 0 || pwrite(fd, mem, ram, (off_t) load_off) < 0)
                path[0] = '\0';
        free(mem);
        close(fd);
        return path;
}

/* Opens and unlinks: the open file stays readable. */
static int open_core(const char *path, struct xkd_vmcore **vm) {
        int r = xkd_vmcore_open(path, vm);
        unlink(path);
        return r;
}

struct nb {
        uint8_t b[1024];
        size_t n;
};

static void add_note(struct nb *nb, uint32_t namesz, const char *name, uint32_t descsz, uint32_t type,
                     const void *desc, size_t desc_bytes) {
        uint32_t h[3] = { namesz, descsz, type };
        memcpy(nb->b + nb->n, h, 12);
        nb->n += 12;
        memcpy(nb->b + nb->n, name, strlen(name) + 1);
        nb->n += (strlen(name) + 1 + 3) & ~3u;
        memcpy(nb->b + nb->n, desc, desc_bytes);
        nb->n += (desc_bytes + 3) & ~3u;
}

static int count_notes(struct xkd_vmcore *vm, int *last) {
        size_t cursor = 0;
        struct xkd_note n;
        int count = 0, r;
        while ((r = xkd_vmcore_next_note(vm, &cursor, &n)) > 0)
                count++;
        *last = r;
        return count;
}

TEST(notes_iterate_and_stop_at_zero_padding) {
        struct nb nb = { .n = 0 };
        struct xkd_vmcore *vm = NULL;
        struct xkd_note n;
        size_t cursor = 0;
        int last;

        add_note(&nb, 5, "CORE", 8, 1, "12345678", 8);
        add_note(&nb, 4, "Xen", 3, 0x1000002, "abc", 3);
        nb.n += 64;     /* a zero-filled tail, like a whole VMCOREINFO_XEN buffer */
        ASSERT_EQ(open_core(write_core(nb.b, nb.n, 4096, ET_CORE), &vm), 0);
        ASSERT_EQ(xkd_vmcore_next_note(vm, &cursor, &n), 1);
        ASSERT_STREQ(n.name, "CORE");
        ASSERT_EQ(n.type, 1);
        ASSERT_EQ(n.desc_size, 8);
        ASSERT_MEMEQ(n.desc, "12345678", 8);
        ASSERT_EQ(xkd_vmcore_next_note(vm, &cursor, &n), 1);
        ASSERT_STREQ(n.name, "Xen");
        ASSERT_EQ(n.desc_size, 3);
        ASSERT_EQ(xkd_vmcore_next_note(vm, &cursor, &n), 0);
        ASSERT_FALSE(xkd_vmcore_truncated(vm));
        xkd_vmcore_free(vm);
        nb.n -= 64;
        ASSERT_EQ(open_core(write_core(nb.b, nb.n, 4096, ET_CORE), &vm), 0);
        ASSERT_EQ(count_notes(vm, &last), 2);
        ASSERT_EQ(last, 0);
        xkd_vmcore_free(vm);
}

TEST(malformed_notes_are_errors_not_crashes) {
        struct xkd_vmcore *vm = NULL;
        int last;
        struct nb nb;

        /* namesz pointing past the end */
        nb.n = 0;
        add_note(&nb, 5, "CORE", 4, 1, "abcd", 4);
        add_note(&nb, 0x7fffffff, "X", 0, 0, "", 0);
        ASSERT_EQ(open_core(write_core(nb.b, nb.n, 4096, ET_CORE), &vm), 0);
        ASSERT_EQ(count_notes(vm, &last), 1);
        ASSERT_EQ(last, -EBADMSG);
        xkd_vmcore_free(vm);

        /* descsz past the end, and a huge one that would wrap a 32-bit sum */
        uint32_t sizes[] = { 100, 0xfffffffc };
        for (size_t i = 0; i < 2; i++) {
                nb.n = 0;
                add_note(&nb, 4, "Xen", sizes[i], 1, "abcd", 4);
                ASSERT_EQ(open_core(write_core(nb.b, nb.n, 4096, ET_CORE), &vm), 0);
                ASSERT_EQ(count_notes(vm, &last), 0);
                ASSERT_EQ(last, -EBADMSG);
                xkd_vmcore_free(vm);
        }

        /* a name without its NUL */
        nb.n = 0;
        add_note(&nb, 3, "Xen", 0, 1, "", 0);
        ASSERT_EQ(open_core(write_core(nb.b, nb.n, 4096, ET_CORE), &vm), 0);
        ASSERT_EQ(count_notes(vm, &last), 0);
        ASSERT_EQ(last, -EBADMSG);
        xkd_vmcore_free(vm);

        /* a header cut short */
        nb.n = 0;
        add_note(&nb, 4, "Xen", 4, 1, "abcd", 4);
        ASSERT_EQ(open_core(write_core(nb.b, nb.n + 8, 4096, ET_CORE), &vm), 0);
        ASSERT_EQ(count_notes(vm, &last), 1);
        xkd_vmcore_free(vm);
}

TEST(reads_by_machine_address_and_ranges) {
        struct xkd_vmcore *vm = NULL;
        uint8_t buf[16], page[4096];

        ASSERT_EQ(open_core(write_core("", 0, 3 * 4096, ET_CORE), &vm), 0);
        ASSERT_EQ(xkd_vmcore_nr_ranges(vm), 1);
        ASSERT_U64_EQ(xkd_vmcore_range(vm, 0)->start, 0x100000);
        ASSERT_U64_EQ(xkd_vmcore_max_pfn(vm), 0x103);
        ASSERT_TRUE(xkd_vmcore_is_ram(vm, 0x102));
        ASSERT_FALSE(xkd_vmcore_is_ram(vm, 0x103));
        ASSERT_FALSE(xkd_vmcore_is_ram(vm, 0xff));
        ASSERT_EQ(xkd_vmcore_read(vm, 0x100010, buf, 4), 0);
        ASSERT_EQ(buf[0], 0x10);
        ASSERT_EQ(buf[3], 0x13);
        ASSERT_EQ(xkd_vmcore_read_page(vm, 0x101, page), 0);
        ASSERT_EQ(page[1], 1);
        ASSERT_EQ(xkd_vmcore_read(vm, 0x102ffc, buf, 8), -EFAULT);
        ASSERT_EQ(xkd_vmcore_read(vm, 0xfffff, buf, 2), -EFAULT);
        ASSERT_EQ(xkd_vmcore_read_page(vm, UINT64_MAX, page), -EFAULT);
        xkd_vmcore_free(vm);
}

TEST(partly_covered_page_reads_zeros_outside_the_range) {
        struct xkd_vmcore *vm = NULL;
        uint8_t page[4096];

        /* RAM [0x100000, 0x101c00): the second page is covered up to 0xc00. */
        ASSERT_EQ(open_core(write_core("", 0, 4096 + 0xc00, ET_CORE), &vm), 0);
        ASSERT_TRUE(xkd_vmcore_is_ram(vm, 0x101));
        ASSERT_FALSE(xkd_vmcore_is_ram(vm, 0x102));
        memset(page, 0xee, sizeof(page));
        ASSERT_EQ(xkd_vmcore_read_page(vm, 0x101, page), 0);
        ASSERT_EQ(page[0], 0x00);
        ASSERT_EQ(page[1], 0x01);
        ASSERT_EQ(page[0xbff], 0xff);
        ASSERT_EQ(page[0xc00], 0);
        ASSERT_EQ(page[0xfff], 0);
        ASSERT_EQ(xkd_vmcore_read_page(vm, 0x102, page), -EFAULT);
        ASSERT_EQ(xkd_vmcore_read(vm, 0x101000, page, 4096), -EFAULT);
        xkd_vmcore_free(vm);
}

TEST(truncated_file_is_flagged_and_reads_report_eio) {
        struct xkd_vmcore *vm = NULL;
        uint8_t page[4096];
        const char *path = write_core("", 0, 4 * 4096, ET_CORE);

        ASSERT_EQ(truncate(path, 8192 + 4096 + 100), 0);
        ASSERT_EQ(xkd_vmcore_open(path, &vm), 0);
        ASSERT_TRUE(xkd_vmcore_truncated(vm));
        ASSERT_EQ(xkd_vmcore_read_page(vm, 0x100, page), 0);
        ASSERT_EQ(xkd_vmcore_read_page(vm, 0x101, page), -EIO);
        ASSERT_EQ(xkd_vmcore_read_page(vm, 0x103, page), -EIO);
        ASSERT_EQ(xkd_vmcore_read(vm, 0x101000, page, 100), 0);
        xkd_vmcore_free(vm);
        unlink(path);
}

TEST(not_a_core_file_is_refused) {
        struct xkd_vmcore *vm = NULL;
        const char *path = write_core("", 0, 4096, ET_EXEC);

        ASSERT_EQ(xkd_vmcore_open(path, &vm), -EBADMSG);
        int fd = open(path, O_WRONLY | O_TRUNC);
        ASSERT_EQ(write(fd, "hello, not an ELF file at all........................................", 70), 70);
        close(fd);
        ASSERT_EQ(xkd_vmcore_open(path, &vm), -EBADMSG);
        ASSERT_EQ(xkd_vmcore_open("/nonexistent/vmcore", &vm), -ENOENT);
        unlink(path);
}

TEST(generator_vmcore_round_trips_pages_and_hole) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .ram_size = 10u << 20, .hole_size = 1u << 20 });
        struct xkd_vmcore *vm = NULL;
        uint8_t page[4096];
        char path[] = "/tmp/xkd-test-gen-XXXXXX";
        close(mkstemp(path));

        memset(vmgen_page(g, 100), 0x5a, 4096);
        memset(vmgen_page(g, 2000), 0xa5, 4096);        /* above the hole */
        ASSERT_EQ(vmgen_write(g, path), 0);
        ASSERT_EQ(xkd_vmcore_open(path, &vm), 0);
        ASSERT_EQ(xkd_vmcore_nr_ranges(vm), 2);
        ASSERT_FALSE(xkd_vmcore_is_ram(vm, (6u << 20) / 4096));
        ASSERT_TRUE(xkd_vmcore_is_ram(vm, (7u << 20) / 4096));
        ASSERT_U64_EQ(xkd_vmcore_max_pfn(vm), vmgen_max_pfn(g));
        ASSERT_EQ(xkd_vmcore_read_page(vm, 100, page), 0);
        ASSERT_MEMEQ(page, vmgen_page(g, 100), 4096);
        ASSERT_EQ(xkd_vmcore_read_page(vm, 2000, page), 0);
        ASSERT_MEMEQ(page, vmgen_page(g, 2000), 4096);
        xkd_vmcore_free(vm);
        unlink(path);
        vmgen_free(g);
}

/* Every RAM byte of g read from vm in chunks of chunk bytes. */
static int read_all(struct vmgen *g, struct xkd_vmcore *vm, uint8_t *got, size_t chunk) {
        uint64_t max = vmgen_max_pfn(g);

        for (uint64_t m = 0; m < max; m++) {
                if (!vmgen_is_ram(g, m))
                        continue;
                uint64_t run = 1;
                while (m + run < max && vmgen_is_ram(g, m + run))
                        run++;
                for (uint64_t a = m * 4096; a < (m + run) * 4096;) {
                        size_t n = chunk;
                        if (n > (m + run) * 4096 - a)
                                n = (size_t) ((m + run) * 4096 - a);
                        int r = xkd_vmcore_read(vm, a, got + a, n);
                        if (r < 0)
                                return r;
                        a += n;
                }
                m += run - 1;
        }
        return 0;
}

/* Reads in odd sizes that cross ranges, the hole and the 4 MiB windows
 * (vmcore.c: big reads map windows, small ones use read() unless a window
 * holds them) give the generator's bytes; then a cut file's last partial
 * page still reads (pread) and what it lost reports EIO. */
TEST(reads_across_mapped_windows_and_a_cut_tail) {
        struct vmgen *g = vmgen_new(&(struct vmgen_config) { .ram_size = 14u << 20, .hole_size = 1u << 20 });
        struct xkd_vmcore *vm = NULL;
        char path[] = "/tmp/xkd-test-win-XXXXXX";
        close(mkstemp(path));
        uint64_t max = vmgen_max_pfn(g);
        uint8_t *want = calloc(max, 4096), *got = calloc(max, 4096);
        const size_t chunks[] = { 12345, 300000, 4096 };

        for (uint64_t m = 0; m < max; m++)
                if (vmgen_is_ram(g, m)) {
                        uint8_t *pg = vmgen_page(g, m);
                        for (int i = 0; i < 4096; i += 8)
                                memcpy(pg + i, &(uint64_t) { m * 4096 + (uint64_t) i }, 8);
                        memcpy(want + m * 4096, pg, 4096);
                }
        ASSERT_EQ(vmgen_write(g, path), 0);
        ASSERT_EQ(xkd_vmcore_open(path, &vm), 0);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
                memset(got, 0, max * 4096);
                ASSERT_EQ(read_all(g, vm, got, chunks[i]), 0);
                ASSERT_MEMEQ(got, want, max * 4096);
        }
        xkd_vmcore_free(vm);

        /* Cut 100 bytes into the last page: its first 100 bytes still read. */
        struct stat st;
        ASSERT_EQ(stat(path, &st), 0);
        ASSERT_EQ(truncate(path, st.st_size - 4096 + 100), 0);
        ASSERT_EQ(xkd_vmcore_open(path, &vm), 0);
        uint8_t *tail = malloc(300000);
        ASSERT_EQ(xkd_vmcore_read(vm, (max - 1) * 4096, tail, 100), 0);
        ASSERT_MEMEQ(tail, want + (max - 1) * 4096, 100);
        ASSERT_EQ(xkd_vmcore_read(vm, (max - 1) * 4096, tail, 101), -EIO);
        ASSERT_EQ(xkd_vmcore_read(vm, (max - 70) * 4096, tail, 69 * 4096 + 100), 0);     /* a window, then pread */
        ASSERT_MEMEQ(tail, want + (max - 70) * 4096, 69 * 4096 + 100);
        free(tail);
        xkd_vmcore_free(vm);
        unlink(path);
        free(want);
        free(got);
        vmgen_free(g);
}

TEST_MAIN()
