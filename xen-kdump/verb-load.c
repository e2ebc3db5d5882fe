/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump load: build the crash image and hand it to Xen.  A failed load
 * never unloads first: Xen swaps images only on success, so the previous
 * image stays armed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture-kernel.h"
#include "config.h"
#include "host.h"
#include "hv.h"
#include "image.h"
#include "initrd.h"
#include "load-inputs.h"
#include "log.h"
#include "state.h"
#include "verbs.h"

/* Defaults come from /etc/xen-kdump.conf (config.h): the installed minimal
 * kernel, else the running kernel (capture-kernel.h), and the capture
 * initramfs `xen-kdump rebuild` writes for it. */

/* Everything load takes; a config file can fill the same fields later. */
struct load_options {
        char *kernel;
        char *initrd;
        char *append;
        int no_initrd;
};

static void help(void) {
        fputs("Usage: xen-kdump load [--kernel FILE] [--initrd FILE | --no-initrd] [--append ARGS]\n\n"
              "Build the crash-capture image and load it into Xen (KEXEC_CMD_kexec_load).\n"
              "  --kernel FILE   capture kernel bzImage (config 'kernel'; default: the minimal kernel\n"
              "                  " XKD_MINIMAL_KERNEL_PATH " when installed, else " XKD_DISTRO_KERNEL_FMT ")\n"
              "  --initrd FILE   capture initramfs (config 'initrd'; default " XKD_MINIMAL_INITRD_PATH "\n"
              "                  for a minimal kernel, else " XKD_DISTRO_INITRD_FMT ")\n"
              "  --no-initrd     boot the capture kernel without an initramfs\n"
              "  --append ARGS   extra capture kernel arguments, after the config's 'append'\n"
              "%r is the running kernel's release (uname -r); 'xen-kdump show' says which kernel\n"
              "the defaults picked and why.\n", stdout);
}

static int parse_args(int argc, char **argv, struct load_options *o) {
        static const struct option opts[] = {
                { "kernel", required_argument, NULL, 'k' },
                { "initrd", required_argument, NULL, 'i' },
                { "no-initrd", no_argument, NULL, 'n' },
                { "append", required_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "k:i:a:h", opts, NULL)) >= 0)
                switch (c) {
                case 'k': free(o->kernel); o->kernel = strdup(optarg); break;
                case 'i': free(o->initrd); o->initrd = strdup(optarg); break;
                case 'n': o->no_initrd = 1; break;
                case 'a': free(o->append); o->append = strdup(optarg); break;
                case 'h': help(); return 1;
                default:
                        return log_error_errno(-EINVAL, "Bad arguments to load; see 'xen-kdump load --help'.");
                }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s' to load; see 'xen-kdump load --help'.", argv[optind]);
        return 0;
}

/* The config file fills what the command line left out. */
static int fill_from_config(struct load_options *o) {
        const struct xkd_config_override ov[] = {
                { XKD_CONF_KERNEL, o->kernel, "--kernel" },
                { XKD_CONF_INITRD, o->initrd, "--initrd" },
        };
        xkd_config *c = NULL;
        const char *v;
        int r;

        r = xkd_config_open(&c, NULL, ov, sizeof(ov) / sizeof(ov[0]));
        if (r < 0)
                return r;
        if (!o->kernel)
                o->kernel = strdup(xkd_config_get(c, XKD_CONF_KERNEL));
        if (!o->initrd && !o->no_initrd) {
                /* The configured image follows the config, kernel and dracut module (issue 5). */
                char why[4352] = "";
                r = xkd_initrd_stale(c, NULL, why, sizeof(why));
                if (r > 0) {
                        log_notice("Rebuilding the capture initramfs: %s.", why);
                        r = xkd_initrd_build(c, &(struct xkd_initrd_options) { 0 });
                }
                if (r < 0) {
                        xkd_config_free(c);
                        return r;
                }
                o->initrd = strdup(xkd_config_get(c, XKD_CONF_INITRD));
        }
        v = xkd_config_get(c, XKD_CONF_APPEND);
        if (v && *v) {
                char *joined = NULL;
                if (asprintf(&joined, "%s%s%s", v, o->append ? " " : "", o->append ? o->append : "") < 0)
                        joined = NULL;
                free(o->append);
                o->append = joined;
        }
        xkd_config_free(c);
        if (!o->kernel || (!o->initrd && !o->no_initrd))
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (o->no_initrd) {
                free(o->initrd);
                o->initrd = NULL;
        }
        return 0;
}

int verb_load(int argc, char **argv) {
        struct load_options o = {};
        struct xkd_load_inputs li = {};
        struct xkd_image *img = NULL;
        struct xkd_range crash;
        struct timespec t0, t1;
        xkd_hv *hv = NULL;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = parse_args(argc, argv, &o);
        if (r != 0)
                goto out;
        r = fill_from_config(&o);
        if (r < 0)
                goto out;

        r = xkd_hv_new(&hv);
        if (r < 0)
                goto out;
        r = xkd_hv_get_crash_range(hv, &crash);
        if (r < 0) {
                log_error_errno(r, "Cannot ask Xen for the crash region: %m; run this in dom0 of a Xen built with kexec support.");
                goto out;
        }

        /* Read and hashed once, after the sizes were checked against the crash
         * region; what was measured before comes from the load cache. */
        r = xkd_load_inputs_read_for(o.kernel, o.initrd, &crash, &li);
        if (r < 0)
                goto out;

        struct xkd_image_input in = {
                .kernel = li.kernel, .kernel_size = li.kernel_size,
                .initrd = li.initrd, .initrd_size = li.initrd_size,
                .kernel_path = o.kernel, .initrd_path = o.initrd,
                .append = o.append,
                .sysroot = xkd_host_sysroot(),
                .load_time = time(NULL),
                .known = &li,
        };
        r = xkd_image_build(hv, &in, &img);
        if (r < 0)
                goto out;
        r = xkd_image_load(hv, img);
        if (r < 0)
                goto out;

        struct xkd_state st = {
                .loaded = 1,
                .time = in.load_time,
                .xen_status_after = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH),
                .crash_start = img->crash.start,
                .crash_size = img->crash.size,
                .entry = img->entry,
        };
        xkd_boot_id(st.boot_id, sizeof(st.boot_id));
        snprintf(st.kernel, sizeof(st.kernel), "%s", o.kernel);
        snprintf(st.initrd, sizeof(st.initrd), "%s", o.initrd ? o.initrd : "");
        snprintf(st.cmdline, sizeof(st.cmdline), "%s", img->cmdline);
        xkd_sha256_to_hex(img->kernel_sha256, st.kernel_sha256);
        if (li.initrd_size)
                xkd_sha256_to_hex(img->initrd_sha256, st.initrd_sha256);
        r = xkd_state_write(&st);
        if (r < 0) {
                /* The image IS loaded; only our record of it failed. */
                log_warning("The crash image is loaded, but the state file was not written: 'xen-kdump status' will rely on Xen's unreliable status op.");
                r = 0;
        }

        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("Loaded crash image: %u segments, entry 0x%llx, crash region 0x%llx (%llu MiB), %u CPU notes%s, %.2f s\n",
               img->nr_segments, (unsigned long long) img->entry, (unsigned long long) img->crash.start,
               (unsigned long long) (img->crash.size >> 20), img->nr_cpu_notes,
               img->have_dom0_vmcoreinfo ? " + dom0 VMCOREINFO" : "",
               (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        printf("Capture command line: %s\n", img->cmdline);
out:
        xkd_image_free(img);
        xkd_hv_free(hv);
        xkd_load_inputs_done(&li);
        free(o.kernel);
        free(o.initrd);
        free(o.append);
        return r == 1 ? 0 : r;
}
