/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "state.h"

const char *xkd_state_dir(void) {
        const char *d = getenv("XKD_STATE_DIR");
        return d && *d ? d : "/var/lib/xen-kdump";
}

void xkd_boot_id(char *buf, size_t size) {
        char path[4096];
        FILE *f;

        buf[0] = '\0';
        snprintf(path, sizeof(path), "%s/proc/sys/kernel/random/boot_id", xkd_host_sysroot());
        f = fopen(path, "re");
        if (!f)
                return;
        if (fgets(buf, (int) size, f))
                buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
}

static void copy_value(char *dst, size_t size, const char *v) {
        snprintf(dst, size, "%s", v);
}

int xkd_state_read(struct xkd_state *st) {
        char path[4096], line[8192];
        FILE *f;

        memset(st, 0, sizeof(*st));
        st->xen_status_after = -1;
        snprintf(path, sizeof(path), "%s/state", xkd_state_dir());
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                const char *k = line;
                char *v = eq + 1;
                v[strcspn(v, "\n")] = '\0';
                if (strcmp(k, "LOADED") == 0)
                        st->loaded = atoi(v);
                else if (strcmp(k, "TIME") == 0)
                        st->time = (time_t) strtoll(v, NULL, 10);
                else if (strcmp(k, "BOOT_ID") == 0)
                        copy_value(st->boot_id, sizeof(st->boot_id), v);
                else if (strcmp(k, "XEN_STATUS_AFTER") == 0)
                        st->xen_status_after = atoi(v);
                else if (strcmp(k, "CRASH_START") == 0)
                        st->crash_start = strtoull(v, NULL, 0);
                else if (strcmp(k, "CRASH_SIZE") == 0)
                        st->crash_size = strtoull(v, NULL, 0);
                else if (strcmp(k, "ENTRY") == 0)
                        st->entry = strtoull(v, NULL, 0);
                else if (strcmp(k, "KERNEL") == 0)
                        copy_value(st->kernel, sizeof(st->kernel), v);
                else if (strcmp(k, "KERNEL_SHA256") == 0)
                        copy_value(st->kernel_sha256, sizeof(st->kernel_sha256), v);
                else if (strcmp(k, "INITRD") == 0)
                        copy_value(st->initrd, sizeof(st->initrd), v);
                else if (strcmp(k, "INITRD_SHA256") == 0)
                        copy_value(st->initrd_sha256, sizeof(st->initrd_sha256), v);
                else if (strcmp(k, "CMDLINE") == 0)
                        copy_value(st->cmdline, sizeof(st->cmdline), v);
                else if (strcmp(k, "APPEND") == 0)
                        copy_value(st->append, sizeof(st->append), v);
                else if (strcmp(k, "LOAD_FAILED") == 0)
                        st->load_failed = (time_t) strtoll(v, NULL, 10);
        }
        fclose(f);
        return 0;
}

static int mkdir_parents(const char *dir) {
        char p[4096];

        snprintf(p, sizeof(p), "%s", dir);
        for (char *s = p + 1; ; s++) {
                if (*s != '/' && *s)
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, 0700) < 0 && errno != EEXIST)
                        return -errno;
                if (!c)
                        return 0;
                *s = c;
        }
}

int xkd_state_dir_make(void) {
        return mkdir_parents(xkd_state_dir());
}

int xkd_state_write(const struct xkd_state *st) {
        char path[4096], tmp[4096];
        const char *dir = xkd_state_dir();
        FILE *f;
        int fd, r;

        /* Paths and the command line may not contain newlines: they would split the record. */
        if (strchr(st->kernel, '\n') || strchr(st->initrd, '\n') || strchr(st->cmdline, '\n') || strchr(st->append, '\n'))
                return log_error_errno(-EINVAL, "Refusing to record a path or command line with a newline in it; rename the file.");
        r = mkdir_parents(dir);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m; create it (mode 0700) or set XKD_STATE_DIR.", dir);
        snprintf(path, sizeof(path), "%s/state", dir);
        snprintf(tmp, sizeof(tmp), "%s/.state.tmp", dir);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot write %s: %m; check that %s is writable.", tmp, dir);
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return log_error_errno(-errno, "Cannot write %s: %m.", tmp);
        }
        fprintf(f, "LOADED=%d\nTIME=%lld\nBOOT_ID=%s\nXEN_STATUS_AFTER=%d\n"
                   "CRASH_START=0x%" PRIx64 "\nCRASH_SIZE=0x%" PRIx64 "\nENTRY=0x%" PRIx64 "\n"
                   "KERNEL=%s\nKERNEL_SHA256=%s\nINITRD=%s\nINITRD_SHA256=%s\nCMDLINE=%s\nAPPEND=%s\nLOAD_FAILED=%lld\n",
                st->loaded, (long long) st->time, st->boot_id, st->xen_status_after,
                st->crash_start, st->crash_size, st->entry,
                st->kernel, st->kernel_sha256, st->initrd, st->initrd_sha256, st->cmdline,
                st->append, (long long) st->load_failed);
        if (fflush(f) != 0 || fsync(fd) < 0) {
                int r = -errno;
                fclose(f);
                unlink(tmp);
                return log_error_errno(r, "Cannot write %s: %m.", tmp);
        }
        fclose(f);
        if (rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return log_error_errno(r, "Cannot replace %s: %m.", path);
        }
        return 0;
}
