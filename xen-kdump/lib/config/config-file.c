/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which config file, reading it, and the one call verbs use:
 * defaults → file → command-line overrides → cross-key rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"
#include "files.h"
#include "log.h"

#define XKD_CONFIG_FILE_MAX  (1024 * 1024)

static const char *path_override;

int xkd_config_parse_file(xkd_config *c, const char *path) {
        struct stat st;
        char *buf = NULL;
        ssize_t n;
        int fd, r;

        fd = xkd_open_regular(path, "config", "point --config (or $" XKD_CONFIG_ENV ") at the real file", &st);
        if (fd < 0)
                return fd;
        if (st.st_size > XKD_CONFIG_FILE_MAX) {
                r = log_error_errno(-EINVAL, "Config %s is larger than 1 MiB; point --config at the real file", path);
                goto out;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                log_warning("Config %s is writable by group or others, and its hooks run as "
                            "root; chmod go-w it", path);
        buf = malloc((size_t) st.st_size + 1);
        if (!buf) {
                r = log_error_errno(-ENOMEM, "Failed to read config %s: %m", path);
                goto out;
        }
        n = read(fd, buf, (size_t) st.st_size + 1);
        if (n < 0 || n > st.st_size) {
                r = log_error_errno(n < 0 ? -errno : -EBUSY,
                                    "Failed to read config %s (changed while reading?): %m", path);
                goto out;
        }
        r = xkd_config_parse_text(c, path, buf, (size_t) n);
        if (r == -EINVAL)
                log_error("%s", xkd_config_error(c));
        else if (r < 0)
                log_error_errno(r, "Failed to parse config %s: %m", path);
        else {
                r = xkd_config_set_file(c, path, true);
        }
out:
        free(buf);
        close(fd);
        return r;
}

void xkd_config_set_path(const char *path) {
        path_override = path;
}

const char *xkd_config_path(const char **how) {
        const char *env = getenv(XKD_CONFIG_ENV);

        if (path_override) {
                if (how)
                        *how = "--config";
                return path_override;
        }
        if (env && env[0]) {
                if (how)
                        *how = "$" XKD_CONFIG_ENV;
                return env;
        }
        if (how)
                *how = "default";
        return XKD_CONFIG_DEFAULT_PATH;
}

int xkd_config_load(xkd_config **ret, const char *release) {
        const char *how, *path = xkd_config_path(&how);
        xkd_config *c;
        int r;

        r = xkd_config_new(&c, release);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the configuration: %m");
        if (strcmp(how, "default") == 0 && access(path, F_OK) < 0 && errno == ENOENT) {
                /* No file is a valid setup: every default applies. */
                if (xkd_config_set_file(c, path, false) < 0) {
                        xkd_config_free(c);
                        return log_error_errno(-ENOMEM, "Failed to set up the configuration: %m");
                }
                *ret = c;
                return 0;
        }
        r = xkd_config_parse_file(c, path);
        if (r < 0) {
                xkd_config_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int xkd_config_open(xkd_config **ret, const char *release,
                    const struct xkd_config_override *overrides, size_t n_overrides) {
        xkd_config *c;
        int r;

        r = xkd_config_load(&c, release);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_overrides; i++) {
                if (!overrides[i].value)
                        continue;
                r = xkd_config_set(c, overrides[i].key, overrides[i].value, overrides[i].option);
                if (r < 0)
                        goto fail;
        }
        r = xkd_config_validate(c);
        if (r < 0)
                goto fail;
        *ret = c;
        return 0;
fail:
        xkd_config_free(c);
        return r;
}
