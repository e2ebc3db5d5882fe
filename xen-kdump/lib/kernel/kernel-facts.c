/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"
#include "files.h"
#include "kernel-facts.h"
#include "log.h"

static uint16_t get16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int xkd_kernel_facts_parse_header(const void *data, size_t size, struct xkd_kernel_facts *ret) {
        const uint8_t *d = data;

        memset(ret, 0, sizeof(*ret));
        if (size < 0x268 || memcmp(d + 0x202, "HdrS", 4) != 0)
                return -EINVAL;
        ret->protocol = get16(d + 0x206);
        if (ret->protocol < 0x020a)
                return -EINVAL;
        unsigned setup_sects = d[0x1f1] ? d[0x1f1] : 4;
        ret->setup_size = (setup_sects + 1ULL) * 512;
        if (ret->setup_size >= size)
                return -EINVAL;
        ret->payload = size - ret->setup_size;
        ret->init_size = get32(d + 0x260);
        ret->kernel_alignment = get32(d + 0x230);
        ret->payload_offset = get32(d + 0x248);
        ret->payload_length = get32(d + 0x24c);
        if (ret->payload_offset + ret->payload_length > ret->payload)
                ret->payload_offset = ret->payload_length = 0;

        /* kernel_version points (from 0x200) at a NUL-terminated string in the setup code. */
        uint16_t v = get16(d + 0x20e);
        if (v != 0 && 0x200ULL + v < ret->setup_size) {
                size_t max = (size_t) (ret->setup_size - 0x200 - v), n = 0;
                const char *s = (const char *) d + 0x200 + v;
                while (n < max && n < sizeof(ret->version) - 1 && s[n] != '\0')
                        n++;
                memcpy(ret->version, s, n);
                ret->version[n] = '\0';
        }
        /* "6.1.192-xkd (builder) #1 ..." — the release is the first word. */
        size_t rel = strcspn(ret->version, " ");
        size_t tag = sizeof(XKD_MINIMAL_KERNEL_TAG) - 1;
        ret->minimal = rel >= tag &&
                       memcmp(ret->version + rel - tag, XKD_MINIMAL_KERNEL_TAG, tag) == 0;
        return 0;
}

int xkd_elf_load_span(const void *data, size_t size, uint64_t *span, uint64_t *sum) {
        const Elf64_Ehdr *eh = data;
        uint64_t lo = UINT64_MAX, hi = 0, total = 0;

        if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
            eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr))
                return -EINVAL;
        if (eh->e_phoff > size || (uint64_t) eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
                return -EINVAL;
        for (unsigned i = 0; i < eh->e_phnum; i++) {
                Elf64_Phdr ph;
                memcpy(&ph, (const uint8_t *) data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
                if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
                        continue;
                if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
                        return -EINVAL;
                total += ph.p_memsz;
                if (ph.p_paddr < lo)
                        lo = ph.p_paddr;
                if (ph.p_paddr + ph.p_memsz > hi)
                        hi = ph.p_paddr + ph.p_memsz;
        }
        if (hi == 0 || total > hi - lo)
                return -EINVAL;         /* overlapping segments: not a kernel image */
        *span = hi - lo;
        *sum = total;
        return 0;
}

struct head {
        uint8_t buf[65536];
        size_t have;
};

static int head_sink(const void *buf, size_t len, void *userdata) {
        struct head *h = userdata;
        size_t n = len < sizeof(h->buf) - h->have ? len : sizeof(h->buf) - h->have;

        memcpy(h->buf + h->have, buf, n);
        h->have += n;
        return h->have == sizeof(h->buf);       /* enough for the ELF headers */
}

/* static_size and resident_size from the ELF headers at the payload's start;
 * decompressed from fd (positioned at the file's start) or, when fd < 0, from
 * memory (-EOPNOTSUPP then for what needs a tool). */
static int measure_payload(const uint8_t *data, int fd, const char *path, struct xkd_kernel_facts *ret) {
        const uint8_t *payload = data + ret->setup_size + ret->payload_offset;
        enum xkd_compression_kind kind = xkd_compression_detect(payload, ret->payload_length);
        struct head *head;
        int r = 0;

        if (fd < 0 && kind != XKD_COMP_UNKNOWN && !xkd_decompress_in_process(kind))
                return -EOPNOTSUPP;
        head = calloc(1, sizeof(*head));
        if (!head)
                return log_error_errno(-ENOMEM, "Failed to allocate memory: %m");
        if (kind == XKD_COMP_UNKNOWN) {
                /* an uncompressed payload is the ELF image itself */
                head->have = ret->payload_length < sizeof(head->buf) ? ret->payload_length
                                                                     : sizeof(head->buf);
                memcpy(head->buf, payload, head->have);
        } else if (fd < 0) {
                if (xkd_decompress_buf(payload, ret->payload_length, kind, path, head_sink, head) < 0)
                        head->have = 0;
        } else {
                if (lseek(fd, (off_t) (ret->setup_size + ret->payload_offset), SEEK_SET) < 0 ||
                    xkd_decompress_fd(fd, kind, path, head_sink, head) < 0)
                        head->have = 0;
        }
        if (xkd_elf_load_span(head->buf, head->have, &ret->static_size, &ret->resident_size) < 0) {
                ret->static_size = ret->resident_size = 0;
                log_debug("Could not measure the decompressed kernel in %s", path);
        }
        free(head);
        return r;
}

int xkd_kernel_facts_from_data(const void *data, size_t size, const char *path, struct xkd_kernel_facts *ret) {
        int r = xkd_kernel_facts_parse_header(data, size, ret);

        if (r < 0 || ret->payload_length == 0)
                return r;
        return measure_payload(data, -1, path, ret);
}

int xkd_kernel_facts_read(const char *path, struct xkd_kernel_facts *ret) {
        return xkd_kernel_facts_read_stat(path, ret, NULL);
}

int xkd_kernel_facts_read_stat(const char *path, struct xkd_kernel_facts *ret, struct stat *ret_stat) {
        struct stat st;
        uint8_t *map = NULL;
        int fd, r;

        /* A FIFO must not hang us (files.h); mmap ignores O_NONBLOCK. */
        fd = xkd_open_regular(path, "kernel", "pass a Linux bzImage", &st);
        if (fd < 0)
                return fd;
        if (ret_stat)
                *ret_stat = st;
        map = st.st_size > 0 ? mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
                             : MAP_FAILED;
        if (map == MAP_FAILED) {
                map = NULL;
                r = log_error_errno(st.st_size > 0 ? -errno : -EINVAL, "Failed to map %s: %m", path);
                goto out;
        }
        r = xkd_kernel_facts_parse_header(map, (size_t) st.st_size, ret);
        if (r < 0) {
                r = log_error_errno(r, "%s is not a bzImage with boot protocol 2.10 or later; "
                                    "configure a Linux bzImage as the capture kernel", path);
                goto out;
        }
        r = ret->payload_length ? measure_payload(map, fd, path, ret) : 0;
out:
        if (map)
                munmap(map, (size_t) st.st_size);
        close(fd);
        return r;
}
