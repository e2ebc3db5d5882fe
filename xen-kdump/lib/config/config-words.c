/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dracut_args and extra_modules: split into words the way the build passes
 * them to dracut, and the rules they must follow.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"

/* The options xen-kdump gives dracut itself: dracut_args must not undo them. */
static const char *const dracut_own_options[] = {
        "--kver", "--kmoddir", "--no-kernel", "--conf", "--confdir", "--force", "-f",
        "--hostonly", "-H", "--no-hostonly", "-N", "--modules", "-m", NULL,
};

int xkd_config_split_words(const char *text, char ***ret, size_t *n, const char **why) {
        size_t len = strlen(text), count = 0;
        /* At most len/2+1 words, each at most len bytes plus a NUL. */
        size_t slots = len / 2 + 2;
        char **w = malloc(slots * sizeof(char *) + len + slots);
        char *out;
        const char *p = text;

        if (!w)
                return -ENOMEM;
        out = (char *) (w + slots);
        for (;;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                w[count++] = out;
                while (*p && *p != ' ' && *p != '\t') {
                        if (*p == '\'' || *p == '"') {
                                char q = *p++;
                                const char *end = strchr(p, q);
                                if (!end) {
                                        free(w);
                                        if (why)
                                                *why = "a quote is not closed";
                                        return -EINVAL;
                                }
                                memcpy(out, p, (size_t) (end - p));
                                out += end - p;
                                p = end + 1;
                        } else
                                *out++ = *p++;
                }
                *out++ = '\0';
        }
        w[count] = NULL;
        *ret = w;
        *n = count;
        return 0;
}

static int refuse(enum xkd_config_key key, enum xkd_config_key *bad, char *why, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int refuse(enum xkd_config_key key, enum xkd_config_key *bad, char *why, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
        *bad = key;
        return -EINVAL;
}

static int check_args(const char *args, enum xkd_config_key *bad, char *why, size_t size) {
        const char *how = NULL;
        char **w = NULL;
        size_t n = 0;
        int r = xkd_config_split_words(args, &w, &n, &how);

        if (r == -EINVAL)
                return refuse(XKD_CONF_DRACUT_ARGS, bad, why, size, "%s", how);
        if (r < 0)
                return r;
        for (size_t i = 0; r == 0 && i < n; i++)
                for (size_t k = 0; r == 0 && dracut_own_options[k]; k++) {
                        size_t len = strlen(dracut_own_options[k]);
                        if (strncmp(w[i], dracut_own_options[k], len) == 0 && (w[i][len] == 0 || w[i][len] == '='))
                                r = refuse(XKD_CONF_DRACUT_ARGS, bad, why, size, "'%s' is set by xen-kdump itself "
                                           "(kernel, host-only mode, output); remove it from dracut_args",
                                           dracut_own_options[k]);
                }
        free(w);
        if (r == 0 && n > XKD_DRACUT_WORDS_MAX)
                r = refuse(XKD_CONF_DRACUT_ARGS, bad, why, size, "%zu words, at most %d", n, XKD_DRACUT_WORDS_MAX);
        return r;
}

static int check_modules(const char *modules, enum xkd_config_key *bad, char *why, size_t size) {
        const char *how = NULL;
        char **w = NULL;
        size_t n = 0;
        int r = xkd_config_split_words(modules, &w, &n, &how);

        if (r == -EINVAL)
                return refuse(XKD_CONF_EXTRA_MODULES, bad, why, size, "%s", how);
        if (r < 0)
                return r;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (!w[i][0] || strspn(w[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789_-") != strlen(w[i]))
                        r = refuse(XKD_CONF_EXTRA_MODULES, bad, why, size, "'%s' is not a kernel module name "
                                   "(letters, digits, '_' and '-'; e.g. 'extra_modules nvme mpt3sas')", w[i]);
        free(w);
        if (r == 0 && n > XKD_DRACUT_WORDS_MAX)
                r = refuse(XKD_CONF_EXTRA_MODULES, bad, why, size, "%zu modules, at most %d", n, XKD_DRACUT_WORDS_MAX);
        return r;
}

int xkd_config_check_dracut_words(const char *args, const char *modules, enum xkd_config_key *bad,
                                  char *why, size_t size) {
        int r = check_args(args, bad, why, size);
        return r < 0 ? r : check_modules(modules, bad, why, size);
}
