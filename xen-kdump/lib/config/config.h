/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * /etc/xen-kdump.conf: `key value` lines, whole-line `#` comments.  Every
 * key has a documented default; a line that is not fully understood (unknown
 * or duplicate key, bad value, trailing words) rejects the whole file, because
 * a crash kernel loaded with half a configuration fails when nobody watches.
 *
 * Use:
 *     xkd_config *c;
 *     r = xkd_config_load(&c, NULL);          // defaults + the config file
 *     r = xkd_config_set(c, XKD_CONF_KERNEL, path, "--kernel");  // overrides
 *     r = xkd_config_validate(c);             // cross-key rules
 *     xkd_config_get(c, XKD_CONF_INITRD) ...
 * Every effective value remembers where it came from (xkd_config_origin()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XKD_CONFIG_DEFAULT_PATH "/etc/xen-kdump.conf"
#define XKD_CONFIG_ENV          "XEN_KDUMP_CONF"

enum xkd_config_key {
        XKD_CONF_KERNEL,
        XKD_CONF_INITRD,
        XKD_CONF_APPEND,
        XKD_CONF_TARGET,
        XKD_CONF_SSH_KEY,
        XKD_CONF_SSH_KNOWN_HOST,
        XKD_CONF_SSH_PORT,
        XKD_CONF_LOCAL_PATH,
        XKD_CONF_TIMEOUT,
        XKD_CONF_CAPTURE_TIMEOUT,
        XKD_CONF_DUMP_LEVEL,
        XKD_CONF_ENGINE,
        XKD_CONF_COMPRESSION,
        XKD_CONF_KEEP,
        XKD_CONF_RESERVE,
        XKD_CONF_FAILURE_ACTION,
        XKD_CONF_FINAL_ACTION,
        XKD_CONF_PRE_HOOK,
        XKD_CONF_POST_HOOK,
        XKD_CONF_DRACUT_ARGS,
        XKD_CONF_EXTRA_MODULES,
        XKD_CONF_SSH_KNOWN_HOSTS,
        XKD_CONF_TARGET_FS,
        XKD_CONF_KERNEL_ENTRY,
        _XKD_CONF_MAX,
};

enum xkd_target_kind { XKD_TARGET_PATH, XKD_TARGET_SSH, XKD_TARGET_NFS };
enum xkd_engine { XKD_ENGINE_NATIVE, XKD_ENGINE_MAKEDUMPFILE };
enum xkd_compression { XKD_COMPRESSION_ZSTD, XKD_COMPRESSION_LZO, XKD_COMPRESSION_ZLIB,
                       XKD_COMPRESSION_NONE };
enum xkd_action { XKD_ACTION_SAVE_LOCAL, XKD_ACTION_REBOOT, XKD_ACTION_POWEROFF,
                  XKD_ACTION_SHELL };

/* `target`, split: path → dir; ssh → user, host, dir; nfs → host (server), dir (export). */
struct xkd_target {
        enum xkd_target_kind kind;
        const char *user;
        const char *host;
        const char *dir;
};

enum xkd_origin_kind {
        XKD_ORIGIN_DEFAULT,     /* the documented default */
        XKD_ORIGIN_DERIVED,     /* default that follows another key (detail names it) */
        XKD_ORIGIN_FILE,        /* file:line */
        XKD_ORIGIN_CMDLINE,     /* detail names the option */
};

struct xkd_config_origin {
        enum xkd_origin_kind kind;
        const char *file;
        unsigned line;
        const char *detail;
};

typedef struct xkd_config xkd_config;

/* Defaults only.  release expands %r in kernel/initrd (NULL: the running kernel's). */
int xkd_config_new(xkd_config **ret, const char *release);
xkd_config *xkd_config_free(xkd_config *c);

/* The file to read: `--config` (set_path) > $XEN_KDUMP_CONF > /etc/xen-kdump.conf. */
void xkd_config_set_path(const char *path);
const char *xkd_config_path(const char **how);

/* New config with the file applied; a missing file is an error unless it is the default path. */
int xkd_config_load(xkd_config **ret, const char *release);

/* Parse config text.  Does not log: on error returns -EINVAL and xkd_config_error() says why. */
int xkd_config_parse_text(xkd_config *c, const char *name, const char *text, size_t len);
/* Read and parse a file; logs the error. */
int xkd_config_parse_file(xkd_config *c, const char *path);
/* Command-line override; option names the flag for origins and errors.  Logs. */
int xkd_config_set(xkd_config *c, enum xkd_config_key key, const char *value, const char *option);
/* Cross-key rules and derived defaults; call after all overrides.  Logs. */
int xkd_config_validate(xkd_config *c);

/* The last error's one-line message ("" when none). */
const char *xkd_config_error(const xkd_config *c);
/* Where the file came from, and whether it existed. */
const char *xkd_config_file(const xkd_config *c, bool *present);

const char *xkd_config_key_name(enum xkd_config_key key);
int xkd_config_key_from_name(const char *name);     /* key or -ENOENT */
const char *xkd_config_key_help(enum xkd_config_key key);

/* Effective value as text ("" when unset); raw is the text before %r expansion. */
const char *xkd_config_get(const xkd_config *c, enum xkd_config_key key);
const char *xkd_config_get_raw(const xkd_config *c, enum xkd_config_key key);
uint64_t xkd_config_get_number(const xkd_config *c, enum xkd_config_key key);
int xkd_config_get_choice(const xkd_config *c, enum xkd_config_key key);
const struct xkd_target *xkd_config_target(const xkd_config *c);
const struct xkd_config_origin *xkd_config_origin(const xkd_config *c, enum xkd_config_key key);
/* "default", "/etc/xen-kdump.conf:12", "command line (--kernel)", "default (engine ...)". */
int xkd_config_origin_format(const xkd_config *c, enum xkd_config_key key, char *buf, size_t size);

/* One command-line override for xkd_config_open(); a NULL value is skipped. */
struct xkd_config_override {
        enum xkd_config_key key;
        const char *value;
        const char *option;
};

/*
 * A text value split into words as dracut_args and extra_modules are: at
 * blanks, with '...' or "..." grouping (no escapes inside).  *ret is one
 * malloc'ed block (free it alone), NULL-terminated.  -EINVAL with why for an
 * unterminated quote.
 */
int xkd_config_split_words(const char *text, char ***ret, size_t *n, const char **why);

/* load + overrides + validate, each failure logged: what a verb calls. */
int xkd_config_open(xkd_config **ret, const char *release,
                    const struct xkd_config_override *overrides, size_t n_overrides);

#include <stdio.h>

/* The effective config as a table with origins, as JSON, or as sh assignments (XKD_KEY='v'). */
void xkd_config_print_text(const xkd_config *c, FILE *f);
void xkd_config_print_json(const xkd_config *c, FILE *f);
void xkd_config_print_shell(const xkd_config *c, FILE *f);
