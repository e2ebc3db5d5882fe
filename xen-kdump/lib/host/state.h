/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The state file, /var/lib/xen-kdump/state ($XKD_STATE_DIR overrides the
 * directory): what xen-kdump last did successfully, written after Xen
 * accepted a load or an unload, and marked (LOAD_FAILED) before a load
 * hypercall until that load or its recovery ended.  Xen's status op flips on every load and
 * unload (see xen-kexec-abi.md), so `status` trusts this file while it
 * belongs to the current boot, and records what the op answered right after
 * our own call to notice when someone else (kexec-tools) changed the image.
 *
 * Format: KEY=VALUE lines, file 0600 in a 0700 directory.
 */

#include <stdint.h>
#include <time.h>

#include "sha256.h"

struct xkd_state {
        int loaded;
        time_t time;                    /* of the load or unload */
        char boot_id[64];               /* /proc/sys/kernel/random/boot_id then */
        int xen_status_after;           /* the status op's answer right after our call */
        uint64_t crash_start, crash_size;
        uint64_t entry;
        char kernel[1024];
        char kernel_sha256[XKD_SHA256_HEX_SIZE];
        char initrd[1024];
        char initrd_sha256[XKD_SHA256_HEX_SIZE];
        char cmdline[4096];
        char append[4096];              /* the user's --append and config append, to rebuild the image */
        /* A load began at this time and did not end cleanly: Xen may have
         * overwritten the image in the crash region (hv-sim-load.c says how), so
         * nothing recorded here can be trusted to be armed. */
        time_t load_failed;
};

const char *xkd_state_dir(void);
/* Create the state directory (0700, with its parents) if it is missing. */
int xkd_state_dir_make(void);
/* Returns -ENOENT when there is no state file. */
int xkd_state_read(struct xkd_state *ret);
int xkd_state_write(const struct xkd_state *st);
/* This boot's id ("" if unknown), to tell a state file from a previous boot. */
void xkd_boot_id(char *buf, size_t size);
