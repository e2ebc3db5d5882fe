/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "vmcore.h"

/* Notes are a few KiB per CPU; anything near this is not a vmcore's notes. */
#define XKD_NOTES_MAX (64u << 20)
#define XKD_RANGES_MAX 65536u
/* x86_64's architectural limit (MAXPHYADDR <= 52): no RAM lies above it. */
#define XKD_PHYS_LIMIT (UINT64_C(1) << 52)
/* Windows mapped at once (32 MiB of address space; /proc/vmcore's mappings
 * are old memory, no RAM of the capture kernel's): the filter goes back and
 * forth between Xen's page tables, the frame table, dom0's struct pages and
 * its p2m, each in its own part of memory.  With one window every switch was
 * a remap of 4 MiB: 4,584 before the dump on a 2 GiB host, 540 with the
 * reads batched, 164 with four windows, 27 with eight. */
#define MAP_WINDOWS 8u

struct xkd_vmcore {
        int fd;
        uint64_t file_size;
        bool truncated;
        struct xkd_ram_range *ranges;   /* sorted by start */
        size_t nr_ranges;
        uint8_t *notes;
        size_t notes_size;
        size_t dropped;                 /* PT_LOADs no x86_64 machine can have */
        uint64_t dropped_bytes, dropped_first;
        /* The file mapped a few windows at a time (read_at()); no_map after a refusal. */
        struct map_window {
                uint8_t *p;
                uint64_t off, len, used;        /* used: last use, for replacing the oldest */
        } win[MAP_WINDOWS];
        uint64_t win_clock, maps;
        bool no_map;
        uint64_t reads, read_bytes;     /* memory reads asked for: a copy from the window or a pread */
};

/*
 * read() of /proc/vmcore maps, copies and unmaps each page of old memory on
 * its own (x86's copy_oldmem_page: ioremap, copy, iounmap), a kernel mapping
 * and its teardown per 4 KiB; mmap() maps a whole window once (makedumpfile
 * reads through 4 MiB mappings for this).  A window is never mapped past
 * the size the file had at open, so a regular file's end is never touched.
 */
#define MAP_WINDOW (UINT64_C(4) << 20)
#define MAP_MIN_READ (64u << 10)

static void unmap_windows(struct xkd_vmcore *vm) {
        for (unsigned i = 0; i < MAP_WINDOWS; i++) {
                if (vm->win[i].p)
                        munmap(vm->win[i].p, (size_t) vm->win[i].len);
                vm->win[i] = (struct map_window) { 0 };
        }
}

/* The window holding off; else, when map_new, one mapped there in place of the
 * least recently used; NULL when off must be read with pread. */
static struct map_window *window_for(struct xkd_vmcore *vm, uint64_t off, bool map_new) {
        struct map_window *victim = &vm->win[0];

        for (unsigned i = 0; i < MAP_WINDOWS; i++) {
                struct map_window *w = &vm->win[i];
                if (w->p && off - w->off < w->len) {
                        w->used = ++vm->win_clock;
                        return w;
                }
                if (w->used < victim->used)
                        victim = w;
        }
        if (!map_new)
                return NULL;
        uint64_t start = off & ~(MAP_WINDOW - 1);
        uint64_t len = vm->file_size - start < MAP_WINDOW ? vm->file_size - start : MAP_WINDOW;

        /* Whole pages only: /proc/vmcore refuses a mapping past its size. */
        len &= ~(uint64_t) 4095;
        if (off >= start + len)
                return NULL;            /* the file's last partial page: pread */
        void *m = mmap(NULL, (size_t) len, PROT_READ, MAP_PRIVATE, vm->fd, (off_t) start);
        if (m == MAP_FAILED) {
                log_debug("vmcore: mmap at %llu failed (%m): reading with pread", (unsigned long long) start);
                vm->no_map = true;
                return NULL;
        }
        if (victim->p)
                munmap(victim->p, (size_t) victim->len);
        *victim = (struct map_window) { .p = m, .off = start, .len = len, .used = ++vm->win_clock };
        vm->maps++;
        return victim;
}

/* n bytes at file offset off, inside file_size (checked by the caller). */
static int read_at(struct xkd_vmcore *vm, uint8_t *p, size_t n, uint64_t off) {
        while (n > 0 && !vm->no_map) {
                /* A new window only for a bulk read: mapping 4 MiB for one
                 * scattered page (the filters' page-table and struct page
                 * reads) cost 3x what read() does (measured in the capture
                 * kernel under QEMU); a page inside a mapped window is copied. */
                struct map_window *w = window_for(vm, off, n >= MAP_MIN_READ);
                if (!w)
                        break;
                size_t k = (size_t) (w->off + w->len - off);
                if (k > n)
                        k = n;
                memcpy(p, w->p + (off - w->off), k);
                p += k;
                off += k;
                n -= k;
        }
        if (n == 0)
                return 0;
        ssize_t got = pread(vm->fd, p, n, (off_t) off);
        if (got < 0)
                return -errno;
        return (size_t) got == n ? 0 : -EIO;
}

static int range_cmp(const void *a, const void *b) {
        const struct xkd_ram_range *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

/* Reads what the file has; a short read of a segment marks truncation. */
static int append_notes(struct xkd_vmcore *vm, uint64_t offset, uint64_t size) {
        if (size == 0)
                return 0;
        if (size > XKD_NOTES_MAX || vm->notes_size + size > XKD_NOTES_MAX)
                return log_error_errno(-EBADMSG, "PT_NOTE of %llu bytes is implausible: the vmcore is damaged, save it with makedumpfile instead",
                                       (unsigned long long) size);
        uint8_t *n = realloc(vm->notes, vm->notes_size + size);
        if (!n)
                return -ENOMEM;
        vm->notes = n;
        ssize_t got = 0;
        if (offset < vm->file_size) {
                got = pread(vm->fd, n + vm->notes_size, size, (off_t) offset);
                if (got < 0)
                        return log_error_errno(-errno, "Failed to read the vmcore's notes: %m");
        }
        if ((uint64_t) got < size) {
                vm->truncated = true;
                /* Keep whole 4-byte units only; the note walker stops at the cut. */
                got &= ~(ssize_t) 3;
        }
        vm->notes_size += (size_t) got;
        return 0;
}

static int load_headers(struct xkd_vmcore *vm) {
        Elf *elf = elf_begin(vm->fd, ELF_C_READ, NULL);
        GElf_Ehdr eh;
        size_t phnum;
        int r = 0;

        if (vm->file_size < sizeof(Elf64_Ehdr)) {
                vm->truncated = true;
                if (elf)
                        elf_end(elf);
                return log_error_errno(-EBADMSG, "The vmcore is cut short (%llu bytes, less than an ELF header): nothing to read",
                                       (unsigned long long) vm->file_size);
        }
        if (!elf)
                return log_error_errno(-EBADMSG, "Failed to parse the vmcore's ELF header (%s): is it a vmcore?", elf_errmsg(-1));
        if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 || !gelf_getehdr(elf, &eh)) {
                r = log_error_errno(-EBADMSG, "Not a 64-bit ELF file: give the collector /proc/vmcore or a copy of it");
                goto out;
        }
        if (eh.e_type != ET_CORE || eh.e_machine != EM_X86_64) {
                r = log_error_errno(-EBADMSG, "Not an x86_64 ELF core file (type %u, machine %u): give the collector /proc/vmcore",
                                    eh.e_type, eh.e_machine);
                goto out;
        }
        if (eh.e_phoff + (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr) > vm->file_size)
                vm->truncated = true;
        if (elf_getphdrnum(elf, &phnum) < 0) {
                r = log_error_errno(-EBADMSG, "Failed to read the vmcore's program headers (%s): the file is cut short or damaged",
                                    elf_errmsg(-1));
                goto out;
        }
        if (phnum > XKD_RANGES_MAX) {
                r = log_error_errno(-EBADMSG, "The vmcore claims %zu program headers: damaged", phnum);
                goto out;
        }
        vm->ranges = calloc(phnum ? phnum : 1, sizeof(*vm->ranges));
        if (!vm->ranges) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(elf, (int) i, &ph)) {
                        r = log_error_errno(-EBADMSG, "Failed to read program header %zu (%s): the vmcore is damaged", i, elf_errmsg(-1));
                        goto out;
                }
                if (ph.p_offset + ph.p_filesz < ph.p_offset) {
                        r = log_error_errno(-EBADMSG, "Program header %zu wraps around: the vmcore is damaged", i);
                        goto out;
                }
                if (ph.p_offset + ph.p_filesz > vm->file_size)
                        vm->truncated = true;
                if (ph.p_type == PT_NOTE) {
                        r = append_notes(vm, ph.p_offset, ph.p_filesz);
                        if (r < 0)
                                goto out;
                } else if (ph.p_type == PT_LOAD && ph.p_filesz > 0) {
                        /* Wrapping past 2^64 or above the architecture's physical limit:
                         * not RAM, and never silently left out of a "complete" dump. */
                        if (ph.p_paddr + ph.p_filesz < ph.p_paddr || ph.p_paddr + ph.p_filesz > XKD_PHYS_LIMIT) {
                                if (!vm->dropped++)
                                        vm->dropped_first = ph.p_paddr;
                                vm->dropped_bytes += ph.p_filesz;
                                continue;
                        }
                        vm->ranges[vm->nr_ranges++] = (struct xkd_ram_range) {
                                .start = ph.p_paddr, .size = ph.p_filesz, .file_offset = ph.p_offset,
                        };
                }
        }
        qsort(vm->ranges, vm->nr_ranges, sizeof(*vm->ranges), range_cmp);
out:
        elf_end(elf);
        return r;
}

int xkd_vmcore_open(const char *path, struct xkd_vmcore **ret) {
        struct xkd_vmcore *vm;
        struct stat st;
        int r;

        if (elf_version(EV_CURRENT) == EV_NONE)
                return log_error_errno(-ENOTSUP, "libelf is unusable (%s): reinstall libelf", elf_errmsg(-1));
        vm = calloc(1, sizeof(*vm));
        if (!vm)
                return -ENOMEM;
        /* Never a FIFO or device: a capture must not block forever (files.h). */
        vm->fd = xkd_open_regular(path, "vmcore", "pass /proc/vmcore or a saved vmcore file with --vmcore", &st);
        if (vm->fd < 0) {
                r = vm->fd;
                goto fail;
        }
        vm->file_size = (uint64_t) st.st_size;
        r = load_headers(vm);
        if (r < 0)
                goto fail;
        if (vm->truncated)
                log_warning("%s is shorter than its program headers promise: reading what is there", path);
        *ret = vm;
        return 0;
fail:
        xkd_vmcore_free(vm);
        return r;
}

struct xkd_vmcore *xkd_vmcore_free(struct xkd_vmcore *vm) {
        if (!vm)
                return NULL;
        unmap_windows(vm);
        if (vm->fd >= 0)
                close(vm->fd);
        free(vm->ranges);
        free(vm->notes);
        free(vm);
        return NULL;
}

size_t xkd_vmcore_nr_ranges(const struct xkd_vmcore *vm) {
        return vm->nr_ranges;
}

const struct xkd_ram_range *xkd_vmcore_range(const struct xkd_vmcore *vm, size_t i) {
        return i < vm->nr_ranges ? &vm->ranges[i] : NULL;
}

uint64_t xkd_vmcore_max_pfn(const struct xkd_vmcore *vm) {
        uint64_t max = 0;
        for (size_t i = 0; i < vm->nr_ranges; i++) {
                uint64_t end = (vm->ranges[i].start + vm->ranges[i].size + XKD_PAGE_SIZE - 1) / XKD_PAGE_SIZE;
                if (end > max)
                        max = end;
        }
        return max;
}

/* The range holding maddr: binary search for the last start <= maddr, then
 * look back over overlapping ranges (there are none in real vmcores). */
static const struct xkd_ram_range *find_range(const struct xkd_vmcore *vm, uint64_t maddr) {
        size_t lo = 0, hi = vm->nr_ranges;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (vm->ranges[mid].start <= maddr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i > 0; i--) {
                const struct xkd_ram_range *rr = &vm->ranges[i - 1];
                if (maddr - rr->start < rr->size)
                        return rr;
                if (lo - i > 8)
                        break;
        }
        return NULL;
}

/* The first range starting in [from, to), or NULL. */
static const struct xkd_ram_range *range_starting_in(const struct xkd_vmcore *vm, uint64_t from, uint64_t to) {
        size_t lo = 0, hi = vm->nr_ranges;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (vm->ranges[mid].start < from)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < vm->nr_ranges && vm->ranges[lo].start < to ? &vm->ranges[lo] : NULL;
}

/* A page counts as RAM when any of its bytes is: firmware maps end RAM at
 * 0x9fc00, and that page is still worth dumping. */
bool xkd_vmcore_is_ram(const struct xkd_vmcore *vm, uint64_t mfn) {
        if (mfn > UINT64_MAX / XKD_PAGE_SIZE - 1)
                return false;
        uint64_t a = mfn * XKD_PAGE_SIZE;
        return find_range(vm, a) != NULL || range_starting_in(vm, a, a + XKD_PAGE_SIZE) != NULL;
}

bool xkd_vmcore_truncated(const struct xkd_vmcore *vm) {
        return vm->truncated;
}

size_t xkd_vmcore_dropped_ranges(const struct xkd_vmcore *vm, uint64_t *bytes, uint64_t *first_paddr) {
        if (bytes)
                *bytes = vm->dropped_bytes;
        if (first_paddr)
                *first_paddr = vm->dropped_first;
        return vm->dropped;
}

int xkd_vmcore_read(struct xkd_vmcore *vm, uint64_t maddr, void *buf, size_t len) {
        uint8_t *p = buf;

        while (len > 0) {
                const struct xkd_ram_range *rr = find_range(vm, maddr);
                if (!rr)
                        return -EFAULT;
                uint64_t in = maddr - rr->start;
                size_t n = len;
                if (n > rr->size - in)
                        n = (size_t) (rr->size - in);
                uint64_t off = rr->file_offset + in;
                if (off >= vm->file_size || n > vm->file_size - off)
                        return -EIO;
                int r = read_at(vm, p, n, off);
                vm->reads++;
                if (r < 0)
                        return r;
                vm->read_bytes += n;
                p += n;
                maddr += n;
                len -= n;
        }
        return 0;
}

/* Bytes of a partly covered page that no PT_LOAD holds read as zeros. */
int xkd_vmcore_read_page(struct xkd_vmcore *vm, uint64_t mfn, void *buf) {
        uint8_t *p = buf;
        bool any = false;

        if (mfn > UINT64_MAX / XKD_PAGE_SIZE - 1)
                return -EFAULT;
        uint64_t a = mfn * XKD_PAGE_SIZE, end = a + XKD_PAGE_SIZE;
        while (a < end) {
                const struct xkd_ram_range *rr = find_range(vm, a);
                uint64_t n;
                if (rr) {
                        n = rr->start + rr->size - a;
                        if (n > end - a)
                                n = end - a;
                        int r = xkd_vmcore_read(vm, a, p + (a - mfn * XKD_PAGE_SIZE), (size_t) n);
                        if (r < 0)
                                return r;
                        any = true;
                } else {
                        const struct xkd_ram_range *next = range_starting_in(vm, a, end);
                        n = (next ? next->start : end) - a;
                        memset(p + (a - mfn * XKD_PAGE_SIZE), 0, (size_t) n);
                }
                a += n;
        }
        return any ? 0 : -EFAULT;
}

void xkd_vmcore_read_stats(const struct xkd_vmcore *vm, uint64_t *reads, uint64_t *bytes) {
        *reads = vm->reads;
        *bytes = vm->read_bytes;
}

uint64_t xkd_vmcore_maps(const struct xkd_vmcore *vm) {
        return vm->maps;
}

const void *xkd_vmcore_notes(const struct xkd_vmcore *vm, size_t *size) {
        *size = vm->notes_size;
        return vm->notes;
}

int xkd_vmcore_next_note(const struct xkd_vmcore *vm, size_t *cursor, struct xkd_note *note) {
        size_t off = *cursor, size = vm->notes_size;
        const uint8_t *n = vm->notes;
        uint32_t namesz, descsz, type;

        if (off >= size || size - off < 12)
                return 0;
        memcpy(&namesz, n + off, 4);
        memcpy(&descsz, n + off + 4, 4);
        memcpy(&type, n + off + 8, 4);
        /* Zero padding after the last note (a whole 4 KiB VMCOREINFO_XEN buffer). */
        if (namesz == 0 && descsz == 0 && type == 0)
                return 0;
        size_t name_off = off + 12;
        size_t name_len = ((size_t) namesz + 3) & ~(size_t) 3;
        size_t desc_len = ((size_t) descsz + 3) & ~(size_t) 3;
        if (name_len > size - name_off)
                return -EBADMSG;
        size_t desc_off = name_off + name_len;
        /* The last note's descriptor may lack its padding. */
        if (descsz > size - desc_off)
                return -EBADMSG;
        if (namesz > 0 && n[name_off + namesz - 1] != '\0')
                return -EBADMSG;

        *note = (struct xkd_note) {
                .name = namesz > 0 ? (const char *) n + name_off : "",
                .type = type,
                .desc = n + desc_off,
                .desc_size = descsz,
                .offset = off,
        };
        *cursor = desc_len > size - desc_off ? size : desc_off + desc_len;
        return 1;
}
