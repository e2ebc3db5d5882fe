/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv.h"
#include "log.h"

int xkd_hv_new(xkd_hv **ret) {
        const char *e = getenv("XKD_HV");

        if (e && strncmp(e, "sim:", 4) == 0)
                return xkd_hv_new_sim(e + 4, ret);
        if (e && *e && strcmp(e, "xen") != 0)
                return log_error_errno(-EINVAL, "XKD_HV=%s is not understood; use XKD_HV=xen or XKD_HV=sim:<config file>.", e);
        return xkd_hv_new_xen(ret);
}

xkd_hv *xkd_hv_free(xkd_hv *hv) {
        if (hv)
                hv->ops->free(hv);
        return NULL;
}

const char *xkd_hv_name(xkd_hv *hv) {
        return hv->ops->name;
}

int xkd_hv_get_crash_range(xkd_hv *hv, struct xkd_range *ret) {
        return hv->ops->get_range(hv, XKD_RANGE_MA_CRASH, 0, ret);
}

int xkd_hv_get_cpu_note(xkd_hv *hv, unsigned cpu, struct xkd_range *ret) {
        return hv->ops->get_range(hv, XKD_RANGE_MA_CPU, (int) cpu, ret);
}

int xkd_hv_get_vmcoreinfo(xkd_hv *hv, struct xkd_range *ret) {
        return hv->ops->get_range(hv, XKD_RANGE_MA_VMCOREINFO, 0, ret);
}

int xkd_hv_memory_map(xkd_hv *hv, struct xkd_e820 *entries, unsigned max, unsigned *ret_n) {
        return hv->ops->memory_map(hv, entries, max, ret_n);
}

int xkd_hv_nr_cpus(xkd_hv *hv, unsigned *ret) {
        return hv->ops->nr_cpus(hv, ret);
}

int xkd_hv_xen_cmdline(xkd_hv *hv, char *buf, size_t size) {
        return hv->ops->xen_cmdline(hv, buf, size);
}

int xkd_hv_xen_version(xkd_hv *hv, unsigned *major, unsigned *minor) {
        return hv->ops->xen_version(hv, major, minor);
}

int xkd_hv_load(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                const struct xkd_segment *segments, unsigned nr_segments) {
        return hv->ops->load(hv, type, arch, entry_maddr, segments, nr_segments);
}

int xkd_hv_unload(xkd_hv *hv, uint8_t type) {
        return hv->ops->unload(hv, type);
}

int xkd_hv_status(xkd_hv *hv, uint8_t type) {
        return hv->ops->status(hv, type);
}

static int read_small_file(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        int r = n < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return r;
        buf[n] = '\0';
        return 0;
}

int xkd_hv_check_dom0(const char *sysroot) {
        char path[4096], caps[256];
        struct stat st;
        int r;

        snprintf(path, sizeof(path), "%s/sys/hypervisor/type", sysroot);
        if (read_small_file(path, caps, sizeof(caps)) < 0 || strncmp(caps, "xen", 3) != 0) {
                /* /sys/hypervisor may be absent without CONFIG_XEN_SYS_HYPERVISOR; /proc/xen decides then. */
                snprintf(path, sizeof(path), "%s/proc/xen", sysroot);
                if (stat(path, &st) < 0)
                        return log_error_errno(-ENODEV, "Not running on Xen (no %s/sys/hypervisor/type, no /proc/xen); boot this host as Xen's dom0.", sysroot);
        }

        snprintf(path, sizeof(path), "%s/proc/xen/capabilities", sysroot);
        r = read_small_file(path, caps, sizeof(caps));
        if (r == -ENOENT && !*sysroot) {
                /* xenfs not mounted yet: mount it, as the Xen tools do. */
                if (mount("xenfs", "/proc/xen", "xenfs", 0, NULL) == 0)
                        r = read_small_file(path, caps, sizeof(caps));
        }
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m; mount xenfs (mount -t xenfs xenfs /proc/xen) and run this in dom0.", path);
        if (!strstr(caps, "control_d"))
                return log_error_errno(-EPERM, "This is not dom0 (%s has no control_d); run xen-kdump load in dom0.", path);

        snprintf(path, sizeof(path), "%s/dev/xen/privcmd", sysroot);
        if (stat(path, &st) < 0)
                return log_error_errno(-ENODEV, "No %s: load the privcmd driver (modprobe xen-privcmd).", path);
        return 0;
}

uint64_t xkd_xen_carve_pages(const struct xkd_segment *segments, unsigned nr_segments) {
        /* control page + indirection page + L4 + the page tables for the jump:
         * one L1 per 2 MiB, one L2 per 1 GiB, one L3 per 512 GiB touched,
         * counted per segment (overestimates when segments share a table). */
        uint64_t pages = 3;

        for (unsigned i = 0; i < nr_segments; i++) {
                uint64_t s = segments[i].dest_maddr, e = s + segments[i].dest_size;
                if (e <= s)
                        continue;
                pages += ((e - 1) >> 21) - (s >> 21) + 1;
                pages += ((e - 1) >> 30) - (s >> 30) + 1;
                pages += ((e - 1) >> 39) - (s >> 39) + 1;
        }
        /* The control page needs its own mapping too. */
        return pages + 3;
}
