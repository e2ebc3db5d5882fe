/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/*
 * Lines an administrator pastes from kdump-utils' or kdump-tools' kdump.conf
 * (path, ssh, nfs, sshkey, core_collector, failure_action/default,
 * final_action, ...).  Their meaning differs enough (path combines with ssh
 * and nfs there; makedumpfile options become three keys here) that guessing
 * could save a dump where nobody looks, so they are refused, with the exact
 * xen-kdump line(s) to write instead.
 *
 * key/value: the line's first word and the rest (not NUL-terminated, trimmed).
 * Returns 0 and the sentence in buf when the line is a kdump.conf line,
 * -ENOENT otherwise.
 */
int xkd_config_compat_hint(const char *key, size_t key_len, const char *value, size_t value_len,
                           char *buf, size_t size);
