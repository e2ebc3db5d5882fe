/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture-cmdline.h"
#include "log.h"

/* Value of the LAST "key=" word on a command line (later ones win, as in Xen). */
static int find_option(const char *line, const char *key, char *val, size_t size) {
        size_t klen = strlen(key);
        int found = 0;

        for (const char *p = line; p && *p; ) {
                p += strspn(p, " \t");
                size_t wlen = strcspn(p, " \t");
                if (wlen > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
                        size_t vlen = wlen - klen - 1;
                        if (vlen >= size)
                                vlen = size - 1;
                        memcpy(val, p + klen + 1, vlen);
                        val[vlen] = '\0';
                        found = 1;
                }
                p += wlen;
        }
        return found;
}

static int console_has(const char *consoles, const char *name) {
        size_t n = strlen(name);

        for (const char *p = consoles; *p; ) {
                size_t len = strcspn(p, ",");
                if (len == n && strncmp(p, name, n) == 0)
                        return 1;
                p += len;
                if (*p == ',')
                        p++;
        }
        return 0;
}

/* Which COM port (1 or 2) Xen's console writes to, 0 if none. */
static int xen_serial_port(const char *xen_cmdline) {
        char consoles[256];

        /* Xen's default console is "com1,vga", but com1 only works when configured. */
        if (!find_option(xen_cmdline, "console", consoles, sizeof(consoles))) {
                char dummy[64];
                return find_option(xen_cmdline, "com1", dummy, sizeof(dummy)) ? 1 : 0;
        }
        if (console_has(consoles, "com1"))
                return 1;
        if (console_has(consoles, "com2"))
                return 2;
        return 0;
}

uint16_t xkd_serial_port_from_xen(const char *xen_cmdline) {
        switch (xen_serial_port(xen_cmdline)) {
        case 1: return 0x3f8;
        case 2: return 0x2f8;
        default: return 0;
        }
}

int xkd_serial_console_from_xen(const char *xen_cmdline, char *buf, size_t size) {
        int port = xen_serial_port(xen_cmdline);
        char conf[128] = "", key[8];
        unsigned long baud = 0;
        int n;

        if (!port) {
                if (size)
                        buf[0] = '\0';
                return 0;
        }
        snprintf(key, sizeof(key), "com%d", port);
        if (find_option(xen_cmdline, key, conf, sizeof(conf))) {
                /* comN=<baud>[/<clock>][,DPS[,io-base[,irq...]]]; "auto" keeps the firmware's speed. */
                char *end;
                baud = strtoul(conf, &end, 10);
                if (end == conf || (*end && *end != ',' && *end != '/'))
                        baud = 0;
        }
        if (baud)
                n = snprintf(buf, size, "console=ttyS%d,%lu", port - 1, baud);
        else
                n = snprintf(buf, size, "console=ttyS%d", port - 1);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

int xkd_capture_cmdline(const char *xen_cmdline, uint64_t elfcorehdr_maddr, const char *append,
                        char *buf, size_t size) {
        char console[64], user[4096] = "", val[64];
        int r, n;

        r = xkd_serial_console_from_xen(xen_cmdline, console, sizeof(console));
        if (r < 0)
                return r;

        /* Copy the user's words, minus console=hvc0 (no Xen console after a crash). */
        for (const char *p = append ? append : ""; *p; ) {
                p += strspn(p, " \t\n");
                size_t wlen = strcspn(p, " \t\n");
                if (!wlen)
                        break;
                if (wlen >= 12 && strncmp(p, "console=hvc", 11) == 0)
                        log_warning("Dropping '%.*s' from the capture command line: there is no Xen console after a crash; the serial console is used instead.",
                                    (int) wlen, p);
                else {
                        size_t used = strlen(user);
                        if (used + wlen + 2 > sizeof(user))
                                return log_error_errno(-E2BIG, "The --append arguments are too long (over %zu bytes); shorten them.", sizeof(user));
                        snprintf(user + used, sizeof(user) - used, "%s%.*s", used ? " " : "", (int) wlen, p);
                }
                p += wlen;
        }
        if (find_option(user, "console", val, sizeof(val)))
                console[0] = '\0';
        bool own_nr_cpus = find_option(user, "nr_cpus", val, sizeof(val));
        bool own_maxcpus = find_option(user, "maxcpus", val, sizeof(val));

        n = snprintf(buf, size, "%s%s%s%s" XKD_CAPTURE_BASE_ARGS " elfcorehdr=%lluK%s%s",
                     console, console[0] ? " " : "", own_nr_cpus ? "" : "nr_cpus=1 ", own_maxcpus ? "" : "maxcpus=1 ",
                     (unsigned long long) (elfcorehdr_maddr >> 10), user[0] ? " " : "", user);
        if (n < 0 || (size_t) n >= size)
                return log_error_errno(-E2BIG, "The capture command line needs %d bytes, the kernel accepts %zu; shorten --append.", n, size - 1);
        return 0;
}
