/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect-host.h"
#include "filter.h"

enum kind kind_of(uint64_t mfn) { return (enum kind) (mfn % 4); }

void page_content(uint64_t mfn, uint8_t *p) {
        for (unsigned i = 0; i < 4096; i += 8) {
                uint64_t v = (mfn << 32) ^ (i * 0x9e3779b1u) ^ (kind_of(mfn) == K_DOMU ? 0xd0d0d0d0u : 0);
                memcpy(p + i, &v, 8);
        }
        memcpy(p, kind_of(mfn) == K_DOMU ? "DOMU-MARKER" : "DOM0-OR-XEN", 12);
}

bool mine(const struct host *h, uint64_t mfn) {
        return mfn >= h->first && mfn < h->last && !vmgen_is_xen_page(h->g, mfn) && vmgen_is_ram(h->g, mfn);
}

/* A host with dom0, one domU and Xen free pages in the given layout. */
void make_host(struct host *h, unsigned minor, uint64_t free_bits, struct vmgen_config cfg) {
        uint64_t domu, dom0;

        strcpy(h->dir, "/tmp/xkd-collect-XXXXXX");
        if (!mkdtemp(h->dir))
                abort();
        snprintf(h->vmcore, sizeof(h->vmcore), "%s/vmcore", h->dir);
        snprintf(h->out, sizeof(h->out), "%s/dumps", h->dir);
        cfg.dom0 = true;
        cfg.xen_minor = minor;
        cfg.xen_major = 4;
        h->g = vmgen_new(&cfg);
        domu = vmgen_add_domain(h->g, 1);
        dom0 = vmgen_dom0_domain(h->g);
        h->first = 16;
        h->last = 400;
        for (uint64_t m = h->first; m < h->last; m++) {
                if (!mine(h, m))
                        continue;
                page_content(m, vmgen_page(h->g, m));
                switch (kind_of(m)) {
                case K_DOMU: vmgen_set_page_info(h->g, m, ALLOCATED | 1, domu); break;
                case K_FREE: vmgen_set_page_info(h->g, m, free_bits, 0); break;
                case K_DOM0: vmgen_set_page_info(h->g, m, ALLOCATED | 1, dom0); break;
                case K_ANON: vmgen_set_page_info(h->g, m, 1, 0); break;
                }
        }
        if (vmgen_write(h->g, h->vmcore) < 0)
                abort();
}

void rm_rf(const char *path) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
        if (system(cmd) != 0)
                abort();
}

void free_host(struct host *h) {
        vmgen_free(h->g);
        rm_rf(h->dir);
}

struct xkd_collect_options host_opts(const struct host *h) {
        return (struct xkd_collect_options) { .vmcore = h->vmcore, .output = h->out, .level = XKD_DL_XEN | XKD_DL_ZERO,
                                              .host = "unit", .quiet = true };
}

bool exists_at(const char *dir, const char *name) {
        char p[PATH_MAX + 64];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return stat(p, &st) == 0;
}

unsigned mode_of(const char *dir, const char *name) {
        char p[PATH_MAX + 64];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return stat(p, &st) == 0 ? st.st_mode & 07777 : 0;
}

bool file_contains(const char *dir, const char *name, const char *needle) {
        char p[PATH_MAX + 64], *buf = calloc(1, 1 << 20);
        bool found;
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_RDONLY);
        if (fd < 0 || read(fd, buf, (1 << 20) - 1) < 0)
                buf[0] = 0;
        if (fd >= 0)
                close(fd);
        found = strstr(buf, needle) != NULL;
        free(buf);
        return found;
}

/* Checks every frame this test owns: domU and free ones are gone, the rest equal. */
