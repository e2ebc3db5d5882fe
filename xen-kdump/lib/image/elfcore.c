/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "elfcore.h"
#include "log.h"

size_t xkd_elfcore_size(unsigned nr_notes, unsigned nr_loads) {
        return sizeof(Elf64_Ehdr) + (size_t) (nr_notes + nr_loads) * sizeof(Elf64_Phdr);
}

int xkd_elfcore_ram_ranges(const struct xkd_e820 *machine, unsigned nr_machine,
                           const struct xkd_range *crash,
                           struct xkd_range *out, unsigned max, unsigned *ret_n) {
        uint64_t cs = crash->start, ce = crash->start + crash->size;
        unsigned n = 0;

        for (unsigned i = 0; i < nr_machine; i++) {
                uint64_t s = machine[i].addr, e = s + machine[i].size;
                struct xkd_range parts[2];
                unsigned np = 0;

                if (machine[i].type != XKD_E820_RAM || e <= s)
                        continue;
                if (e <= cs || s >= ce)
                        parts[np++] = (struct xkd_range) { s, e - s };
                else {
                        if (s < cs)
                                parts[np++] = (struct xkd_range) { s, cs - s };
                        if (e > ce)
                                parts[np++] = (struct xkd_range) { ce, e - ce };
                }
                for (unsigned j = 0; j < np; j++) {
                        if (n >= max)
                                return -E2BIG;
                        out[n++] = parts[j];
                }
        }
        *ret_n = n;
        return 0;
}

int xkd_elfcore_build(const struct xkd_elfcore_input *in, void *buf, size_t size, size_t *ret_size) {
        struct xkd_range loads[XKD_ELFCORE_MAX_LOADS];
        unsigned nr_loads;
        size_t need;
        int r;

        if (in->nr_notes > XKD_ELFCORE_MAX_NOTES)
                return -E2BIG;
        r = xkd_elfcore_ram_ranges(in->machine, in->nr_machine, &in->crash, loads, XKD_ELFCORE_MAX_LOADS, &nr_loads);
        if (r < 0)
                return r;
        need = xkd_elfcore_size(in->nr_notes, nr_loads);
        if (need > size)
                return -ENOBUFS;

        memset(buf, 0, need);
        Elf64_Ehdr *eh = buf;
        memcpy(eh->e_ident, ELFMAG, SELFMAG);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_ident[EI_DATA] = ELFDATA2LSB;
        eh->e_ident[EI_VERSION] = EV_CURRENT;
        eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
        eh->e_type = ET_CORE;
        eh->e_machine = EM_X86_64;
        eh->e_version = EV_CURRENT;
        eh->e_phoff = sizeof(Elf64_Ehdr);
        eh->e_ehsize = sizeof(Elf64_Ehdr);
        eh->e_phentsize = sizeof(Elf64_Phdr);
        eh->e_phnum = (Elf64_Half) (in->nr_notes + nr_loads);

        Elf64_Phdr *ph = (Elf64_Phdr *) ((uint8_t *) buf + sizeof(Elf64_Ehdr));
        for (unsigned i = 0; i < in->nr_notes; i++, ph++) {
                ph->p_type = PT_NOTE;
                ph->p_offset = ph->p_paddr = in->notes[i].start;
                ph->p_filesz = ph->p_memsz = in->notes[i].size;
        }
        for (unsigned i = 0; i < nr_loads; i++, ph++) {
                ph->p_type = PT_LOAD;
                ph->p_flags = PF_R | PF_W | PF_X;
                ph->p_offset = ph->p_paddr = loads[i].start;
                ph->p_vaddr = 0;
                ph->p_filesz = ph->p_memsz = loads[i].size;
        }
        *ret_size = need;
        return 0;
}

long xkd_elf_note(void *buf, size_t size, const char *name, uint32_t type, const void *desc, size_t desc_size) {
        size_t namesz = strlen(name) + 1;
        size_t total = sizeof(Elf64_Nhdr) + ((namesz + 3) & ~(size_t) 3) + ((desc_size + 3) & ~(size_t) 3);
        Elf64_Nhdr nh = { (Elf64_Word) namesz, (Elf64_Word) desc_size, type };

        if (total > size)
                return -ENOBUFS;
        memset(buf, 0, total);
        memcpy(buf, &nh, sizeof(nh));
        memcpy((uint8_t *) buf + sizeof(nh), name, namesz);
        memcpy((uint8_t *) buf + sizeof(nh) + ((namesz + 3) & ~(size_t) 3), desc, desc_size);
        return (long) total;
}
