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
#include "vmcore-gen-internal.h"
#include "vmcore-gen.h"
#include "xkd-note.h"

const char *out;
static unsigned count;

struct bytes {
        uint8_t *p;
        size_t n;
};

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

static struct vmgen *base_cfg(struct vmgen_config c) {
        c.sparse = true;
        if (!c.nr_cpus)
                c.nr_cpus = 2;
        if (!c.crashing_cpu && c.nr_cpus > 1)
                c.crashing_cpu = 1;
        return vmgen_new(&c);
}

/* The usual host: 2 CPUs, dom0, the loader's note, a domU and some console text. */
static struct vmgen *base(void) {
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
static void info_set(struct vmgen *g, enum xkd_info_source src, const char *key, const char *value) {
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

static void info_setf(struct vmgen *g, enum xkd_info_source src, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void info_setf(struct vmgen *g, enum xkd_info_source src, const char *key, const char *fmt, ...) {
        char v[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v, sizeof(v), fmt, ap);
        va_end(ap);
        info_set(g, src, key, v);
}

/* Replaces one info note's whole text (raw bytes, NULs allowed). */
static void info_raw(struct vmgen *g, enum xkd_info_source src, const void *text, size_t n) {
        free(g->info[src]);
        g->info[src] = malloc(n + 1);
        memcpy(g->info[src], text, n);
        g->info[src][n] = '\0';
        g->info_len[src] = n;
}

static struct bytes render(struct vmgen *g) {
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

static void vm_emit(const char *name, struct bytes b) {
        emit("vmcore", name, b.p, b.n);
        free(b.p);
}

static void vm_plain(const char *name, struct vmgen *g) {
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
static size_t note_at(struct bytes *b, const char *name, uint32_t type) {
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

static void *note_desc(struct bytes *b, size_t at) {
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
static void set64(uint8_t *w, int i, uint64_t v) { memcpy(w + 8 * i, &v, 8); }
static uint64_t get64(const uint8_t *w, int i) { uint64_t v; memcpy(&v, w + 8 * i, 8); return v; }

static uint64_t sym(struct vmgen *g, const char *key) {
        const char *s = g->info[XKD_INFO_XEN], *p = strstr(s, key);
        if (!p)
                abort();
        return strtoull(p + strlen(key) + 1, NULL, 16);
}

static void put_image64(struct vmgen *g, uint64_t vaddr, uint64_t v) {
        gen_put64(g, vmgen_image_to_maddr(g, vaddr), v);
}

static void gen_vmcores(void) {
        struct vmgen *g;
        struct bytes b;
        char text[8192];

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

int main(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: bad-input-gen OUTDIR\n");
                return 2;
        }
        out = argv[1];
        if (mkdir(out, 0700) < 0 && errno != EEXIST)
                die(out);
        gen_vmcores();
        gen_kernels();
        gen_initrds();
        gen_host();
        printf("bad-input-gen: %u inputs in %s\n", count, out);
        return 0;
}
