/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-internal.h"

/* How much of the ring the crash decoders look at: the crash is at the end. */
#define RING_SCAN_MAX   (64u << 10)
#define RING_SIZE_MAX   (64u << 20)

/* The newest min(want, written) bytes of the ring, oldest first. */
static int read_ring(struct xkd_xen *x, size_t want, char **ret, size_t *len) {
        uint64_t ring_sym, size_sym, prod_sym, ring;
        uint32_t size, prod;
        int r;

        r = xkd_xen_symbol(x, "conring", &ring_sym);
        if (r == 0)
                r = xkd_xen_symbol(x, "conring_size", &size_sym);
        if (r == 0)
                r = xkd_xen_symbol(x, "conringp", &prod_sym);
        if (r < 0)
                return r;
        /* conring is a pointer (Xen moves the ring to the heap at boot); the size and
         * the free-running producer index are uint32_t. */
        r = xkd_xen_read_virt(x, ring_sym, &ring, sizeof(ring));
        if (r == 0)
                r = xkd_xen_read_virt(x, size_sym, &size, sizeof(size));
        if (r == 0)
                r = xkd_xen_read_virt(x, prod_sym, &prod, sizeof(prod));
        if (r < 0)
                return r;
        if (size == 0 || (size & (size - 1)) || size > RING_SIZE_MAX)
                return -EBADMSG;
        size_t n = prod < size ? prod : size;
        if (n > want)
                n = want;
        char *buf = malloc(n + 1);
        if (!buf)
                return -ENOMEM;
        uint32_t start = prod - (uint32_t) n;
        for (size_t done = 0; done < n;) {
                uint32_t idx = (start + (uint32_t) done) & (size - 1);
                size_t chunk = n - done;
                if (chunk > size - idx)
                        chunk = size - idx;
                r = xkd_xen_read_virt(x, ring + idx, buf + done, chunk);
                if (r < 0) {
                        free(buf);
                        return r;
                }
                done += chunk;
        }
        buf[n] = '\0';
        *ret = buf;
        *len = n;
        return 0;
}

int xkd_xen_console_tail(struct xkd_xen *x, char *out, size_t size, size_t *len) {
        char *buf;
        size_t n;
        int r;

        if (size == 0)
                return -EINVAL;
        r = read_ring(x, size - 1, &buf, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) buf[i];
                out[i] = (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char) c : '?';
        }
        out[n] = '\0';
        if (len)
                *len = n;
        free(buf);
        return 0;
}

int xkd_xen_console_all(struct xkd_xen *x, char **ret, size_t *len) {
        char *buf;
        size_t n;
        int r;

        r = read_ring(x, RING_SIZE_MAX, &buf, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) buf[i];
                if (!(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)))
                        buf[i] = '?';
        }
        *ret = buf;
        *len = n;
        return 0;
}

/* The last occurrence of needle in text. */
static const char *find_last(const char *text, const char *needle) {
        const char *last = NULL;
        for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
                last = p;
        return last;
}

static int number_after(const char *text, const char *needle, unsigned *ret) {
        const char *p = find_last(text, needle);
        char *end;

        if (!p)
                return -ENOENT;
        p += strlen(needle);
        if (*p < '0' || *p > '9')
                return -EBADMSG;
        unsigned long v = strtoul(p, &end, 10);
        if (v > 65535)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Copies a line span, dropping Xen's "(XEN) " prefixes, joined by "; ". */
static void copy_lines(char *out, size_t size, const char *from, const char *to) {
        size_t n = 0;

        for (const char *p = from; p < to && n + 1 < size;) {
                const char *eol = memchr(p, '\n', (size_t) (to - p));
                if (!eol)
                        eol = to;
                if (strncmp(p, "(XEN) ", 6) == 0)
                        p += 6;
                /* console_timestamps= prefixes: "[2026-11-28 08:00:00.123] " or "[  12.345678] " */
                if (p < eol && *p == '[') {
                        const char *close = memchr(p, ']', (size_t) (eol - p));
                        if (close)
                                p = close + 1;
                }
                while (p < eol && *p == ' ')
                        p++;
                if (p < eol && *p != '*') {
                        if (n > 0 && n + 2 < size) {
                                out[n++] = ';';
                                out[n++] = ' ';
                        }
                        while (p < eol && n + 1 < size) {
                                unsigned char c = (unsigned char) *p++;
                                out[n++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
                        }
                }
                p = eol + 1;
        }
        out[n] = '\0';
}

int xkd_xen_crash_reason(struct xkd_xen *x, char *out, size_t size) {
        char *ring;
        size_t n;
        int r;

        if (size == 0)
                return -EINVAL;
        r = read_ring(x, RING_SCAN_MAX, &ring, &n);
        if (r < 0)
                return r;
        /* NULs would hide the rest of the ring from the string search. */
        for (size_t i = 0; i < n; i++)
                if (ring[i] == '\0')
                        ring[i] = '?';
        const char *kexec = find_last(ring, "Executing kexec image on cpu");
        const char *panic = find_last(ring, "Panic on CPU ");
        const char *hwdom = find_last(ring, "Hardware Dom");
        const char *key = find_last(ring, "'C' pressed -> triggering crashdump");
        r = 0;
        if (panic && (!kexec || panic < kexec)) {
                /* "Panic on CPU N:" then the reason, closed by a line of asterisks. */
                const char *start = strchr(panic, '\n');
                const char *stop = start ? strstr(start, "****************") : NULL;
                if (!start)
                        start = panic + strlen(panic);
                if (!stop)
                        stop = kexec ? kexec : ring + n;
                char detail[512];
                copy_lines(detail, sizeof(detail), start + (*start == '\n'), stop);
                snprintf(out, size, "Xen panic: %s", detail);
        } else if (hwdom && (!kexec || hwdom < kexec)) {
                /* hwdom_shutdown(): "Hardware Dom0 crashed: " or "... shutdown: watchdog
                 * rebooting machine", then kexec_crash() prints on the same line. */
                const char *eol = strchr(hwdom, '\n');
                const char *exec = strstr(hwdom, ": Executing kexec image");
                if (!eol)
                        eol = hwdom + strlen(hwdom);
                if (exec && exec < eol)
                        eol = exec;
                copy_lines(out, size, hwdom, eol);
        } else if (key && (!kexec || key < kexec)) {
                snprintf(out, size, "crash dump requested with Xen debug key 'C'");
        } else
                r = -ENOMSG;
        free(ring);
        return r;
}

int xkd_xen_crashing_cpu(struct xkd_xen *x, unsigned *ret, const char **how) {
        char *ring;
        size_t n;
        unsigned cpu;
        int r;

        r = read_ring(x, RING_SCAN_MAX, &ring, &n);
        if (r == 0) {
                for (size_t i = 0; i < n; i++)
                        if (ring[i] == '\0')
                                ring[i] = '?';
                /* kexec_common_shutdown() prints this on the CPU that runs the crash path. */
                r = number_after(ring, "Executing kexec image on cpu", &cpu);
                if (r < 0)
                        r = number_after(ring, "Panic on CPU ", &cpu);
                free(ring);
                if (r == 0 && (x->nr_cpus == 0 || cpu < x->nr_cpus)) {
                        *ret = cpu;
                        *how = "Xen's console: \"Executing kexec image on cpuN\" / \"Panic on CPU N\"";
                        return 0;
                }
        }

        *how = "Xen's console ring is unavailable or names no CPU (\"Executing kexec image on cpuN\")";
        return -ENODATA;
}

int xkd_xen_crashing_cpu_hint(struct xkd_xen *x, unsigned *ret, const char **how) {
        size_t saved = 0, off_nmi = 0;
        unsigned candidate = 0;

        for (size_t i = 0; i < x->nr_cpus; i++) {
                const struct xkd_xen_cpu *c = &x->cpus[i];
                if (!c->saved)
                        continue;
                saved++;
                if (((c->regs.rsp >> 12) & 7) != 2) {
                        off_nmi++;
                        candidate = c->id;
                }
        }
        if (x->nr_cpus == 1 && saved == 1) {
                *ret = 0;
                *how = "the only CPU in the dump";
                return 0;
        }
        if (saved >= 2 && off_nmi == 1) {
                *ret = candidate;
                *how = "the only CPU whose saved stack pointer is not on its NMI stack (usually the crashing one; not proof)";
                return 0;
        }
        *how = "no single CPU's saved stack pointer stands out";
        return -ENODATA;
}
