/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stub's C part: check the digest and say so on the serial console the
 * loader named (Xen's own UART, already programmed).  Runs with no IDT, so
 * nothing here may fault, and nothing may wait without a bound: a dead or
 * absent UART must not keep the machine from resetting or booting.
 */

#include "stub.h"

static inline void outb(uint16_t port, uint8_t v) {
        __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
        uint8_t v;

        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

#define UART_LSR        5
#define UART_LSR_THRE   0x20

static void serial_putc(uint16_t port, char c) {
        /* An absent UART reads 0xff (THRE set), a wedged one is given ~100 ms. */
        for (unsigned spins = 0; spins < 100000 && !(inb(port + UART_LSR) & UART_LSR_THRE); spins++)
                ;
        outb(port, (uint8_t) c);
}

static void serial_puts(uint16_t port, const char *s) {
        if (port == XKD_PURGATORY_SERIAL_NONE)
                return;
        for (; *s; s++) {
                if (*s == '\n')
                        serial_putc(port, '\r');
                serial_putc(port, *s);
        }
}

static void serial_hex(uint16_t port, const uint8_t *d, unsigned n) {
        static const char digits[] = "0123456789abcdef";
        char buf[2 * XKD_SHA256_DIGEST_SIZE + 1];
        unsigned i;

        for (i = 0; i < n && i < XKD_SHA256_DIGEST_SIZE; i++) {
                buf[2 * i] = digits[d[i] >> 4];
                buf[2 * i + 1] = digits[d[i] & 0xf];
        }
        buf[2 * i] = '\0';
        serial_puts(port, buf);
}

static void serial_u64(uint16_t port, uint64_t v) {
        char buf[21];
        unsigned i = sizeof(buf) - 1;

        buf[i] = '\0';
        do {
                buf[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        serial_puts(port, buf + i);
}

static void serial_hex64(uint16_t port, uint64_t v) {
        uint8_t be[8];

        for (unsigned i = 0; i < 8; i++)
                be[i] = (uint8_t) (v >> (56 - 8 * i));
        serial_puts(port, "0x");
        serial_hex(port, be, 8);
}

void purgatory_exception(uint64_t vector, uint64_t error, uint64_t rip, uint64_t cr2,
                         const struct xkd_purgatory_params *p, uint64_t stub_base) {
        uint16_t port = p->serial_port;

        serial_puts(port, "\nxen-kdump purgatory: EXCEPTION ");
        serial_u64(port, vector);
        serial_puts(port, " error ");
        serial_hex64(port, error);
        serial_puts(port, " at rip ");
        serial_hex64(port, rip);
        serial_puts(port, " (stub at ");
        serial_hex64(port, stub_base);
        serial_puts(port, ")");
        if (vector == 14) {
                serial_puts(port, ", page fault at ");
                serial_hex64(port, cr2);
                serial_puts(port, ": is every digest region inside a loaded segment?");
        }
        serial_puts(port, "\nxen-kdump purgatory: resetting the machine\n");
}

int purgatory_main(const struct xkd_purgatory_params *p) {
        uint8_t computed[XKD_SHA256_DIGEST_SIZE];
        uint16_t port = p->serial_port;
        uint64_t total = 0;
        int r;

        serial_puts(port, "\nxen-kdump purgatory: checking SHA-256 of ");
        serial_u64(port, p->nr_regions);
        serial_puts(port, " regions");
        if (p->nr_regions <= XKD_PURGATORY_MAX_REGIONS) {
                for (uint32_t i = 0; i < p->nr_regions; i++)
                        total += p->regions[i].size;
                serial_puts(port, " (");
                serial_u64(port, total);
                serial_puts(port, " bytes)");
        }
        serial_puts(port, "\n");

        r = xkd_purgatory_check(p, computed);
        if (r == 0) {
                serial_puts(port, "xen-kdump purgatory: digest ok, entering the capture kernel\n");
                return 0;
        }

        serial_puts(port, "xen-kdump purgatory: DIGEST MISMATCH, the crash image was overwritten: "
                          "resetting the machine\n  expected ");
        serial_hex(port, p->sha256, XKD_SHA256_DIGEST_SIZE);
        serial_puts(port, "\n  computed ");
        serial_hex(port, computed, XKD_SHA256_DIGEST_SIZE);
        serial_puts(port, "\n");
        return r;
}

/* GCC may emit calls to these even in freestanding code (struct copies). */
void *memcpy(void *dest, const void *src, size_t n) {
        uint8_t *d = dest;
        const uint8_t *s = src;

        while (n--)
                *d++ = *s++;
        return dest;
}

void *memset(void *dest, int c, size_t n) {
        uint8_t *d = dest;

        while (n--)
                *d++ = (uint8_t) c;
        return dest;
}
