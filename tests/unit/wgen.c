/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wgen.h"

#define PAGE 4096u

int wgen_add_note(struct wgen *g, const char *name, uint32_t type, const void *desc, size_t desc_size) {
        size_t namesz = strlen(name) + 1;
        size_t total = sizeof(Elf64_Nhdr) + ((namesz + 3) & ~3u) + ((desc_size + 3) & ~(size_t) 3);
        uint8_t *n = realloc(g->notes, g->notes_size + total), *p;
        Elf64_Nhdr h = { .n_namesz = (Elf64_Word) namesz, .n_descsz = (Elf64_Word) desc_size, .n_type = type };

        if (!n)
                return -ENOMEM;
        g->notes = n;
        p = n + g->notes_size;
        memset(p, 0, total);
        memcpy(p, &h, sizeof(h));
        memcpy(p + sizeof(h), name, namesz);
        if (desc_size)
                memcpy(p + sizeof(h) + ((namesz + 3) & ~3u), desc, desc_size);
        g->notes_size += total;
        return 0;
}

int wgen_add_xen_notes(struct wgen *g, unsigned xen_major, unsigned xen_minor) {
        uint8_t prstatus[336] = { 0 };
        uint64_t crash_info[10] = { xen_major, xen_minor };
        static const char vmcoreinfo[] =
                "PAGESIZE=4096\nSIZE(page_info)=32\nOFFSET(page_info.count_info)=8\n";
        int r = 0;

        for (unsigned cpu = 0; cpu < 2 && r == 0; cpu++) {
                uint64_t rip = 0xffff82d040200000ull + cpu;
                memcpy(prstatus + 112 + 16 * 8, &rip, 8); /* pr_reg[16] = rip */
                r = wgen_add_note(g, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
        }
        if (r == 0)
                r = wgen_add_note(g, "Xen", 0x1000001, crash_info, sizeof(crash_info));
        if (r == 0)
                r = wgen_add_note(g, "VMCOREINFO_XEN", 0, vmcoreinfo, sizeof(vmcoreinfo) - 1);
        return r;
}

static int write_all(int fd, const void *buf, size_t len, off_t off) {
        const uint8_t *p = buf;
        while (len) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n <= 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
                off += n;
        }
        return 0;
}

int wgen_write(const struct wgen *g, const char *path) {
        unsigned phnum = 1 + g->nr_ranges;
        Elf64_Ehdr eh = { 0 };
        Elf64_Phdr ph[1 + WGEN_MAX_RANGES] = { 0 };
        uint8_t *page = malloc(PAGE);
        uint64_t off;
        int fd, r = 0;

        if (!page)
                return -ENOMEM;
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_type = ET_CORE;
        eh.e_machine = EM_X86_64;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = sizeof(eh);
        eh.e_ehsize = sizeof(eh);
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = (Elf64_Half) phnum;

        off = sizeof(eh) + phnum * sizeof(Elf64_Phdr);
        ph[0].p_type = PT_NOTE;
        ph[0].p_offset = off;
        ph[0].p_filesz = ph[0].p_memsz = g->notes_size;
        off = (off + g->notes_size + PAGE - 1) & ~(uint64_t) (PAGE - 1);
        for (unsigned i = 0; i < g->nr_ranges; i++) {
                ph[1 + i].p_type = PT_LOAD;
                ph[1 + i].p_flags = PF_R | PF_W | PF_X;
                ph[1 + i].p_offset = off;
                ph[1 + i].p_paddr = g->ranges[i].start_mfn * PAGE;
                ph[1 + i].p_vaddr = 0;
                ph[1 + i].p_filesz = ph[1 + i].p_memsz = g->ranges[i].pages * PAGE - g->ranges[i].short_bytes;
                ph[1 + i].p_align = 0;
                off += g->ranges[i].pages * PAGE;
        }

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                free(page);
                return -errno;
        }
        r = write_all(fd, &eh, sizeof(eh), 0);
        if (r == 0)
                r = write_all(fd, ph, phnum * sizeof(Elf64_Phdr), sizeof(eh));
        if (r == 0 && g->notes_size)
                r = write_all(fd, g->notes, g->notes_size, (off_t) ph[0].p_offset);
        for (unsigned i = 0; i < g->nr_ranges && r == 0; i++)
                for (uint64_t k = 0; k < g->ranges[i].pages && r == 0; k++) {
                        uint64_t mfn = g->ranges[i].start_mfn + k;
                        memset(page, 0, PAGE);
                        if (g->fill)
                                g->fill(mfn, page, g->userdata);
                        r = write_all(fd, page, k + 1 == g->ranges[i].pages ? PAGE - g->ranges[i].short_bytes : PAGE,
                                      (off_t) (ph[1 + i].p_offset + k * PAGE));
                }
        close(fd);
        free(page);
        return r;
}

void wgen_done(struct wgen *g) {
        free(g->notes);
        g->notes = NULL;
        g->notes_size = 0;
}

void wgen_pattern(uint64_t mfn, uint8_t *page) {
        uint64_t x = mfn * 0x9e3779b97f4a7c15ull + 1;

        /* Half random words, half a repeating tag: compressible, but not to nothing. */
        for (unsigned i = 0; i < PAGE / 8; i++) {
                uint64_t v;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v = (i & 1) ? x : (mfn << 16 | i);
                memcpy(page + i * 8, &v, 8);
        }
}
