/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decompress.h"
#include "log.h"
#include "vmlinux.h"

/* ELF header and program headers must come within this much of the start
 * (a kernel's are in its first page); the decompressed stream is consumed as
 * it comes, never kept whole. */
#define HEAD_MAX 65536
#ifdef XKD_FUZZING
#define MEM_MAX (UINT64_C(64) << 20)  /* same checks, without scanning a GiB per input */
#else
#define MEM_MAX (UINT64_C(1) << 30)
#endif
/* Section headers and names follow the segments in a kernel's payload. */
#define TAIL_MAX (UINT64_C(16) << 20)

struct load {
        uint64_t offset, filesz, paddr, memsz;
};

struct builder {
        uint8_t head[HEAD_MAX];
        size_t have;                    /* bytes in head (until the headers parse) */
        bool parsed;
        uint64_t pos;                   /* stream bytes consumed */
        uint64_t file_end;              /* where the last PT_LOAD's file bytes end */
        uint64_t max_mem;
        struct load loads[XKD_VMLINUX_MAX_LOADS];
        unsigned nr_loads;
        struct xkd_vmlinux v;
        size_t alloc;                   /* bytes of v.image */
        char why[160];
};

static int refuse(struct builder *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct builder *b, int err, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b->why, sizeof(b->why), fmt, ap);
        va_end(ap);
        return err;
}

static int cmp_paddr(const void *a, const void *b) {
        const struct load *x = a, *y = b;
        return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* 0 when the headers parse, 1 when more bytes are needed, else an error. */
static int parse_headers(struct builder *b) {
        Elf64_Ehdr eh;
        uint64_t hi = 0, data_hi = 0;

        if (b->have < sizeof(eh))
                return 1;
        memcpy(&eh, b->head, sizeof(eh));
        if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
                return refuse(b, -EINVAL, "no ELF header");
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
                return refuse(b, -EINVAL, "not an x86-64 ELF image");
        if (eh.e_type != ET_EXEC || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
                return refuse(b, -EINVAL, "not an executable ELF image with program headers");
        if (eh.e_phoff > HEAD_MAX || (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr) > HEAD_MAX - eh.e_phoff)
                return refuse(b, -EINVAL, "program headers beyond its first %d KiB", HEAD_MAX / 1024);
        if (b->have < eh.e_phoff + (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr))
                return 1;

        for (unsigned i = 0; i < eh.e_phnum; i++) {
                Elf64_Phdr ph;
                memcpy(&ph, b->head + eh.e_phoff + i * sizeof(ph), sizeof(ph));
                if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
                        continue;
                if (b->nr_loads == XKD_VMLINUX_MAX_LOADS)
                        return refuse(b, -EINVAL, "over %d loadable segments", XKD_VMLINUX_MAX_LOADS);
                if (ph.p_filesz > ph.p_memsz || ph.p_offset + ph.p_filesz < ph.p_offset ||
                    ph.p_paddr + ph.p_memsz < ph.p_paddr)
                        return refuse(b, -EINVAL, "a loadable segment with impossible sizes");
                b->loads[b->nr_loads++] = (struct load) { ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz };
        }
        if (!b->nr_loads)
                return refuse(b, -EINVAL, "no loadable segment");
        qsort(b->loads, b->nr_loads, sizeof(b->loads[0]), cmp_paddr);

        b->v.base = b->loads[0].paddr;
        for (unsigned i = 0; i < b->nr_loads; i++) {
                const struct load *l = &b->loads[i];
                if (l->paddr < hi)
                        return refuse(b, -EINVAL, "overlapping loadable segments");
                hi = l->paddr + l->memsz;
                if (l->filesz && l->paddr + l->filesz > data_hi)
                        data_hi = l->paddr + l->filesz;
                if (l->offset + l->filesz > b->file_end)
                        b->file_end = l->offset + l->filesz;
        }
        b->v.mem_size = hi - b->v.base;
        /* .bss may be stored as zeros (Debian's is): the file is a little
         * longer than the memory, never much; this also bounds the decoding. */
        if (b->file_end > 2 * b->max_mem + HEAD_MAX)
                return refuse(b, -EINVAL, "its segments lie %llu KiB into the file, far past its size in memory",
                              (unsigned long long) (b->file_end >> 10));
        if (b->v.mem_size > b->max_mem)
                return refuse(b, -EINVAL, "it spans %llu KiB, more than the %llu KiB its boot header asks for",
                              (unsigned long long) (b->v.mem_size >> 10), (unsigned long long) (b->max_mem >> 10));
        /* The entry must be code the image carries, not a hole or .bss. */
        bool entry_ok = false;
        for (unsigned i = 0; i < b->nr_loads; i++)
                if (eh.e_entry >= b->loads[i].paddr && eh.e_entry - b->loads[i].paddr < b->loads[i].filesz)
                        entry_ok = true;
        if (!entry_ok)
                return refuse(b, -EINVAL, "its entry point 0x%llx is outside its loaded bytes", (unsigned long long) eh.e_entry);
        if (b->v.base % XKD_VMLINUX_ALIGN)
                return refuse(b, -EOPNOTSUPP, "linked at 0x%llx, off the 2 MiB grid", (unsigned long long) b->v.base);
        b->v.entry_offset = eh.e_entry - b->v.base;

        b->alloc = (size_t) (data_hi > b->v.base ? data_hi - b->v.base : 0);
        b->v.image = calloc(1, b->alloc ? b->alloc : 1);
        if (!b->v.image)
                return refuse(b, -ENOMEM, "out of memory for %zu KiB", b->alloc >> 10);
        b->parsed = true;
        return 0;
}

/* Copy the part of stream bytes [at, at + len) that falls in a PT_LOAD's file bytes. */
static void place(struct builder *b, const uint8_t *buf, size_t len, uint64_t at) {
        for (unsigned i = 0; i < b->nr_loads; i++) {
                const struct load *l = &b->loads[i];
                uint64_t lo = at > l->offset ? at : l->offset;
                uint64_t hi = at + len < l->offset + l->filesz ? at + len : l->offset + l->filesz;
                if (lo >= hi)
                        continue;
                memcpy(b->v.image + (l->paddr - b->v.base) + (lo - l->offset), buf + (lo - at), (size_t) (hi - lo));
        }
}

/* Decompressor sink.  It reads to the stream's end (the checksum is there),
 * so bound what a hostile stream could make it take. */
static int feed(const void *data, size_t len, void *userdata) {
        struct builder *b = userdata;
        const uint8_t *buf = data;
        int r;

        if (!b->parsed) {
                size_t n = len < HEAD_MAX - b->have ? len : HEAD_MAX - b->have;
                memcpy(b->head + b->have, buf, n);
                b->have += n;
                r = parse_headers(b);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (b->have == HEAD_MAX)
                                return refuse(b, -EINVAL, "truncated ELF headers");
                        b->pos += n;
                        return 0;
                }
                /* Headers in: what head holds so far is stream data too. */
                place(b, b->head, b->have - n, 0);
        }
        if (b->pos > b->file_end + TAIL_MAX)
                return refuse(b, -EINVAL, "over %d MiB past its last segment", (int) (TAIL_MAX >> 20));
        place(b, buf, len, b->pos);
        b->pos += len;
        return 0;
}

static int finish(struct builder *b, struct xkd_vmlinux *ret) {
        if (!b->parsed)
                return refuse(b, -EINVAL, "truncated ELF headers (%zu bytes)", b->have);
        if (b->pos < b->file_end)
                return refuse(b, -EINVAL, "truncated: %llu of %llu bytes", (unsigned long long) b->pos,
                              (unsigned long long) b->file_end);
        size_t n = b->alloc;
        while (n && !b->v.image[n - 1])
                n--;
        b->v.image_size = n;
        *ret = b->v;
        b->v.image = NULL;
        return 0;
}

static struct builder *builder_new(uint64_t max_mem) {
        struct builder *b = calloc(1, sizeof(*b));

        if (b)
                b->max_mem = max_mem < MEM_MAX ? max_mem : MEM_MAX;
        return b;
}

static void builder_free(struct builder *b) {
        if (b)
                free(b->v.image);
        free(b);
}

int xkd_vmlinux_from_elf(const void *elf, size_t size, size_t chunk, uint64_t max_mem, struct xkd_vmlinux *ret) {
        struct builder *b = builder_new(max_mem);
        int r = 0;

        if (!b)
                return -ENOMEM;
        if (!chunk)
                chunk = size ? size : 1;
        for (size_t at = 0; at < size && r == 0; at += chunk)
                r = feed((const uint8_t *) elf + at, size - at < chunk ? size - at : chunk, b);
        r = r < 0 ? r : finish(b, ret);
        builder_free(b);
        return r;
}

int xkd_vmlinux_unpack(const struct xkd_bzimage *bz, const char *path, struct xkd_vmlinux *ret) {
        struct builder *b;
        int r;

        uint32_t off = bz->payload_offset, len = bz->payload_length;
        if (!len)
                return -EOPNOTSUPP;     /* no payload fields: only the decompressor knows */
        if (off > bz->kernel_size || len > bz->kernel_size - off)
                return log_error_errno(-EINVAL, "The kernel %s is corrupt (its payload, %u bytes at %u, lies outside the file); reinstall the kernel package.",
                                       path, len, off);
        const uint8_t *payload = bz->kernel + off;
        enum xkd_compression_kind kind = xkd_compression_detect(payload, len);
        if (kind != XKD_COMP_UNKNOWN && !xkd_decompress_in_process(kind))
                return -EOPNOTSUPP;

        b = builder_new(bz->init_size);
        if (!b)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (kind == XKD_COMP_UNKNOWN)
                r = feed(payload, len, b);      /* an uncompressed payload is the ELF image itself */
        else
                r = xkd_decompress_buf_whole(payload, len, kind, path, feed, b);
        if (r == -EBADMSG && !b->why[0])
                refuse(b, r, "damaged (no clean end or a checksum error)");
        r = r < 0 ? r : finish(b, ret);
        if (r == -EOPNOTSUPP)
                log_info("%s is %s: its decompressor runs at the crash.", path, b->why);
        else if (r < 0 && b->why[0])
                log_error_errno(r, "The kernel %s is corrupt (its %s payload: %s); reinstall the kernel package, or set 'kernel_entry decompressor' in xen-kdump.conf if it boots.",
                                path, kind == XKD_COMP_UNKNOWN ? "uncompressed" : xkd_compression_name(kind), b->why);
        else if (r < 0)
                log_error_errno(r, "Cannot unpack the kernel %s's %s payload: %m; reinstall the kernel package.", path,
                                xkd_compression_name(kind));
        builder_free(b);
        return r;
}

void xkd_vmlinux_done(struct xkd_vmlinux *v) {
        free(v->image);
        v->image = NULL;
}
