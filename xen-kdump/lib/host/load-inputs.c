/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "image.h"
#include "load-cache.h"
#include "load-inputs.h"
#include "log.h"
#include "state.h"

/* The kernel's digest and decompressed span: cached by file identity. */
static void kernel_facts(const char *path, struct xkd_load_inputs *li, const struct xkd_file_id *id, bool cacheable) {
        struct xkd_kernel_cached kc;
        struct xkd_kernel_facts f;
        struct stat st;
        int r;

        /* Not a bzImage: the image builder refuses it with the one line that says so. */
        if (xkd_kernel_facts_parse_header(li->kernel, li->kernel_size, &li->kernel_facts) < 0) {
                li->measured = false;
                xkd_sha256(li->kernel, li->kernel_size, li->kernel_sha256);
                return;
        }
        if (cacheable && xkd_load_cache_get_kernel(id, &kc) == 0) {
                memcpy(li->kernel_sha256, kc.sha256, sizeof(kc.sha256));
                li->kernel_facts.static_size = kc.static_size;
                li->kernel_facts.resident_size = kc.resident_size;
                li->cache_hits++;
                return;
        }
        xkd_sha256(li->kernel, li->kernel_size, li->kernel_sha256);
        r = xkd_kernel_facts_from_data(li->kernel, li->kernel_size, path, &f);
        if (r == -EOPNOTSUPP) {
                /* Its decompressor is a tool reading the file: only cached when that was the file read. */
                r = xkd_kernel_facts_read_stat(path, &f, &st);
                if (r >= 0 && !xkd_file_id_matches(id, &st))
                        cacheable = false;
        }
        if (r < 0) {
                li->measured = false;
                return;
        }
        li->kernel_facts.static_size = f.static_size;
        li->kernel_facts.resident_size = f.resident_size;
        if (!cacheable)
                return;
        memcpy(kc.sha256, li->kernel_sha256, sizeof(kc.sha256));
        kc.static_size = f.static_size;
        kc.resident_size = f.resident_size;
        if (xkd_load_cache_put_kernel(id, &kc) < 0)
                log_debug("Could not update the load cache in %s.", xkd_state_dir());
}

/* The initramfs's unpacked size: cached by its digest. */
static int initrd_facts(const char *path, struct xkd_load_inputs *li, const struct xkd_file_id *id, bool cacheable) {
        struct stat st;
        int r;

        if (xkd_load_cache_get_initrd(li->initrd_sha256, &li->initrd_facts) == 0 &&
            li->initrd_facts.packed == li->initrd_size) {
                li->cache_hits++;
                return 0;
        }
        /* Measured from the very bytes hashed, the entry needs no settled file.
         * An archive that cannot be unpacked here cannot be unpacked by the
         * capture kernel either: arming it would lose the dump, so refuse. */
        r = xkd_initrd_measure_data(li->initrd, li->initrd_size, path, &li->initrd_facts);
        if (r < 0 && r != -EOPNOTSUPP)
                return r;       /* said in one line by the measurement */
        if (r == -EOPNOTSUPP) {
                r = xkd_initrd_measure_quiet_stat(path, &li->initrd_facts, &st);
                if (r >= 0 && !(cacheable && xkd_file_id_matches(id, &st)))
                        return 0;
        }
        if (r < 0) {
                li->measured = false;
                return 0;
        }
        if (xkd_load_cache_put_initrd(li->initrd_sha256, &li->initrd_facts) < 0)
                log_debug("Could not update the load cache in %s.", xkd_state_dir());
        return 0;
}

int xkd_load_inputs_read(const char *kernel_path, const char *initrd_path, struct xkd_load_inputs *li) {
        return xkd_load_inputs_read_for(kernel_path, initrd_path, NULL, li);
}

int xkd_load_inputs_read_for(const char *kernel_path, const char *initrd_path, const struct xkd_range *crash,
                             struct xkd_load_inputs *li) {
        static const char kfix[] = "pass a Linux bzImage with --kernel";
        static const char ifix[] = "build it with 'xen-kdump rebuild', pass another with --initrd, or use --no-initrd";
        struct stat kb, ka, ib, ia;
        struct xkd_file_id kid, iid;
        struct timespec start;
        bool kc, ic = false;
        int kfd, ifd = -1, r;

        memset(li, 0, sizeof(*li));
        clock_gettime(CLOCK_REALTIME, &start);
        /* Both opened (never a FIFO: files.h) and sized before the big one is read:
         * an initramfs the crash region cannot hold is refused without reading it. */
        kfd = xkd_open_regular(kernel_path, "kernel", kfix, &kb);
        if (kfd < 0)
                return kfd;
        if (initrd_path) {
                ifd = xkd_open_regular(initrd_path, "initramfs", ifix, &ib);
                if (ifd < 0) {
                        r = ifd;
                        goto out;
                }
                if (ib.st_size == 0 || (uint64_t) ib.st_size > XKD_MAX_INITRD_SIZE) {
                        r = xkd_read_fd(ifd, &ib, initrd_path, XKD_MAX_INITRD_SIZE, "initramfs", ifix, &li->initrd, &li->initrd_size);
                        goto out;       /* refused with its line */
                }
        }
        r = xkd_read_fd(kfd, &kb, kernel_path, XKD_MAX_KERNEL_SIZE, "kernel", kfix, &li->kernel, &li->kernel_size);
        if (r < 0)
                goto out;
        if (fstat(kfd, &ka) < 0) {
                r = log_error_errno(-errno, "Cannot stat the kernel %s: %m; %s.", kernel_path, kfix);
                goto out;
        }
        if (crash) {
                r = xkd_image_check_region(crash, li->kernel, li->kernel_size, initrd_path ? (uint64_t) ib.st_size : 0);
                if (r < 0)
                        goto out;
        }
        if (initrd_path) {
                r = xkd_read_fd(ifd, &ib, initrd_path, XKD_MAX_INITRD_SIZE, "initramfs", ifix, &li->initrd, &li->initrd_size);
                if (r < 0)
                        goto out;
                if (fstat(ifd, &ia) < 0) {
                        r = log_error_errno(-errno, "Cannot stat the initramfs %s: %m; %s.", initrd_path, ifix);
                        goto out;
                }
        }
        close(kfd);
        if (ifd >= 0)
                close(ifd);
        kfd = ifd = -1;

        xkd_sha256_init(&li->after_initrd);
        if (li->initrd_size) {
                struct xkd_sha256_ctx copy;
                xkd_sha256_update(&li->after_initrd, li->initrd, li->initrd_size);
                copy = li->after_initrd;
                xkd_sha256_final(&copy, li->initrd_sha256);
                ic = xkd_file_id_make(&ib, &ia, &start, li->initrd, li->initrd_size, &iid);
        }
        kc = xkd_file_id_make(&kb, &ka, &start, li->kernel, li->kernel_size, &kid);

        /* Minimum searches switch load's run-time check off (estimate.h): nothing to measure for it. */
        const char *unchecked = getenv("XKD_LOAD_UNCHECKED_RUNTIME");
        if (unchecked && strcmp(unchecked, "1") == 0) {
                xkd_sha256(li->kernel, li->kernel_size, li->kernel_sha256);
                return 0;
        }
        li->measured = true;
        kernel_facts(kernel_path, li, &kid, kc);
        if (li->measured && li->initrd_size) {
                r = initrd_facts(initrd_path, li, &iid, ic);
                if (r < 0)
                        goto out;       /* kfd and ifd are -1 by now */
        }
        log_debug("load inputs: %u of %u cached in the load cache", li->cache_hits, li->initrd_size ? 2u : 1u);
        return 0;
out:
        close(kfd);
        if (ifd >= 0)
                close(ifd);
        xkd_load_inputs_done(li);
        return r;
}

void xkd_load_inputs_done(struct xkd_load_inputs *li) {
        free(li->kernel);
        free(li->initrd);
        li->kernel = li->initrd = NULL;
}
