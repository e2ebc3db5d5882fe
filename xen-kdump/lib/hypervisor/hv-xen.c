/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real hypervisor, through libxenctrl.  Only KEXEC_CMD_kexec_load (op 4):
 * the v1 op with its 17-entry page list is never used.
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef __XEN_TOOLS__
#error "__XEN_TOOLS__ must be defined (the Makefile does), or <xen/kexec.h> silently selects the legacy v1 load op"
#endif
#include <xenctrl.h>
#include <xen/kexec.h>
#include <xen/version.h>

#include "host.h"
#include "hv.h"
#include "log.h"

/* HEADER TRAP: below interface version 0x00040400, KEXEC_CMD_kexec_load and
 * xen_kexec_load_t quietly mean the legacy v1 op.  Pin what we rely on so a
 * header change breaks the build instead of a crash capture. */
_Static_assert(KEXEC_CMD_kexec_load == 4, "KEXEC_CMD_kexec_load must be the v2 op 4");
_Static_assert(KEXEC_CMD_kexec_unload == 5, "KEXEC_CMD_kexec_unload must be the v2 op 5");
_Static_assert(KEXEC_CMD_kexec_status == 6, "KEXEC_CMD_kexec_status must be op 6");
_Static_assert(sizeof(xen_kexec_segment_t) == 32, "xen_kexec_segment must be 32 bytes");
_Static_assert(offsetof(xen_kexec_segment_t, buf_size) == 8, "xen_kexec_segment.buf_size at 8");
_Static_assert(offsetof(xen_kexec_segment_t, dest_maddr) == 16, "xen_kexec_segment.dest_maddr at 16");
_Static_assert(offsetof(xen_kexec_segment_t, dest_size) == 24, "xen_kexec_segment.dest_size at 24");
_Static_assert(sizeof(xen_kexec_load_t) == 24, "xen_kexec_load must be 24 bytes (v2)");
_Static_assert(offsetof(xen_kexec_load_t, type) == 0, "xen_kexec_load.type at 0");
_Static_assert(offsetof(xen_kexec_load_t, _pad) == 1, "xen_kexec_load._pad at 1");
_Static_assert(offsetof(xen_kexec_load_t, arch) == 2, "xen_kexec_load.arch at 2");
_Static_assert(offsetof(xen_kexec_load_t, nr_segments) == 4, "xen_kexec_load.nr_segments at 4");
_Static_assert(offsetof(xen_kexec_load_t, segments) == 8, "xen_kexec_load.segments at 8");
_Static_assert(offsetof(xen_kexec_load_t, entry_maddr) == 16, "xen_kexec_load.entry_maddr at 16");
_Static_assert(KEXEC_TYPE_CRASH == XKD_KEXEC_TYPE_CRASH, "KEXEC_TYPE_CRASH");
_Static_assert(KEXEC_TYPE_DEFAULT == XKD_KEXEC_TYPE_DEFAULT, "KEXEC_TYPE_DEFAULT");
_Static_assert(KEXEC_RANGE_MA_CRASH == XKD_RANGE_MA_CRASH, "MA_CRASH");
_Static_assert(KEXEC_RANGE_MA_CPU == XKD_RANGE_MA_CPU, "MA_CPU");
_Static_assert(KEXEC_RANGE_MA_VMCOREINFO == XKD_RANGE_MA_VMCOREINFO, "MA_VMCOREINFO");

struct hv_xen {
        struct xkd_hv hv;
        xc_interface *xch;
};

static xc_interface *xch_of(xkd_hv *hv) {
        return ((struct hv_xen *) hv)->xch;
}

static int xen_get_range(xkd_hv *hv, int range, int nr, struct xkd_range *ret) {
        uint64_t size = 0, start = 0;

        if (xc_kexec_get_range(xch_of(hv), range, nr, &size, &start) < 0)
                return -errno;
        ret->start = start;
        ret->size = size;
        return 0;
}

static int xen_memory_map(xkd_hv *hv, struct xkd_e820 *entries, unsigned max, unsigned *ret_n) {
        struct e820entry map[XKD_MAX_E820];
        int n = xc_get_machine_memory_map(xch_of(hv), map, XKD_MAX_E820);

        if (n < 0)
                return -errno;
        if ((unsigned) n > max)
                return -E2BIG;
        for (int i = 0; i < n; i++)
                entries[i] = (struct xkd_e820) { map[i].addr, map[i].size, map[i].type };
        *ret_n = (unsigned) n;
        return 0;
}

static int xen_nr_cpus(xkd_hv *hv, unsigned *ret) {
        xc_physinfo_t info = {};

        if (xc_physinfo(xch_of(hv), &info) < 0)
                return -errno;
        /* Notes exist per possible CPU id, not only online ones. */
        *ret = info.max_cpu_id + 1;
        return 0;
}

static int xen_cmdline(xkd_hv *hv, char *buf, size_t size) {
        xen_commandline_t line = {};

        if (xc_version(xch_of(hv), XENVER_commandline, &line) < 0)
                return -errno;
        line[sizeof(line) - 1] = '\0';
        if (strlen(line) >= size)
                return -ENOBUFS;
        strcpy(buf, line);
        return 0;
}

static int xen_version(xkd_hv *hv, unsigned *major, unsigned *minor) {
        int v = xc_version(xch_of(hv), XENVER_version, NULL);

        if (v < 0)
                return -errno;
        *major = (unsigned) v >> 16;
        *minor = (unsigned) v & 0xffff;
        return 0;
}

static int xen_load(xkd_hv *hv, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                    const struct xkd_segment *segments, unsigned nr_segments) {
        xc_interface *xch = xch_of(hv);
        xen_kexec_segment_t segs[XKD_MAX_SEGMENTS] = {};
        xc_hypercall_buffer_array_t *array;
        int r = 0;

        if (nr_segments > XKD_MAX_SEGMENTS)
                return -EINVAL;

        /* Xen copies from the segment buffers during the hypercall: they must
         * be hypercall buffers, not ordinary heap memory. */
        array = xc_hypercall_buffer_array_create(xch, nr_segments ? nr_segments : 1);
        if (!array)
                return -ENOMEM;

        for (unsigned i = 0; i < nr_segments; i++) {
                DECLARE_HYPERCALL_BUFFER(void, seg_buf);

                if (segments[i].buf && segments[i].buf_size) {
                        seg_buf = xc_hypercall_buffer_array_alloc(xch, array, i, seg_buf,
                                                                  segments[i].buf_size);
                        if (!seg_buf) {
                                r = -ENOMEM;
                                goto out;
                        }
                        memcpy(seg_buf, segments[i].buf, segments[i].buf_size);
                        set_xen_guest_handle(segs[i].buf.h, seg_buf);
                        segs[i].buf_size = segments[i].buf_size;
                } else
                        set_xen_guest_handle(segs[i].buf.h, HYPERCALL_BUFFER_NULL);
                segs[i].dest_maddr = segments[i].dest_maddr;
                segs[i].dest_size = segments[i].dest_size;
        }

        if (xc_kexec_load(xch, type, arch, entry_maddr, nr_segments, segs) < 0)
                r = -errno;
out:
        xc_hypercall_buffer_array_destroy(xch, array);
        return r;
}

static int xen_unload(xkd_hv *hv, uint8_t type) {
        if (xc_kexec_unload(xch_of(hv), type) < 0)
                return -errno;
        return 0;
}

static int xen_status(xkd_hv *hv, uint8_t type) {
        int r = xc_kexec_status(xch_of(hv), type);

        if (r < 0)
                return -errno;
        return r ? 1 : 0;
}

static void xen_free(xkd_hv *hv) {
        struct hv_xen *x = (struct hv_xen *) hv;

        if (x->xch)
                xc_interface_close(x->xch);
        free(x);
}

static const struct xkd_hv_ops xen_ops = {
        .name = "xen",
        .get_range = xen_get_range,
        .memory_map = xen_memory_map,
        .nr_cpus = xen_nr_cpus,
        .xen_cmdline = xen_cmdline,
        .xen_version = xen_version,
        .load = xen_load,
        .unload = xen_unload,
        .status = xen_status,
        .free = xen_free,
};

int xkd_hv_new_xen(xkd_hv **ret) {
        struct hv_xen *x;
        int r;

        r = xkd_hv_check_dom0(xkd_host_sysroot());
        if (r < 0)
                return r;

        x = calloc(1, sizeof(*x));
        if (!x)
                return log_error_errno(-ENOMEM, "Out of memory.");
        x->hv.ops = &xen_ops;
        /* Our own one-line errors name the fix; libxenctrl's log would only add noise. */
        x->xch = xc_interface_open(NULL, NULL, XC_OPENFLAG_NON_REENTRANT);
        if (!x->xch) {
                r = -errno ?: -EIO;
                free(x);
                return log_error_errno(r, "Cannot open the Xen control interface: %m; run as root in dom0 with xen-privcmd loaded (modprobe xen-privcmd).");
        }
        *ret = &x->hv;
        return 0;
}
