/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The minimal kernel's drivers against the host's dump target (initrd-drivers.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture-kernel.h"
#include "files.h"
#include "initrd-drivers.h"
#include "initrd-net.h"
#include "initrd.h"
#include "log.h"
#include "module-script.h"
#include "state.h"

#define LIST_MAX 65535
#define VERDICT_MAX 1024

/* Kernel module names compare with '-' and '_' alike, as modprobe does. */
static bool same_module(const char *a, size_t a_len, const char *b, size_t b_len) {
        if (a_len != b_len)
                return false;
        for (size_t i = 0; i < a_len; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
                if (x != y)
                        return false;
        }
        return true;
}

static bool in_list(const char *list, const char *name, size_t len) {
        for (const char *p = list; *p;) {
                size_t n = strcspn(p, "\n");
                if (same_module(p, n, name, len))
                        return true;
                p += n + (p[n] == '\n');
        }
        return false;
}

/* Whether "MODULE WHAT" lines name module. */
static bool needs_module(const char *needs, const char *module) {
        for (const char *p = needs; *p;) {
                size_t n = strcspn(p, "\n");
                if (same_module(p, strcspn(p, " \n"), module, strlen(module)))
                        return true;
                p += n + (p[n] == '\n');
        }
        return false;
}

/* "MODULE WHAT" lines → "m1 for what1; m2 for what2" of those not built in. */
static void missing_of(const char *needs, const char *builtin, char *out, size_t size) {
        size_t o = 0;

        out[0] = '\0';
        for (const char *p = needs; *p;) {
                size_t n = strcspn(p, "\n"), m = strcspn(p, " \n");
                if (m > 0 && !in_list(builtin, p, m) && o < size) {
                        const char *what = p + m + (m < n);
                        int w = snprintf(out + o, size - o, "%s%.*s%s%.*s", o ? "; " : "", (int) m, p,
                                         what < p + n ? " for " : "", (int) (p + n - what), what);
                        if (w > 0)
                                o += (size_t) w;
                }
                p += n + (p[n] == '\n');
        }
}

/* What the dump target needs, from the dracut module's script; NULL when it
 * cannot tell (said, with what follows from it: unchecked). */
static int needs_of(const xkd_config *c, const char *module_dir, const char *unchecked, char **ret) {
        char script[4096], env_file[4096], plan_file[4096] = "", env_arg[4200], plan_arg[4200];
        char *env[3] = { env_arg, NULL, NULL };
        int r;

        *ret = NULL;
        r = xkd_module_script(module_dir, XKD_DRIVERS_SCRIPT, script, sizeof(script));
        if (r < 0) {
                log_warning("Cannot tell which drivers the dump target needs: %s is missing "
                            "(reinstall xen-kdump); %s.", script, unchecked);
                return 0;
        }
        r = xkd_initrd_net_plan_file(c, module_dir, plan_file, sizeof(plan_file));
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;       /* logged; the image build says it again */
        if (plan_file[0]) {
                snprintf(plan_arg, sizeof(plan_arg), "XEN_KDUMP_NETPLAN=%s", plan_file);
                env[1] = plan_arg;
        }
        r = xkd_initrd_env_file(c, XKD_IMAGE_NO_MODULES, env_file, sizeof(env_file));
        if (r < 0) {
                if (plan_file[0])
                        unlink(plan_file);
                return log_error_errno(r, "Failed to write the config for %s: %m", script);
        }
        snprintf(env_arg, sizeof(env_arg), "XEN_KDUMP_ENV_FILE=%s", env_file);
        r = xkd_module_script_run(script, NULL, env, LIST_MAX, ret);
        unlink(env_file);
        if (plan_file[0])
                unlink(plan_file);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_warning("Cannot tell which drivers the dump target needs (%s failed; its messages are "
                            "above): %s.", script, unchecked);
        return 0;
}

static int record(const char *verdict) {
        char *path = xkd_minimal_unfit_path();
        int r = 0;

        if (!path)
                return -ENOMEM;
        if (!verdict[0]) {
                if (unlink(path) < 0 && errno != ENOENT)
                        r = -errno;
        } else {
                char line[VERDICT_MAX + 2];
                snprintf(line, sizeof(line), "%s\n", verdict);
                r = xkd_state_dir_make();
                if (r >= 0)
                        r = xkd_write_file_atomic(path, line);
        }
        if (r < 0)
                log_error_errno(r, "Failed to record the minimal kernel's verdict in %s: %m", path);
        free(path);
        return r < 0 ? r : 0;
}

int xkd_minimal_fit_update(const xkd_config *c, const char *module_dir, bool *changed) {
        const struct xkd_config_origin *origin = xkd_config_origin(c, XKD_CONF_KERNEL);
        const char *minimal = xkd_minimal_kernel_path();
        char old[VERDICT_MAX] = "", verdict[VERDICT_MAX], *list_path = NULL, *builtin = NULL, *needs = NULL;
        int r;

        *changed = false;
        if (origin->kind != XKD_ORIGIN_DEFAULT && origin->kind != XKD_ORIGIN_DERIVED)
                return 0;       /* a configured kernel is the administrator's choice */
        if (access(minimal, R_OK) < 0)
                return 0;
        if (asprintf(&list_path, "%s%s", minimal, XKD_MINIMAL_MODULES_SUFFIX) < 0)
                return -ENOMEM;
        r = xkd_read_text_file(list_path, LIST_MAX, &builtin);
        if (r < 0) {
                log_warning("Cannot check the minimal kernel's drivers against this host: %s: %s "
                            "(reinstall xen-kdump); the minimal kernel is used unchecked.", list_path, strerror(-r));
                free(list_path);
                return r == -ENOMEM ? r : 0;
        }
        free(list_path);
        r = needs_of(c, module_dir, "the minimal kernel is used unchecked", &needs);
        if (r < 0 || !needs) {
                free(builtin);
                return r;
        }
        missing_of(needs, builtin, verdict, sizeof(verdict));
        free(needs);
        free(builtin);

        xkd_minimal_kernel_unfit(old, sizeof(old));
        if (verdict[0])
                log_warning("The minimal kernel lacks %s: capturing with the distribution kernel, which needs a "
                            "larger crash region (see 'xen-kdump estimate'). To use the minimal kernel, build it "
                            "with that driver (crashkernel/crashkernel.config) or set 'kernel' in the config.",
                            verdict);
        else if (old[0])
                log_notice("The minimal kernel now has every driver the dump target needs: capturing with it again.");
        *changed = strcmp(old, verdict) != 0;
        return *changed ? record(verdict) : 0;
}

int xkd_minimal_fit_refresh(xkd_config **c, const char *kver, const struct xkd_config_override *ov, size_t n_ov) {
        bool changed = false;
        int r = xkd_minimal_fit_update(*c, NULL, &changed);

        if (r < 0) {
                *c = xkd_config_free(*c);
                return r;
        }
        if (!changed)
                return 0;
        *c = xkd_config_free(*c);
        return xkd_config_open(c, kver, ov, n_ov);
}

int xkd_initrd_small_image_fits(const xkd_config *c, const char *module_dir) {
        char *needs = NULL;
        int r;

        if (xkd_config_target(c)->kind != XKD_TARGET_PATH)
                return 0;
        r = needs_of(c, module_dir, "building the systemd image, which loads drivers with udev", &needs);
        if (r < 0 || !needs)
                return r;
        r = !needs_module(needs, "dm_mod") && !needs_module(needs, "md_mod");
        free(needs);
        return r;
}
