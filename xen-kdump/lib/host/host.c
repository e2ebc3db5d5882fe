/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "xkd-note.h"

const char *xkd_host_sysroot(void) {
        const char *s = getenv("XKD_SYSROOT");
        return s ? s : "";
}

static FILE *open_below(const char *sysroot, const char *path) {
        char full[4096];

        snprintf(full, sizeof(full), "%s%s", sysroot, path);
        return fopen(full, "re");
}

int xkd_host_dom0_vmcoreinfo(const char *sysroot, struct xkd_range *ret) {
        FILE *f = open_below(sysroot, "/sys/kernel/vmcoreinfo");
        unsigned long long addr, size;
        int n;

        if (!f)
                return -errno;
        /* Linux prints "%pa %x": both hexadecimal. */
        n = fscanf(f, "%llx %llx", &addr, &size);
        fclose(f);
        if (n != 2 || !addr || !size || size > 65536)
                return -EINVAL;
        ret->start = addr;
        ret->size = size;
        return 0;
}

int xkd_host_xen_symbols(const char *sysroot, char *buf, size_t size) {
        static const char *const wanted[] = { XKD_XEN_SYMBOLS };
        uint64_t addr[sizeof(wanted) / sizeof(wanted[0])] = {};
        char line[512], name[256], type;
        unsigned long long a;
        FILE *f;
        int found = 0;

        f = open_below(sysroot, "/proc/xen/xensyms");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
                        continue;
                /* Xen names file-local symbols "file.c#name" (console.c#conring). */
                const char *hash = strrchr(name, '#');
                const char *bare = hash ? hash + 1 : name;
                for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
                        if (strcmp(bare, wanted[i]) == 0 && (!addr[i] || !hash))
                                addr[i] = a;
        }
        fclose(f);

        for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
                size_t used = strlen(buf);
                if (!addr[i])
                        continue;
                int n = snprintf(buf + used, size - used, "SYMBOL(%s)=%llx\n", wanted[i], (unsigned long long) addr[i]);
                if (n < 0 || (size_t) n >= size - used) {
                        buf[used] = '\0';
                        return -ENOBUFS;
                }
                found++;
        }
        return found;
}

static int rsdp_from_efi(const char *sysroot, uint64_t *ret) {
        FILE *f = open_below(sysroot, "/sys/firmware/efi/systab");
        char line[256];
        unsigned long long acpi20 = 0, acpi = 0;

        if (!f)
                return -ENOENT;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "ACPI20=", 7) == 0)
                        acpi20 = strtoull(line + 7, NULL, 0);
                else if (strncmp(line, "ACPI=", 5) == 0)
                        acpi = strtoull(line + 5, NULL, 0);
        }
        fclose(f);
        *ret = acpi20 ? acpi20 : acpi;
        return *ret ? 0 : -ENOENT;
}

/* /dev/kmsg hands out one record per read(); a plain file (tests) gives lines. */
static int rsdp_from_kmsg(const char *sysroot, uint64_t *ret) {
        char path[4096], rec[8192];
        int fd, r = -ENOENT;

        snprintf(path, sizeof(path), "%s/dev/kmsg", sysroot);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -ENOENT;
        for (int i = 0; i < 100000; i++) {
                ssize_t n = read(fd, rec, sizeof(rec) - 1);
                if (n < 0 && errno == EPIPE)
                        continue;       /* record overwritten while reading */
                if (n <= 0)
                        break;
                rec[n] = '\0';
                for (char *p = strstr(rec, "ACPI: RSDP 0x"); p; p = strstr(p + 1, "ACPI: RSDP 0x")) {
                        unsigned long long a = strtoull(p + 11, NULL, 16);
                        if (a) {
                                *ret = a;
                                r = 0;
                                goto out;
                        }
                }
        }
out:
        close(fd);
        return r;
}

int xkd_host_acpi_rsdp(const char *sysroot, uint64_t *ret) {
        if (rsdp_from_efi(sysroot, ret) == 0)
                return 0;
        return rsdp_from_kmsg(sysroot, ret);
}
