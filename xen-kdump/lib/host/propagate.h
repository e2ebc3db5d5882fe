/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The parts of `xen-kdump propagate` that need no network: the host key's
 * fingerprint as ssh-keygen -l shows it, the known_hosts name and file
 * update, and the ssh command lines.  Every function returns 0 or a negative
 * errno.
 */

#include <stdbool.h>
#include <stddef.h>

/* "SHA256:<base64 without padding>" of the key blob in "TYPE BASE64 [comment]". */
int xkd_ssh_fingerprint(const char *key, char *out, size_t size);

/* How known_hosts names host on port: "host" for 22, "[host]:port" otherwise
 * (an IPv6 address's own brackets are dropped first). */
int xkd_known_hosts_name(const char *host, unsigned port, char *out, size_t size);

/* From ssh-keyscan's output ("NAME TYPE BASE64" lines, '#' comments), the
 * key to pin as "TYPE BASE64": ssh-ed25519, else ecdsa, else rsa.  -ENOENT
 * when none. */
int xkd_keyscan_pick(const char *scan, char *out, size_t size);

/*
 * known_hosts text with name's key pinned: other hosts' lines kept as they
 * are, "name key\n" added.  -EEXIST when name is pinned to another key (a
 * changed host key is never replaced silently; replace says to).  *ret is
 * malloc'ed.
 */
int xkd_known_hosts_update(const char *old_text, const char *name, const char *key, bool replace, char **ret);

struct xkd_ssh_dest {
        const char *user, *host;
        unsigned port;
        const char *known_hosts;        /* the pinned file: StrictHostKeyChecking=yes against it alone */
        const char *identity;           /* NULL: none (the password login that installs the key) */
        unsigned timeout;               /* ConnectTimeout */
        bool batch;                     /* BatchMode=yes: no prompt (the checks after installing) */
};

/* ssh's argv for running command on dest, NULL-terminated, in argv[max]; how many in *n. */
int xkd_ssh_argv(const struct xkd_ssh_dest *d, const char *command, char *buf, size_t buf_size,
                 const char **argv, size_t max, size_t *n);

/* The remote sh command adding the public key "TYPE BASE64 COMMENT" to
 * ~/.ssh/authorized_keys once (umask 077, nothing else touched).  -EINVAL
 * for a key line that is not one printable line.  *ret is malloc'ed. */
int xkd_authorized_keys_command(const char *pubkey, char **ret);
