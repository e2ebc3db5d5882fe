/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the binary inputs of the bad-input catalogue (tests/bad-input/manifest)
 * into OUTDIR: vmcore/NAME (damaged synthetic Xen vmcores from the unit tests'
 * generator), kernel/NAME and initrd/NAME (damaged bzImages and initramfs
 * files), and the good kernel, initrd and simulated host the loader cases
 * start from.  Each input is a good one with one thing broken, so the case
 * says which parser or check it is aimed at.  Usage: bad-input-gen OUTDIR
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "gen-vmcore.h"
#include "vmcore-gen-internal.h"
#include "vmcore-gen.h"
#include "xkd-note.h"

const char *out;
static unsigned count;


void die(const char *what) {
        fprintf(stderr, "bad-input-gen: %s: %s\n", what, strerror(errno));
        exit(1);
}

void emit(const char *kind, const char *name, const void *p, size_t n) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", out, kind);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/%s/%s", out, kind, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (n && write(fd, p, n) != (ssize_t) n) || close(fd) < 0)
                die(path);
        count++;
}

/* ---- vmcores ------------------------------------------------------------ */

struct vmgen *base_cfg(struct vmgen_config c) {
        c.sparse = true;
        if (!c.nr_cpus)
                c.nr_cpus = 2;
        if (!c.crashing_cpu && c.nr_cpus > 1)
                c.crashing_cpu = 1;
        return vmgen_new(&c);
}

/* The usual host: 2 CPUs, dom0, the loader's note, a domU and some console text. */
struct vmgen *base(void) {
        struct vmgen *g = base_cfg((struct vmgen_config) { .dom0 = true, .loadinfo = true, .dom0_pages = 16 });
        uint64_t d = vmgen_add_domain(g, 1);
        for (uint64_t m = 300; m < 304; m++)
                vmgen_set_page_info(g, m, UINT64_C(0x8000000000000001), d);
        vmgen_dom0_printk(g, 1000000, "Linux version 6.1.0-bad");
        vmgen_dom0_printk(g, 2000000, "Kernel panic - not syncing: bad input");
        vmgen_console_write(g, "(XEN) Panic on CPU 1:\n(XEN) FATAL TRAP\n(XEN) ****************\n");
        return g;
}

/* Replaces KEY's line in one info note (value NULL: removes it; absent: appends). */
void info_set(struct vmgen *g, enum xkd_info_source src, const char *key, const char *value) {
        size_t kl = strlen(key);
        char *s = g->info[src] ? g->info[src] : "";
        char *res = malloc(strlen(s) + kl + (value ? strlen(value) : 0) + 8);
        size_t n = 0;
        bool done = false;

        for (char *line = s; *line;) {
                char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t) (nl - line) + 1 : strlen(line);
                if (!done && strncmp(line, key, kl) == 0 && line[kl] == '=') {
                        done = true;
                        if (value)
                                n += (size_t) sprintf(res + n, "%s=%s\n", key, value);
                } else {
                        memcpy(res + n, line, len);
                        n += len;
                }
                line += len;
        }
        if (!done && value)
                n += (size_t) sprintf(res + n, "%s=%s\n", key, value);
        res[n] = '\0';
        free(g->info[src]);
        g->info[src] = res;
        g->info_len[src] = n;
}

void info_setf(struct vmgen *g, enum xkd_info_source src, const char *key, const char *fmt, ...) {
        char v[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v, sizeof(v), fmt, ap);
        va_end(ap);
        info_set(g, src, key, v);
}

/* Replaces one info note's whole text (raw bytes, NULs allowed). */
void info_raw(struct vmgen *g, enum xkd_info_source src, const void *text, size_t n) {
        free(g->info[src]);
        g->info[src] = malloc(n + 1);
        memcpy(g->info[src], text, n);
        g->info[src][n] = '\0';
        g->info_len[src] = n;
}

struct bytes render(struct vmgen *g) {
        char tmp[4096];
        struct stat st;
        struct bytes b;

        snprintf(tmp, sizeof(tmp), "%s/.render", out);
        if (vmgen_write(g, tmp) < 0)
                die("vmgen_write");
        vmgen_free(g);
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                die(tmp);
        b.n = (size_t) st.st_size;
        b.p = malloc(b.n + 1);
        if (read(fd, b.p, b.n) != (ssize_t) b.n)
                die(tmp);
        close(fd);
        unlink(tmp);
        return b;
}

void vm_emit(const char *name, struct bytes b) {
        emit("vmcore", name, b.p, b.n);
        free(b.p);
}

void vm_plain(const char *name, struct vmgen *g) {
        vm_emit(name, render(g));
}

static Elf64_Ehdr *eh(struct bytes *b) { return (Elf64_Ehdr *) b->p; }
static Elf64_Phdr *ph(struct bytes *b, unsigned i) { return (Elf64_Phdr *) (b->p + eh(b)->e_phoff) + i; }

static Elf64_Phdr *ph_of(struct bytes *b, uint32_t type, unsigned nth) {
        for (unsigned i = 0; i < eh(b)->e_phnum; i++)
                if (ph(b, i)->p_type == type && nth-- == 0)
                        return ph(b, i);
        fprintf(stderr, "bad-input-gen: no phdr %u/%u\n", type, nth);
        exit(1);
}

/* The file offset of the first note NAME/TYPE's header. */
size_t note_at(struct bytes *b, const char *name, uint32_t type) {
        Elf64_Phdr *n = ph_of(b, PT_NOTE, 0);
        size_t off = n->p_offset, end = off + n->p_filesz;
        while (off + 12 <= end) {
                uint32_t *h = (uint32_t *) (b->p + off);
                const char *nm = (const char *) (b->p + off + 12);
                if (h[2] == type && h[0] == strlen(name) + 1 && memcmp(nm, name, h[0]) == 0)
                        return off;
                off += 12 + ((h[0] + 3) & ~3u) + ((h[1] + 3) & ~3u);
        }
        fprintf(stderr, "bad-input-gen: no note %s/%#x\n", name, type);
        exit(1);
}

void *note_desc(struct bytes *b, size_t at) {
        uint32_t *h = (uint32_t *) (b->p + at);
        return b->p + at + 12 + ((h[0] + 3) & ~3u);
}

/* Appends n bytes at the file's end; returns their offset. */
static size_t append(struct bytes *b, const void *p, size_t n) {
        size_t at = b->n;
        b->p = realloc(b->p, b->n + n + 1);
        memcpy(b->p + at, p, n);
        b->n += n;
        return at;
}

/* Moves the notes to the end of the file with extra appended (raw note bytes). */
static void notes_extend(struct bytes *b, const void *extra, size_t n) {
        Elf64_Phdr *p = ph_of(b, PT_NOTE, 0);
        size_t old = p->p_offset, len = p->p_filesz;
        uint8_t *copy = malloc(len + n);
        memcpy(copy, b->p + old, len);
        memcpy(copy + len, extra, n);
        size_t at = append(b, copy, len + n);
        p = ph_of(b, PT_NOTE, 0);
        p->p_offset = at;
        p->p_filesz = p->p_memsz = len + n;
        free(copy);
}

/* Moves the program headers to the file's end with one more. */
static void add_phdr(struct bytes *b, Elf64_Phdr p) {
        unsigned n = eh(b)->e_phnum;
        Elf64_Phdr *all = calloc(n + 1, sizeof(*all));
        memcpy(all, ph(b, 0), n * sizeof(*all));
        all[n] = p;
        size_t at = append(b, all, (n + 1) * sizeof(*all));
        eh(b)->e_phoff = at;
        eh(b)->e_phnum = (uint16_t) (n + 1);
        free(all);
}

static size_t raw_note(uint8_t *dst, const char *name, uint32_t type, const void *desc, uint32_t dn) {
        uint32_t h[3] = { (uint32_t) strlen(name) + 1, dn, type };
        size_t o = 0;
        memcpy(dst, h, 12);
        o = 12;
        memset(dst + o, 0, (h[0] + 3) & ~3u);
        memcpy(dst + o, name, h[0]);
        o += (h[0] + 3) & ~3u;
        memset(dst + o, 0, (dn + 3) & ~3u);
        if (desc)
                memcpy(dst + o, desc, dn);
        return o + ((dn + 3) & ~3u);
}

/* Note descriptors are only 4-byte aligned. */
void set64(uint8_t *w, int i, uint64_t v) { memcpy(w + 8 * i, &v, 8); }
uint64_t get64(const uint8_t *w, int i) { uint64_t v; memcpy(&v, w + 8 * i, 8); return v; }

uint64_t sym(struct vmgen *g, const char *key) {
        const char *s = g->info[XKD_INFO_XEN], *p = strstr(s, key);
        if (!p)
                abort();
        return strtoull(p + strlen(key) + 1, NULL, 16);
}

void put_image64(struct vmgen *g, uint64_t vaddr, uint64_t v) {
        gen_put64(g, vmgen_image_to_maddr(g, vaddr), v);
}

/* The file, its program headers and its notes. */
static void gen_vmcores_elf(void) {
        struct bytes b;
        /* -- the good ones, so the catalogue proves its checks pass on sane input -- */
        vm_plain("good", base());
        vm_plain("good-plain", base_cfg((struct vmgen_config) { .nr_cpus = 1 }));

        /* -- the file itself -- */
        emit("vmcore", "empty", "", 0);
        emit("vmcore", "three-bytes", "\177EL", 3);
        emit("vmcore", "text", "this is not a vmcore\n", 21);
        b = render(base());
        b.n = 32;
        vm_emit("ehdr-truncated", b);
        b = render(base());
        b.n = sizeof(Elf64_Ehdr) + 20;
        vm_emit("phdrs-truncated", b);
        b = render(base());
        memset(b.p + 4096, 0, b.n - 4096);
        b.p[0] = 'X';
        vm_emit("bad-magic", b);
        b = render(base());
        b.p[EI_CLASS] = ELFCLASS32;
        vm_emit("elf32", b);
        b = render(base());
        b.p[EI_DATA] = ELFDATA2MSB;
        vm_emit("big-endian", b);
        b = render(base());
        eh(&b)->e_type = ET_EXEC;
        vm_emit("not-core", b);
        b = render(base());
        eh(&b)->e_machine = EM_AARCH64;
        vm_emit("wrong-machine", b);
        b = render(base());
        eh(&b)->e_phoff = b.n + 4096;
        vm_emit("phoff-past-end", b);
        b = render(base());
        eh(&b)->e_phoff = UINT64_MAX - 8;
        vm_emit("phoff-wraps", b);
        b = render(base());
        eh(&b)->e_phnum = 0;
        vm_emit("no-phdrs", b);
        b = render(base());
        eh(&b)->e_phnum = 0xffff;
        vm_emit("phnum-65535", b);
        b = render(base());
        eh(&b)->e_phentsize = 32;
        vm_emit("phentsize-small", b);
        b = render(base());
        b.p[EI_VERSION] = 0;
        eh(&b)->e_version = 0;
        vm_emit("elf-version-0", b);

        /* -- program headers -- */
        b = render(base());
        for (unsigned i = 0; i < eh(&b)->e_phnum; i++)
                if (ph(&b, i)->p_type == PT_LOAD)
                        ph(&b, i)->p_type = PT_NULL;
        vm_emit("no-loads", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_offset = b.n + (1u << 20);
        vm_emit("load-offset-past-end", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_offset = UINT64_MAX - 4095;
        vm_emit("load-offset-wraps", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_filesz += 4096;
        vm_emit("load-filesz-gt-memsz", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_paddr = UINT64_MAX - 4095;
        vm_emit("load-paddr-wraps", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_paddr = UINT64_C(1) << 63;
        vm_emit("load-paddr-2p63", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 0)->p_paddr += 123;
        vm_emit("load-paddr-unaligned", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_paddr = ph_of(&b, PT_LOAD, 0)->p_paddr;
        vm_emit("loads-overlap", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 0)->p_filesz = ph_of(&b, PT_LOAD, 0)->p_memsz = 0;
        vm_emit("load-empty", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_memsz = UINT64_C(1) << 50;
        vm_emit("load-memsz-1pib", b);
        b = render(base());
        {
                /* One more page far up: 8 TiB, the sparse large host of issue 10 item 4. */
                uint8_t page[4096];
                memset(page, 0x5a, sizeof(page));
                add_phdr(&b, (Elf64_Phdr) { .p_type = PT_LOAD, .p_paddr = UINT64_C(8) << 40,
                                            .p_offset = append(&b, page, sizeof(page)),
                                            .p_filesz = 4096, .p_memsz = 4096 });
        }
        vm_emit("page-at-8tib", b);
        b = render(base());
        {
                /* The last page below 2^64: its end wraps to 0. */
                uint8_t page[4096];
                memset(page, 0x33, sizeof(page));
                add_phdr(&b, (Elf64_Phdr) { .p_type = PT_LOAD, .p_paddr = UINT64_C(0xfffffffffffff000),
                                            .p_offset = append(&b, page, sizeof(page)),
                                            .p_filesz = 4096, .p_memsz = 4096 });
        }
        vm_emit("load-last-page-of-2p64", b);
        b = render(base());
        b.n -= 8192;
        vm_emit("truncated-last-pages", b);
        b = render(base());
        b.n = ph_of(&b, PT_LOAD, 1)->p_offset + 4096;
        vm_emit("truncated-mid-load", b);
        b = render(base());
        b.n = ph_of(&b, PT_LOAD, 0)->p_offset;
        vm_emit("truncated-before-loads", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_type = 0x6fffffff;
        vm_emit("unknown-phdr-type", b);
        b = render(base());
        ph_of(&b, PT_LOAD, 1)->p_filesz = ph_of(&b, PT_LOAD, 1)->p_memsz = 100;
        vm_emit("load-partial-page", b);
        b = render(base());
        {
                /* 5000 one-page PT_LOADs over the same memory: over any sane count. */
                size_t n = 5000, sz = n * sizeof(Elf64_Phdr);
                Elf64_Phdr *many = calloc(n, sizeof(*many));
                many[0] = *ph_of(&b, PT_NOTE, 0);
                Elf64_Phdr l = *ph_of(&b, PT_LOAD, 0);
                for (size_t i = 1; i < n; i++) {
                        many[i] = l;
                        many[i].p_filesz = many[i].p_memsz = 4096;
                        many[i].p_paddr = l.p_paddr + (i % 2) * 4096;
                }
                size_t at = append(&b, many, sz);
                eh(&b)->e_phoff = at;
                eh(&b)->e_phnum = (uint16_t) n;
                free(many);
        }
        vm_emit("phdrs-5000", b);

        /* -- the notes -- */
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_type = PT_NULL;
        vm_emit("no-notes", b);
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_offset = b.n + 100;
        vm_emit("notes-past-end", b);
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_filesz = b.n * 2;
        vm_emit("notes-size-past-end", b);
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_filesz = UINT64_MAX - 10;
        vm_emit("notes-size-wraps", b);
        b = render(base());
        ((uint32_t *) (b.p + ph_of(&b, PT_NOTE, 0)->p_offset))[0] = 0xfffffff0u;
        vm_emit("note-namesz-huge", b);
        b = render(base());
        ((uint32_t *) (b.p + ph_of(&b, PT_NOTE, 0)->p_offset))[1] = 0xfffffffcu;
        vm_emit("note-descsz-wraps", b);
        b = render(base());
        ((uint32_t *) (b.p + ph_of(&b, PT_NOTE, 0)->p_offset))[0] = 0;
        vm_emit("note-namesz-0", b);
        b = render(base());
        {
                size_t at = note_at(&b, "VMCOREINFO_XEN", 0);
                memset(b.p + at + 12, 'A', 15);         /* "VMCOREINFO_XEN\0" loses its NUL */
        }
        vm_emit("note-name-unterminated", b);
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_filesz -= 6;
        vm_emit("notes-cut-mid-note", b);
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_filesz = 0;
        vm_emit("notes-empty", b);
        b = render(base());
        ph_of(&b, PT_NOTE, 0)->p_offset += 2;
        vm_emit("notes-misaligned", b);
        b = render(base());
        {
                size_t sz = 9000 * (12 + 8 + 336);
                uint8_t *many = malloc(sz), prstatus[336] = { 0 };
                size_t o = 0;
                for (unsigned i = 0; i < 9000; i++)
                        o += raw_note(many + o, "CORE", 1, prstatus, sizeof(prstatus));
                notes_extend(&b, many, o);
                free(many);
        }
        vm_emit("cpu-notes-9000", b);
        vm_plain("no-cpu-notes", base_cfg((struct vmgen_config) { .dom0 = true, .loadinfo = true,
                                                                  .no_cpu_notes = true }));
        b = render(base());
        ((uint32_t *) (b.p + note_at(&b, "CORE", 1)))[1] = 40;  /* prstatus 336 -> 40 */
        vm_emit("prstatus-short", b);
        b = render(base());
        ((uint32_t *) (b.p + note_at(&b, "Xen", 0x1000002)))[1] = 8;
        vm_emit("crash-regs-short", b);
        b = render(base());
        {
                uint8_t n[256];
                uint64_t w[10] = { 5, 99 };
                size_t o = raw_note(n, "Xen", 0x1000001, w, 80);
                notes_extend(&b, n, o);
        }
        vm_emit("crash-info-twice", b);
        b = render(base());
        {
                uint8_t n[64];
                size_t o = raw_note(n, "Xen", 0x1000002, NULL, 0);
                o += raw_note(n + o, "NOTAKNOWNNAME", 77, "x", 1);
                notes_extend(&b, n, o);
        }
        vm_emit("notes-unknown-and-empty", b);

}


int main(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: bad-input-gen OUTDIR\n");
                return 2;
        }
        out = argv[1];
        if (mkdir(out, 0700) < 0 && errno != EEXIST)
                die(out);
        gen_vmcores_elf();
        gen_vmcores_xen();
        gen_kernels();
        gen_initrds();
        gen_host();
        printf("bad-input-gen: %u inputs in %s\n", count, out);
        return 0;
}
