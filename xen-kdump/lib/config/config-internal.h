/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared between config.c (the file, origins, rules) and config-value.c (one value's syntax). */

#include "config.h"

enum xkd_value_type {
        XKD_VALUE_PATH,         /* one absolute path */
        XKD_VALUE_TEXT,         /* the rest of the line, printable */
        XKD_VALUE_NUMBER,       /* decimal, in [min, max] */
        XKD_VALUE_CHOICE,       /* one word out of choices[] */
        XKD_VALUE_TARGET,       /* path DIR | ssh USER@HOST:DIR | nfs HOST:DIR */
        XKD_VALUE_HOST_KEY,     /* TYPE BASE64, as in known_hosts */
        XKD_VALUE_FS_SPEC,      /* empty, or UUID=... (a filesystem's UUID) */
};

struct xkd_key_info {
        const char *name;
        enum xkd_value_type type;
        const char *const *choices;     /* NULL-terminated, index = enum value */
        uint64_t min, max;
        const char *number_word;        /* NUMBER only: this word is also accepted, as 0 */
        const char *default_value;      /* NULL: derived from other keys in validate() */
        bool expand_release;            /* %r → kernel release */
        const char *allowed;            /* "what is allowed", for error messages */
};

extern const struct xkd_key_info xkd_key_infos[_XKD_CONF_MAX];

struct xkd_value {
        char *raw;                      /* as written */
        char *text;                     /* normalized, %r expanded */
        uint64_t number;
        int choice;
        struct xkd_target target;       /* strings owned here */
        char *target_buf;
        struct xkd_config_origin origin;
};

/*
 * Parse one value.  On failure returns -EINVAL and writes the problem (without
 * key or location) to why.  release expands %r.  out is overwritten.
 */
int xkd_value_parse(const struct xkd_key_info *k, const char *release, const char *value,
                    struct xkd_value *out, char *why, size_t why_size);
void xkd_value_clear(struct xkd_value *v);

/* Record the config file's name and whether it existed. */
int xkd_config_set_file(xkd_config *c, const char *path, bool present);

/* dracut_args and extra_modules, at most this many words each. */
#define XKD_DRACUT_WORDS_MAX 32

/* The rules of dracut_args and extra_modules (config-words.c): -EINVAL with
 * the offending key in *bad and why, one line. */
int xkd_config_check_dracut_words(const char *args, const char *modules, enum xkd_config_key *bad,
                                  char *why, size_t size);
