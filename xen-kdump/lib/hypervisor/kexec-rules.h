/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Xen's load-time rules (xen/common/kexec.c, kimage.c), checked in dom0
 * before any hypercall so a bad image is refused with a sentence instead of
 * a bare errno from the hypervisor.  The simulator enforces the same rules
 * independently, the way Xen does.
 */

#include "hv.h"

int xkd_kexec_rules_check(uint8_t type, uint16_t arch, uint64_t entry_maddr,
                          const struct xkd_range *crash,
                          const struct xkd_segment *segments, unsigned nr_segments);
