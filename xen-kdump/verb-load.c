/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump load: build the crash image and hand it to Xen.  Never unloads
 * first.  Xen swaps images only on success, but writes into the crash region
 * before its last checks: after a failed hypercall the previous image is put
 * back from the state file, or unloaded (recover()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture-kernel.h"
#include "config.h"
#include "host.h"
#include "hv.h"
#include "image.h"
#include "initrd-drivers.h"
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
        bool decompressor_entry;        /* kernel_entry decompressor */
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

/* parse_args's outcomes besides 0 (go on): the exit status is 0 and 2. */
enum { ARGS_HELP_SHOWN = 1, ARGS_USAGE_ERROR = 2 };

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
                case 'h': help(); return ARGS_HELP_SHOWN;
                default:
                        log_error("Bad arguments to load; see 'xen-kdump load --help'.");
                        return ARGS_USAGE_ERROR;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s' to load; see 'xen-kdump load --help'.", argv[optind]);
                return ARGS_USAGE_ERROR;
        }
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
        if (!o->kernel) {
                r = xkd_minimal_fit_refresh(&c, NULL, ov, sizeof(ov) / sizeof(ov[0]));
                if (r < 0)
                        return r;
        }
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
        o->decompressor_entry = strcmp(xkd_config_get(c, XKD_CONF_KERNEL_ENTRY), "decompressor") == 0;
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

/* Read the kernel and initramfs (sizes checked against the region first) and build the image. */
static int build(xkd_hv *hv, const struct xkd_range *crash, const char *kernel, const char *initrd, const char *append,
                 bool decompressor_entry, time_t load_time, struct xkd_load_inputs *li, struct xkd_image **ret) {
        int r;

        /* Read and hashed once; what was measured before comes from the load cache. */
        r = xkd_load_inputs_read_for(kernel, initrd, crash, li);
        if (r < 0)
                return r;
        struct xkd_image_input in = {
                .kernel = li->kernel, .kernel_size = li->kernel_size,
                .initrd = li->initrd, .initrd_size = li->initrd_size,
                .kernel_path = kernel, .initrd_path = initrd,
                .append = append,
                .decompressor_entry = decompressor_entry,
                .sysroot = xkd_host_sysroot(),
                .load_time = load_time,
                .known = li,
        };
        return xkd_image_build(hv, &in, ret);
}

static void state_of_image(struct xkd_state *st, xkd_hv *hv, const struct xkd_image *img, const struct xkd_load_inputs *li,
                           const char *kernel, const char *initrd, const char *append, time_t load_time) {
        memset(st, 0, sizeof(*st));
        st->loaded = 1;
        st->time = load_time;
        st->xen_status_after = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        st->crash_start = img->crash.start;
        st->crash_size = img->crash.size;
        st->entry = img->entry;
        xkd_boot_id(st->boot_id, sizeof(st->boot_id));
        snprintf(st->kernel, sizeof(st->kernel), "%s", kernel);
        snprintf(st->initrd, sizeof(st->initrd), "%s", initrd ? initrd : "");
        snprintf(st->cmdline, sizeof(st->cmdline), "%s", img->cmdline);
        snprintf(st->append, sizeof(st->append), "%s", append ? append : "");
        xkd_sha256_to_hex(img->kernel_sha256, st->kernel_sha256);
        if (li->initrd_size)
                xkd_sha256_to_hex(img->initrd_sha256, st->initrd_sha256);
}

/* What xen-kdump itself armed and nobody changed since: the image to put back
 * if this load fails.  0 with *prev filled, -ENOENT if none is known. */
static int previous_image(xkd_hv *hv, struct xkd_state *prev) {
        char boot_id[64];
        int op;

        if (xkd_state_read(prev) < 0)
                return -ENOENT;
        xkd_boot_id(boot_id, sizeof(boot_id));
        if (strcmp(prev->boot_id, boot_id) != 0)
                return -ENOENT;
        op = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        if (!prev->loaded || prev->load_failed || !*prev->kernel ||
            (op >= 0 && prev->xen_status_after >= 0 && op != prev->xen_status_after))
                return -ENOENT;
        return 0;
}

/* Is the state file sure nothing is armed (xen-kdump unloaded or never loaded this boot, nobody since)? */
static int surely_nothing_armed(xkd_hv *hv, const struct xkd_state *st, int have_state) {
        char boot_id[64];
        int op = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);

        xkd_boot_id(boot_id, sizeof(boot_id));
        return have_state && strcmp(st->boot_id, boot_id) == 0 && !st->loaded && !st->load_failed &&
               op >= 0 && st->xen_status_after >= 0 && op == st->xen_status_after;
}

/* Put the previous image back exactly: the same files (checked by digest), the same append. */
static int reload_previous(xkd_hv *hv, const struct xkd_range *crash, const struct xkd_state *prev, bool decompressor_entry) {
        struct xkd_load_inputs li = {};
        struct xkd_image *img = NULL;
        char hex[XKD_SHA256_HEX_SIZE];
        struct xkd_state st;
        int r;

        r = build(hv, crash, prev->kernel, *prev->initrd ? prev->initrd : NULL, prev->append, decompressor_entry, prev->time,
                  &li, &img);
        if (r < 0)
                goto out;
        xkd_sha256_to_hex(img->kernel_sha256, hex);
        if (strcmp(hex, prev->kernel_sha256) != 0) {
                r = log_error_errno(-ESTALE, "The previous kernel %s changed since it was loaded; it is not loaded again.", prev->kernel);
                goto out;
        }
        xkd_sha256_to_hex(img->initrd_sha256, hex);
        if (*prev->initrd && strcmp(hex, prev->initrd_sha256) != 0) {
                r = log_error_errno(-ESTALE, "The previous initramfs %s changed since it was loaded; it is not loaded again.", prev->initrd);
                goto out;
        }
        if (*prev->cmdline && strcmp(img->cmdline, prev->cmdline) != 0)
                /* Same files; Xen's console or an older state file without APPEND changed it: better than none. */
                log_warning("The previous image's capture command line is now '%s' (was '%s').", img->cmdline, prev->cmdline);
        r = xkd_image_load(hv, img);
        if (r < 0)
                goto out;
        state_of_image(&st, hv, img, &li, prev->kernel, *prev->initrd ? prev->initrd : NULL, prev->append, prev->time);
        if (xkd_state_write(&st) < 0)
                log_warning("The previous crash image is loaded again, but the state file was not written: 'xen-kdump status' will say unknown.");
out:
        xkd_image_free(img);
        xkd_load_inputs_done(&li);
        return r;
}

/*
 * After a failed load hypercall.  Xen copies the segments into the crash
 * region and clears its control pages there before its last checks
 * (kimage_load_segments() before machine_kexec_load() and the slot swap: see
 * hv-sim-load.c), and the errno does not say how far it got.  So the previous image
 * may still be armed over overwritten memory, and a crash would jump into it
 * (our stub's digest check would then reset the machine: no dump).  Put the
 * previous image back, or disarm it and say so.
 */
static void recover(xkd_hv *hv, const struct xkd_range *crash, const struct xkd_state *prev, int have_prev,
                    const struct xkd_state *old, int have_old, bool decompressor_entry) {
        struct xkd_state st = {};
        int r;

        if (have_prev) {
                log_warning("Xen may have overwritten the previous crash image before refusing this one; loading the previous image (%s) again.",
                            prev->kernel);
                r = reload_previous(hv, crash, prev, decompressor_entry);
                if (r >= 0) {
                        log_warning("The previous crash image (%s) is loaded again; the new one is NOT loaded.", prev->kernel);
                        return;
                }
        } else if (surely_nothing_armed(hv, old, have_old)) {
                /* Nothing was armed: nothing can have been overwritten. */
                st = *old;
                st.load_failed = 0;
                if (xkd_state_write(&st) < 0)
                        log_warning("The state file was not updated.");
                return;
        }

        r = xkd_hv_unload(hv, XKD_KEXEC_TYPE_CRASH);
        st.time = time(NULL);
        xkd_boot_id(st.boot_id, sizeof(st.boot_id));
        st.xen_status_after = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        if (r < 0) {
                /* Keep the mark: status says unknown, never loaded. */
                st.load_failed = st.time;
                xkd_state_write(&st);
                log_error_errno(r, "NO USABLE CRASH IMAGE: the image Xen still has armed may be overwritten, and Xen refused to unload it (%m): a crash may reset this host without a dump. Run 'xen-kdump unload', then 'xen-kdump load'.");
                return;
        }
        if (xkd_state_write(&st) < 0)
                log_warning("The state file was not updated.");
        log_error("NO CRASH IMAGE IS LOADED: whatever image was armed may have been overwritten by the failed load, so it was unloaded; a crash now reboots without a dump. Fix the error above and run 'xen-kdump load'.");
}

int verb_load(int argc, char **argv) {
        struct load_options o = {};
        struct xkd_load_inputs li = {};
        struct xkd_image *img = NULL;
        struct xkd_state st, prev, old;
        struct xkd_range crash;
        struct timespec t0, t1;
        xkd_hv *hv = NULL;
        int r, have_prev, have_old;
        time_t load_time;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = parse_args(argc, argv, &o);
        if (r != 0) {
                r = r == ARGS_HELP_SHOWN ? 0 : 2;
                goto out;
        }
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

        load_time = time(NULL);
        r = build(hv, &crash, o.kernel, o.initrd, o.append, o.decompressor_entry, load_time, &li, &img);
        if (r < 0)
                goto out;
        /* Everything Xen would refuse before writing is refused here, touching nothing. */
        r = xkd_image_check_rules(img);
        if (r < 0)
                goto out;

        /* From the hypercall on, the crash region may be overwritten: remember
         * what to restore, and mark the state file so that `status` never calls
         * an image loaded while (or after) a load failed under it. */
        have_old = xkd_state_read(&old) == 0;
        have_prev = previous_image(hv, &prev) == 0;
        st = have_old ? old : (struct xkd_state) {};
        if (!have_old) {
                xkd_boot_id(st.boot_id, sizeof(st.boot_id));
                st.xen_status_after = xkd_hv_status(hv, XKD_KEXEC_TYPE_CRASH);
        }
        st.load_failed = load_time;
        if (xkd_state_write(&st) < 0)
                log_warning("Cannot mark the load in the state file; 'xen-kdump status' may be wrong if it fails.");

        r = xkd_image_load(hv, img);
        if (r < 0) {
                recover(hv, &crash, &prev, have_prev, &old, have_old, o.decompressor_entry);
                goto out;
        }

        state_of_image(&st, hv, img, &li, o.kernel, o.initrd, o.append, load_time);
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
        if (img->vmlinux.image)
                printf("Capture kernel: unpacked in dom0, %llu MiB of vmlinux entered directly\n",
                       (unsigned long long) ((img->vmlinux.mem_size + (1 << 20) - 1) >> 20));
        else
                printf("Capture kernel: bzImage, decompressing itself at the crash%s\n",
                       o.decompressor_entry ? " (kernel_entry decompressor)" : "");
        printf("Capture command line: %s\n", img->cmdline);
out:
        xkd_image_free(img);
        xkd_hv_free(hv);
        xkd_load_inputs_done(&li);
        free(o.kernel);
        free(o.initrd);
        free(o.append);
        return r;
}
