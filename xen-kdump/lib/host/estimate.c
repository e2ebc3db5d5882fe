/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"

static uint64_t round_up(uint64_t v, uint64_t to) {
        return (v + to - 1) / to * to;
}

static uint64_t max_u64(uint64_t a, uint64_t b) {
        return a > b ? a : b;
}

void xkd_estimate_compute(const struct xkd_estimate_input *in, struct xkd_estimate *e) {
        uint64_t align = in->kernel_alignment ? in->kernel_alignment : 2 * XKD_MiB;
        uint64_t image = round_up(max_u64(in->kernel_init_size, in->kernel_payload), XKD_EST_PAGE);
        uint64_t collector, base_run;

        memset(e, 0, sizeof(*e));

        /* The region's start need not be aligned for the kernel: up to one
         * alignment unit below the kernel may be unusable for it. */
        e->kernel_load = round_up(image, align) + align - XKD_EST_PAGE;
        e->loader = XKD_EST_LOADER;
        e->at_load = e->kernel_load + round_up(in->initrd_packed, XKD_EST_PAGE) + e->loader;

        /* Unknown static size: assume the kernel keeps all of init_size. */
        e->kernel_static = in->kernel_static ? round_up(in->kernel_static, XKD_EST_PAGE) : image;
        e->kernel_resident = in->kernel_resident && in->kernel_static
                                     ? round_up(in->kernel_resident, XKD_EST_PAGE) : e->kernel_static;
        e->kernel_runtime = (in->minimal_kernel ? XKD_EST_RUNTIME_MINIMAL : XKD_EST_RUNTIME_DISTRO) +
                            (in->network_target ? XKD_EST_NETWORK : 0);
        e->initrd_unpacked = round_up(in->initrd_unpacked, XKD_EST_PAGE);
        e->initrd_transient = round_up(in->initrd_packed, XKD_EST_PAGE);
        /* Two bitmaps (present, keep) of one bit per host page frame. */
        e->collector_bitmaps = 2 * round_up((in->host_max_pfn + 7) / 8, XKD_EST_PAGE);
        e->collector_buffers = in->makedumpfile ? XKD_EST_MAKEDUMPFILE_BUFFERS
                                                : XKD_EST_COLLECTOR_BUFFERS;
        collector = e->collector_bitmaps + e->collector_buffers;
        /* The packed initramfs is freed before /init, so it and the collector
         * never coexist; the ELF core header stays reserved throughout. */
        e->boot_phase = e->kernel_static + e->kernel_runtime + e->initrd_unpacked +
                        e->initrd_transient;
        e->collect_phase = e->kernel_resident + e->kernel_runtime + e->initrd_unpacked + collector;
        /* tmpfs's default size is half of the managed RAM (estimate.h). */
        e->unpack_phase = e->kernel_static + e->initrd_transient + 2 * e->initrd_unpacked;
        e->at_run = max_u64(max_u64(e->boot_phase, e->collect_phase), e->unpack_phase) + e->loader;

        base_run = e->at_run;
        e->margin = max_u64(4 * XKD_MiB, round_up(max_u64(e->at_load, base_run) / 16, XKD_EST_PAGE));

        /* struct pages cover the region they live in:
         * R - R/64 >= at_run + margin  <=>  R >= (at_run + margin) * 64 / 63. */
        uint64_t per_page = XKD_EST_PAGE / XKD_EST_STRUCT_PAGE;
        uint64_t run_total = round_up((base_run + e->margin) * per_page, per_page - 1) /
                             (per_page - 1);
        run_total = round_up(run_total, XKD_EST_PAGE);
        e->needed = max_u64(e->at_load + e->margin, run_total);
        uint64_t run_bare = round_up(round_up(base_run * per_page, per_page - 1) / (per_page - 1),
                                     XKD_EST_PAGE);
        e->minimum = max_u64(e->at_load, run_bare);
        e->struct_pages = round_up(e->needed / per_page, XKD_EST_PAGE);
        e->recommended = round_up(e->needed, XKD_EST_GRANULE);
}

void xkd_estimate_size_arg(uint64_t bytes, char *buf, size_t size) {
        if (bytes != 0 && bytes % (1024 * XKD_MiB) == 0)
                snprintf(buf, size, "%lluG", (unsigned long long) (bytes / (1024 * XKD_MiB)));
        else if (bytes % XKD_MiB == 0)
                snprintf(buf, size, "%lluM", (unsigned long long) (bytes / XKD_MiB));
        else
                snprintf(buf, size, "%lluK", (unsigned long long) ((bytes + 1023) / 1024));
}

/* Xen's parse_size_and_unit(): a number (any base) with T/G/M/K/B, default KiB. */
static int parse_xen_size(const char *s, uint64_t *ret, const char **end) {
        char *e;
        unsigned shift;

        errno = 0;
        unsigned long long v = strtoull(s, &e, 0);
        if (e == s || errno != 0)
                return -EINVAL;
        switch (*e) {
        case 'T': case 't': shift = 40; e++; break;
        case 'G': case 'g': shift = 30; e++; break;
        case 'M': case 'm': shift = 20; e++; break;
        case 'K': case 'k': shift = 10; e++; break;
        case 'B': case 'b': shift = 0; e++; break;
        default: shift = 10; break;
        }
        if (v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        *end = e;
        return 0;
}

int xkd_estimate_parse_size(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        if (parse_xen_size(s, &v, &end) < 0 || *end != '\0')
                return -EINVAL;
        /* Xen's default unit (KiB) surprises people: demand a unit. */
        if (v != 0 && end[-1] >= '0' && end[-1] <= '9')
                return -EINVAL;
        *ret = v;
        return 0;
}

int xkd_estimate_parse_crashkernel(const char *cmdline, uint64_t *ret) {
        static const char key[] = "crashkernel=";
        const char *found = NULL;

        /* Xen honours the last occurrence. */
        for (const char *p = cmdline; (p = strstr(p, key)); p += sizeof(key) - 1)
                if (p == cmdline || p[-1] == ' ' || p[-1] == '\t')
                        found = p + sizeof(key) - 1;
        if (!found)
                return -ENOENT;

        size_t len = strcspn(found, " \t\n");
        const char *colon = memchr(found, ':', len);
        if (colon)
                return -EOPNOTSUPP;
        const char *end;
        uint64_t v;
        int r = parse_xen_size(found, &v, &end);
        if (r < 0)
                return r;
        if (end != found + len && *end != '@' && *end != '<' && *end != ',')
                return -EINVAL;
        *ret = v;
        return 0;
}

int xkd_estimate_grub_xen_default(const char *text, char *buf, size_t size) {
        static const char key[] = "GRUB_CMDLINE_XEN_DEFAULT=";
        int r = -ENOENT;

        for (const char *line = text; line && *line; ) {
                const char *eol = strchr(line, '\n');
                size_t len = eol ? (size_t) (eol - line) : strlen(line);
                const char *p = line;

                while (p < line + len && (*p == ' ' || *p == '\t'))
                        p++;
                if (strncmp(p, "export ", 7) == 0)
                        p += 7;
                if ((size_t) (line + len - p) >= sizeof(key) - 1 &&
                    memcmp(p, key, sizeof(key) - 1) == 0) {
                        const char *v = p + sizeof(key) - 1, *vend = line + len;
                        if (v < vend && (*v == '"' || *v == '\'')) {
                                const char *close = memchr(v + 1, *v, (size_t) (vend - v - 1));
                                if (!close)
                                        return -EINVAL;
                                vend = close;
                                v++;
                        } else {
                                /* unquoted: up to a comment or the end of line */
                                const char *hash = vend > v ? memchr(v, '#', (size_t) (vend - v)) : NULL;
                                if (hash)
                                        vend = hash;
                                while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
                                        vend--;
                        }
                        if ((size_t) (vend - v) >= size)
                                return -ENOBUFS;
                        memcpy(buf, v, (size_t) (vend - v));
                        buf[vend - v] = '\0';
                        r = 0;  /* keep going: the last assignment wins */
                }
                line = eol ? eol + 1 : NULL;
        }
        return r;
}

int xkd_estimate_replace_crashkernel(const char *value, const char *arg, char *buf, size_t size) {
        char tok[128];
        size_t n = 0;
        int placed = 0, tok_len;

#define APPEND(s, l)                                                    \
        do {                                                            \
                if (n + (n ? 1 : 0) + (l) >= size)                      \
                        return -ENOBUFS;                                \
                if (n)                                                  \
                        buf[n++] = ' ';                                 \
                memcpy(buf + n, (s), (l));                              \
                n += (l);                                               \
                buf[n] = '\0';                                          \
        } while (0)

        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        tok_len = snprintf(tok, sizeof(tok), "crashkernel=%s", arg);
        if (tok_len < 0 || (size_t) tok_len >= sizeof(tok))
                return -ENOBUFS;
        for (const char *p = value; *p; ) {
                size_t skip = strspn(p, " \t"), len;
                p += skip;
                len = strcspn(p, " \t");
                if (len == 0)
                        break;
                if (len >= 12 && memcmp(p, "crashkernel=", 12) == 0) {
                        /* the first one is replaced in place, the others dropped */
                        if (!placed) {
                                APPEND(tok, (size_t) tok_len);
                                placed = 1;
                        }
                } else
                        APPEND(p, len);
                p += len;
        }
        if (!placed)
                APPEND(tok, (size_t) tok_len);
#undef APPEND
        return 0;
}
