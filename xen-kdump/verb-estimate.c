/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump estimate: how big Xen's crash region must be for the configured
 * capture kernel, initramfs and collector on this host, beside what Xen
 * reserved, and the crashkernel= to put on Xen's command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture-kernel.h"
#include "config.h"
#include "bzimage.h"
#include "files.h"
#include "estimate.h"
#include "hv.h"
#include "initrd-size.h"
#include "kernel-facts.h"
#include "load-inputs.h"
#include "log.h"
#include "verbs.h"

#define DEFAULT_GRUB "/etc/default/grub"

static double mib(uint64_t bytes) {
        return (double) bytes / (double) XKD_MiB;
}

struct host_facts {
        uint64_t max_pfn;               /* 0: unknown */
        int have_current;
        uint64_t current_start, current_size;
        char xen_cmdline[1024];
};

/* Ask Xen (or the simulator) for what the flags did not say. */
static int host_from_hypervisor(struct host_facts *h, int need_max_pfn) {
        struct xkd_e820 map[XKD_MAX_E820];
        struct xkd_range crash;
        unsigned n = 0;
        xkd_hv *hv = NULL;
        int r;

        r = xkd_hv_new(&hv);
        if (r < 0) {
                if (need_max_pfn)
                        return log_error_errno(r, "Cannot ask Xen for the host's memory map; run "
                                               "this in dom0, or pass --host-ram SIZE (highest "
                                               "RAM address, e.g. 64G)");
                return 0;
        }
        if (need_max_pfn) {
                r = xkd_hv_memory_map(hv, map, XKD_MAX_E820, &n);
                if (r < 0) {
                        xkd_hv_free(hv);
                        return log_error_errno(r, "Failed to read the host memory map: %m; pass "
                                               "--host-ram SIZE");
                }
                for (unsigned i = 0; i < n; i++)
                        if (map[i].type == XKD_E820_RAM &&
                            (map[i].addr + map[i].size) / XKD_EST_PAGE > h->max_pfn)
                                h->max_pfn = (map[i].addr + map[i].size) / XKD_EST_PAGE;
        }
        if (!h->have_current && xkd_hv_get_crash_range(hv, &crash) >= 0) {
                h->have_current = 1;
                h->current_start = crash.start;
                h->current_size = crash.size;
        }
        if (xkd_hv_xen_cmdline(hv, h->xen_cmdline, sizeof(h->xen_cmdline)) < 0)
                h->xen_cmdline[0] = '\0';
        xkd_hv_free(hv);
        return 0;
}

static char *read_text(const char *path) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && size < (1 << 20)) {
                char *nb = realloc(buf, size + n + 1);
                if (!nb) {
                        free(buf);
                        fclose(f);
                        return NULL;
                }
                buf = nb;
                memcpy(buf + size, chunk, n);
                size += n;
                buf[size] = '\0';
        }
        fclose(f);
        return buf ? buf : strdup("");
}

static void print_where(const char *arg, const char *grub_path, const struct host_facts *h) {
        char value[1024], new_value[1200];
        uint64_t cur;
        char *grub = read_text(grub_path);

        printf("\nWhere: crashkernel= belongs on Xen's command line (not dom0's GRUB_CMDLINE_LINUX).\n");
        if (h->xen_cmdline[0] && xkd_estimate_parse_crashkernel(h->xen_cmdline, &cur) == -EOPNOTSUPP)
                printf("  Xen's line has a crashkernel= ranges form; replace it with the plain size.\n");
        if (!grub) {
                printf("  Add crashkernel=%s to GRUB_CMDLINE_XEN_DEFAULT in %s, then run update-grub "
                       "and reboot.\n", arg, grub_path);
                return;
        }
        if (xkd_estimate_grub_xen_default(grub, value, sizeof(value)) < 0)
                value[0] = '\0';
        free(grub);
        if (xkd_estimate_replace_crashkernel(value, arg, new_value, sizeof(new_value)) < 0) {
                printf("  Set crashkernel=%s in GRUB_CMDLINE_XEN_DEFAULT in %s, then run "
                       "update-grub and reboot.\n", arg, grub_path);
                return;
        }
        printf("  In %s set\n    GRUB_CMDLINE_XEN_DEFAULT=\"%s\"\n", grub_path, new_value);
        if (value[0])
                printf("  (now: GRUB_CMDLINE_XEN_DEFAULT=\"%s\")\n", value);
        printf("  then run update-grub and reboot; Xen reserves the region at boot.\n");
}

/*
 * The checks load makes, with its messages (estimate must not bless a kernel
 * load refuses), and the facts the estimate needs, from one read of the
 * file; only a payload whose decompressor is an outside tool is read again,
 * by that tool.
 */
static int kernel_read_facts(const char *kernel, struct xkd_kernel_facts *kf) {
        static const char fix[] = "configure a Linux bzImage as the capture kernel";
        struct xkd_bzimage bz;
        size_t size;
        void *data;
        int r;

        r = xkd_read_file(kernel, XKD_MAX_KERNEL_SIZE, "kernel", fix, &data, &size);
        if (r < 0)
                return r;
        r = xkd_bzimage_parse(data, size, &bz);
        if (r >= 0) {
                r = xkd_kernel_facts_from_data(data, size, kernel, kf);
                if (r == -EINVAL)
                        r = log_error_errno(r, "%s is not a bzImage with boot protocol 2.10 or later; %s",
                                            kernel, fix);
        }
        free(data);
        if (r == -EOPNOTSUPP)
                r = xkd_kernel_facts_read(kernel, kf);
        return r;
}

int verb_estimate(int argc, char **argv) {
        enum { ARG_KVER = 0x100, ARG_KERNEL, ARG_INITRD, ARG_CONFIG, ARG_HOST_RAM, ARG_CURRENT,
               ARG_GRUB };
        static const struct option options[] = {
                { "config",   required_argument, NULL, ARG_CONFIG },
                { "kver",     required_argument, NULL, ARG_KVER },
                { "kernel",   required_argument, NULL, ARG_KERNEL },
                { "initrd",   required_argument, NULL, ARG_INITRD },
                { "host-ram", required_argument, NULL, ARG_HOST_RAM },
                { "current",  required_argument, NULL, ARG_CURRENT },
                { "grub",     required_argument, NULL, ARG_GRUB },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        struct xkd_config_override ov[] = {
                { XKD_CONF_KERNEL, NULL, "--kernel" },
                { XKD_CONF_INITRD, NULL, "--initrd" },
        };
        struct host_facts host = {};
        struct xkd_kernel_facts kf;
        struct xkd_initrd_size is;
        struct xkd_estimate_input in = {};
        struct xkd_estimate e;
        const char *kver = NULL, *grub = DEFAULT_GRUB;
        uint64_t host_ram = 0;
        char arg[32];
        xkd_config *c = NULL;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case ARG_CONFIG: xkd_config_set_path(optarg); break;
                case ARG_KVER: kver = optarg; break;
                case ARG_KERNEL: ov[0].value = optarg; break;
                case ARG_INITRD: ov[1].value = optarg; break;
                case ARG_GRUB: grub = optarg; break;
                case ARG_HOST_RAM:
                        if (xkd_estimate_parse_size(optarg, &host_ram) < 0 || host_ram == 0) {
                                log_error("--host-ram '%s' is not a size; write e.g. 64G.", optarg);
                                return 2;
                        }
                        break;
                case ARG_CURRENT:
                        if (xkd_estimate_parse_size(optarg, &host.current_size) < 0) {
                                log_error("--current '%s' is not a size; write e.g. 256M (0: none).",
                                          optarg);
                                return 2;
                        }
                        host.have_current = 1;
                        break;
                case 'h':
                        printf("Usage: xen-kdump estimate [--config FILE] [--kver VERSION] [--kernel K]\n"
                               "                          [--initrd I] [--host-ram SIZE] [--current SIZE]\n"
                               "                          [--grub FILE]\n\n"
                               "How big Xen's crash region must be for the configured capture image on\n"
                               "this host, beside the current one, and the crashkernel= that gives it.\n"
                               "Host RAM and the current region come from Xen unless given.\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see 'xen-kdump estimate --help'.", argv[optind]);
                return 2;
        }

        r = xkd_config_open(&c, kver, ov, sizeof(ov) / sizeof(ov[0]));
        if (r < 0)
                return r;
        const char *kernel = xkd_config_get(c, XKD_CONF_KERNEL);
        const char *initrd = xkd_config_get(c, XKD_CONF_INITRD);
        enum xkd_target_kind target = xkd_config_target(c)->kind;
        int engine = xkd_config_get_choice(c, XKD_CONF_ENGINE);
        uint64_t dump_level = xkd_config_get_number(c, XKD_CONF_DUMP_LEVEL);

        r = kernel_read_facts(kernel, &kf);
        if (r < 0)
                goto out;
        if (access(initrd, F_OK) < 0) {
                r = log_error_errno(-errno, "Capture initramfs %s: %m; build it with "
                                    "'xen-kdump rebuild' or pass --initrd", initrd);
                goto out;
        }
        r = xkd_initrd_measure(initrd, &is);
        if (r < 0)
                goto out;

        if (host_ram)
                host.max_pfn = (host_ram + XKD_EST_PAGE - 1) / XKD_EST_PAGE;
        if (!host_ram || !host.have_current) {
                r = host_from_hypervisor(&host, !host_ram);
                if (r < 0)
                        goto out;
        }

        in = (struct xkd_estimate_input) {
                .kernel_init_size = kf.init_size,
                .kernel_alignment = kf.kernel_alignment,
                .kernel_payload = kf.payload,
                .kernel_static = kf.static_size,
                .kernel_resident = kf.resident_size,
                .minimal_kernel = kf.minimal,
                .initrd_packed = is.packed,
                .initrd_unpacked = is.unpacked.footprint,
                .host_max_pfn = host.max_pfn,
                .network_target = target == XKD_TARGET_SSH || target == XKD_TARGET_NFS,
                .makedumpfile = engine == XKD_ENGINE_MAKEDUMPFILE,
        };
        xkd_estimate_compute(&in, &e);
        xkd_estimate_size_arg(e.recommended, arg, sizeof(arg));

        printf("Capture image\n");
        printf("  kernel     %s\n             %s%s\n", kernel, kf.version[0] ? kf.version : "(no version)",
               kf.minimal ? "  [minimal xen-kdump kernel]" : "");
        printf("             boots in %.1f MiB (init_size %.1f MiB, %.0f MiB aligned), keeps %.1f MiB%s\n",
               mib(e.kernel_load), mib(kf.init_size), mib(kf.kernel_alignment), mib(e.kernel_static),
               kf.static_size ? "" : " (payload not measured: assuming all of init_size)");
        printf("  initramfs  %s\n             %.1f MiB packed (%s), %.1f MiB unpacked in %llu entries\n",
               initrd, mib(is.packed), xkd_compression_name(is.compression),
               mib(is.unpacked.footprint), (unsigned long long) is.unpacked.entries);
        printf("  collector  %s for a host with RAM up to %.0f MiB: bitmaps %.1f MiB, buffers %.0f MiB\n",
               in.makedumpfile ? "makedumpfile" : "native", mib(host.max_pfn * XKD_EST_PAGE),
               mib(e.collector_bitmaps), mib(e.collector_buffers));
        printf("\nRegion needed\n");
        printf("  at load    %6.1f MiB  kernel %.1f + initramfs %.1f + loader %.1f\n",
               mib(e.at_load), mib(e.kernel_load), mib(e.initrd_transient), mib(e.loader));
        printf("  booting    %6.1f MiB  kernel %.1f + its allocations %.1f%s + initramfs %.1f"
               " + packed %.1f\n",
               mib(e.boot_phase + e.loader), mib(e.kernel_static), mib(e.kernel_runtime),
               in.network_target ? " (network target)" : "", mib(e.initrd_unpacked),
               mib(e.initrd_transient));
        printf("  collecting %6.1f MiB  kernel %.1f + its allocations %.1f + initramfs %.1f"
               " + collector %.1f\n",
               mib(e.collect_phase + e.loader), mib(e.kernel_resident), mib(e.kernel_runtime),
               mib(e.initrd_unpacked), mib(e.collector_bitmaps + e.collector_buffers));
        printf("  unpacking  %6.1f MiB  kernel %.1f + packed %.1f + twice the initramfs %.1f"
               " (its tmpfs gets half the RAM)\n",
               mib(e.unpack_phase + e.loader), mib(e.kernel_static), mib(e.initrd_transient),
               mib(2 * e.initrd_unpacked));
        printf("             (each + loader %.1f)\n", mib(e.loader));
        printf("  + struct pages %.1f MiB, margin %.1f MiB\n", mib(e.struct_pages), mib(e.margin));
        printf("  needed     %6.1f MiB  ->  crashkernel=%s\n", mib(e.needed), arg);

        printf("\nCurrent reservation: ");
        if (!host.have_current)
                printf("unknown (not asked Xen; pass --current SIZE)\n");
        else if (host.current_size == 0)
                printf("none: a crash now just reboots the host and loses everything.\n");
        else if (host.current_size >= e.recommended + XKD_EST_GRANULE)
                printf("%.0f MiB - enough; %.0f MiB more than needed could go back to guests.\n",
                       mib(host.current_size), mib(host.current_size - e.recommended));
        else if (host.current_size >= e.needed)
                printf("%.0f MiB - enough.\n", mib(host.current_size));
        else
                printf("%.0f MiB - TOO SMALL by %.1f MiB: the capture would fail.\n",
                       mib(host.current_size), mib(e.needed - host.current_size));
        if (!kf.minimal)
                printf("Hint: the minimal kernel from crashkernel/ needs far less than a "
                       "distribution kernel; once 'make crashkernel install' puts it at %s, "
                       "it is the default capture kernel.\n", XKD_MINIMAL_KERNEL_PATH);
        /* Levels 2-16 (cache, cache private, user, free) need dom0's page types. */
        if (in.makedumpfile && (dump_level & 0x1e))
                printf("Warning: makedumpfile at dump_level %llu on a Xen dump needs dom0's debug "
                       "vmlinux and about 1 GiB of region (measured); use engine native.\n",
                       (unsigned long long) dump_level);
        print_where(arg, grub, &host);
        r = 0;
out:
        xkd_config_free(c);
        return r;
}
