/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/xen-kdump.conf: the key table, the line parser, command-line
 * overrides, the cross-key rules, and where every value came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capture-kernel.h"
#include "config-compat.h"
#include "config-internal.h"
#include "log.h"

#define XKD_CONFIG_LINE_MAX  4096

static const char *const engine_choices[] = { "native", "makedumpfile", NULL };
static const char *const compression_choices[] = { "zstd", "lzo", "zlib", "none", NULL };
static const char *const kernel_entry_choices[] = { "unpacked", "decompressor", NULL };
static const char *const failure_choices[] = { "save-local", "reboot", "poweroff", "shell", NULL };
/* Index = enum xkd_action, so save-local's slot is a placeholder no word can match. */
static const char *const final_choices[] = { "\001", "reboot", "poweroff", "shell", NULL };

const struct xkd_key_info xkd_key_infos[_XKD_CONF_MAX] = {
        /* Both defaults are replaced at once by the automatic choice (apply_derived). */
        [XKD_CONF_KERNEL] = { "kernel", XKD_VALUE_PATH, .default_value = XKD_DISTRO_KERNEL_FMT,
                .expand_release = true,
                .allowed = "an absolute path to the capture kernel (%r: kernel release)" },
        [XKD_CONF_INITRD] = { "initrd", XKD_VALUE_PATH,
                .default_value = XKD_DISTRO_INITRD_FMT, .expand_release = true,
                .allowed = "an absolute path to the capture initramfs (%r: kernel release)" },
        [XKD_CONF_APPEND] = { "append", XKD_VALUE_TEXT, .default_value = "",
                .allowed = "extra capture kernel command line, printable, up to 1024 bytes" },
        [XKD_CONF_TARGET] = { "target", XKD_VALUE_TARGET, .default_value = "path /var/crash",
                .allowed = "'path /DIR', 'ssh USER@HOST:/DIR' or 'nfs SERVER:/EXPORT/DIR'" },
        [XKD_CONF_SSH_KEY] = { "ssh_key", XKD_VALUE_PATH,
                .default_value = "/root/.ssh/xen-kdump_id_ed25519",
                .allowed = "an absolute path to the ssh identity (private key) file" },
        [XKD_CONF_SSH_KNOWN_HOST] = { "ssh_known_host", XKD_VALUE_HOST_KEY, .default_value = "",
                .allowed = "the server's host key as 'TYPE BASE64' (a known_hosts line "
                           "without the host name, e.g. from ssh-keyscan)" },
        [XKD_CONF_SSH_PORT] = { "ssh_port", XKD_VALUE_NUMBER, .min = 1, .max = 65535,
                .default_value = "22", .allowed = "a port number 1-65535" },
        [XKD_CONF_LOCAL_PATH] = { "local_path", XKD_VALUE_PATH, .default_value = "",
                .allowed = "an absolute local directory for failure_action save-local" },
        [XKD_CONF_TIMEOUT] = { "timeout", XKD_VALUE_NUMBER, .min = 1, .max = 3600,
                .default_value = "120",
                .allowed = "seconds 1-3600 to reach the target (mount, ssh connect)" },
        /* Nothing waits forever: a hung capture would keep a dead host down.
         * auto scales with the RAM in the vmcore (xen-kdump-capture.sh). */
        [XKD_CONF_CAPTURE_TIMEOUT] = { "capture_timeout", XKD_VALUE_NUMBER, .min = 60, .max = 604800,
                .number_word = "auto", .default_value = "auto",
                .allowed = "seconds 60-604800 for the whole capture, or auto (30 min + 30 s per GiB "
                           "of RAM, at most 24 h)" },
        /* The collector's exclusion mask; the default is the collector's own. */
        [XKD_CONF_DUMP_LEVEL] = { "dump_level", XKD_VALUE_NUMBER, .min = 0, .max = 63,
                .default_value = "63", .allowed = "an exclusion mask 0-63: 1 zero, 2/4 cache, "
                           "8 user, 16 free dom0 pages (makedumpfile -d), 32 Xen free and domU "
                           "pages (makedumpfile -X)" },
        [XKD_CONF_ENGINE] = { "engine", XKD_VALUE_CHOICE, .choices = engine_choices,
                /* native: 0.45x makedumpfile's bytes in 0.2x its time on Xen 4.17
                 * (collector/DUMP.md), and only it writes the crash report. */
                .default_value = "native", .allowed = "native or makedumpfile" },
        [XKD_CONF_COMPRESSION] = { "compression", XKD_VALUE_CHOICE,
                .choices = compression_choices,
                .allowed = "zstd or none (engine native); lzo, zlib or none (engine makedumpfile)" },
        [XKD_CONF_KEEP] = { "keep", XKD_VALUE_NUMBER, .min = 0, .max = 100000,
                /* Like kdump-tools and kdump-utils: nothing deletes a dump out of the box. */
                .default_value = "0", .allowed = "how many of this host's complete dumps to keep, "
                           "0-100000 (0: all, never delete)" },
        [XKD_CONF_RESERVE] = { "reserve", XKD_VALUE_NUMBER, .min = 0, .max = 1048576,
                .default_value = "256",
                .allowed = "MiB 0-1048576 to leave free on the target" },
        [XKD_CONF_FAILURE_ACTION] = { "failure_action", XKD_VALUE_CHOICE,
                .choices = failure_choices,
                .allowed = "save-local, reboot, poweroff or shell" },
        [XKD_CONF_FINAL_ACTION] = { "final_action", XKD_VALUE_CHOICE, .choices = final_choices,
                .default_value = "reboot", .allowed = "reboot, poweroff or shell" },
        [XKD_CONF_PRE_HOOK] = { "pre_hook", XKD_VALUE_PATH, .default_value = "",
                .allowed = "an absolute path to an executable run before the capture" },
        [XKD_CONF_POST_HOOK] = { "post_hook", XKD_VALUE_PATH, .default_value = "",
                .allowed = "an absolute path to an executable run after the capture" },
        /* Customisations that every rebuild keeps (boot, kernel hook, reload), not
         * only a `rebuild -- ARGS` that the next automatic rebuild forgets. */
        [XKD_CONF_DRACUT_ARGS] = { "dracut_args", XKD_VALUE_TEXT, .default_value = "",
                .allowed = "extra dracut options for every rebuild, split at blanks, '...' or "
                           "\"...\" grouping (e.g. --add lvm --omit-drivers nouveau)" },
        [XKD_CONF_EXTRA_MODULES] = { "extra_modules", XKD_VALUE_TEXT, .default_value = "",
                .allowed = "kernel modules to add to the capture initramfs, names separated "
                           "by blanks (dracut --add-drivers)" },
        /* What `xen-kdump propagate` pins; ssh_known_host, when set, wins. */
        [XKD_CONF_SSH_KNOWN_HOSTS] = { "ssh_known_hosts", XKD_VALUE_PATH,
                .default_value = "/etc/xen-kdump/known_hosts",
                .allowed = "an absolute path to the known_hosts file 'xen-kdump propagate' "
                           "writes (the target's pinned host key)" },
        /* kdump-utils' 'ext4 UUID=...': a filesystem dom0 need not mount; the
         * path target's directory is then inside it. */
        [XKD_CONF_TARGET_FS] = { "target_fs", XKD_VALUE_FS_SPEC, .default_value = "",
                .allowed = "UUID=... of the filesystem 'target path' is in, when dom0 does not "
                           "mount it (blkid -s UUID DEVICE); empty: the filesystem holding the path" },
        /* unpacked: `load` decompresses the kernel in dom0 and Xen jumps to the
         * vmlinux itself, 3.5 s sooner at the crash under emulation
         * (vmlinux.h); decompressor: the bzImage's own code does it then. */
        [XKD_CONF_KERNEL_ENTRY] = { "kernel_entry", XKD_VALUE_CHOICE, .choices = kernel_entry_choices,
                .default_value = "unpacked",
                .allowed = "unpacked (load decompresses the kernel) or decompressor (the kernel does, at the crash)" },
};

struct name_store {
        struct name_store *next;
        char name[];
};

struct xkd_config {
        char *release;
        char *file;
        bool file_present;
        struct name_store *names;       /* file names and options the origins point into */
        struct xkd_value values[_XKD_CONF_MAX];
        char error[640];
};

static const char *remember_name(xkd_config *c, const char *name) {
        for (struct name_store *n = c->names; n; n = n->next)
                if (strcmp(n->name, name) == 0)
                        return n->name;
        struct name_store *n = malloc(sizeof(*n) + strlen(name) + 1);
        if (!n)
                return NULL;
        strcpy(n->name, name);
        n->next = c->names;
        c->names = n;
        return n->name;
}

static int set_error(xkd_config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int set_error(xkd_config *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->error, sizeof(c->error), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static int set_value(xkd_config *c, enum xkd_config_key key, const char *text,
                     struct xkd_config_origin origin) {
        char why[256];
        int r = xkd_value_parse(&xkd_key_infos[key], c->release, text, &c->values[key],
                                why, sizeof(why));
        if (r == -EINVAL)
                return set_error(c, "built-in value of %s: %s", xkd_key_infos[key].name, why);
        if (r < 0)
                return r;
        c->values[key].origin = origin;
        return 0;
}

static bool is_default(const struct xkd_value *v) {
        return v->origin.kind == XKD_ORIGIN_DEFAULT || v->origin.kind == XKD_ORIGIN_DERIVED;
}

/*
 * The capture kernel, when not configured: the installed minimal kernel, else
 * the running kernel.  The initramfs, when not configured, follows the kernel:
 * a minimal kernel's has no modules and must not overwrite the distribution
 * kernel's, so it has its own name.
 */
static int apply_kernel_choice(xkd_config *c) {
        struct xkd_value *kernel = &c->values[XKD_CONF_KERNEL];
        char why[512];
        int r;

        if (is_default(kernel)) {
                const char *minimal = xkd_minimal_kernel_path();
                bool have = access(minimal, R_OK) == 0;
                char lacks[400];
                if (have && xkd_minimal_kernel_unfit(lacks, sizeof(lacks)) > 0) {
                        have = false;
                        snprintf(why, sizeof(why), "the minimal kernel lacks %s: the running kernel", lacks);
                } else if (have)
                        snprintf(why, sizeof(why), "the minimal kernel is installed");
                else
                        snprintf(why, sizeof(why), "no minimal kernel at %s: the running kernel",
                                 minimal);
                const char *detail = remember_name(c, why);
                if (!detail)
                        return -ENOMEM;
                r = set_value(c, XKD_CONF_KERNEL, have ? minimal : XKD_DISTRO_KERNEL_FMT,
                              (struct xkd_config_origin) { .kind = XKD_ORIGIN_DERIVED,
                                                           .detail = detail });
                if (r < 0)
                        return r;
        }
        if (is_default(&c->values[XKD_CONF_INITRD])) {
                bool minimal = xkd_kernel_is_minimal(kernel->text);
                r = set_value(c, XKD_CONF_INITRD, minimal ? XKD_MINIMAL_INITRD_PATH : XKD_DISTRO_INITRD_FMT,
                              minimal ? (struct xkd_config_origin) { .kind = XKD_ORIGIN_DERIVED,
                                                .detail = "the kernel is a minimal kernel" } :
                                        (struct xkd_config_origin) { .kind = XKD_ORIGIN_DEFAULT });
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Engine-, target- and kernel-dependent defaults, recomputed whenever they can change. */
static int apply_derived(xkd_config *c) {
        struct xkd_value *comp = &c->values[XKD_CONF_COMPRESSION];
        struct xkd_value *fail = &c->values[XKD_CONF_FAILURE_ACTION];
        int r;

        r = apply_kernel_choice(c);
        if (r < 0)
                return r;

        if (is_default(comp)) {
                bool mdf = c->values[XKD_CONF_ENGINE].choice == XKD_ENGINE_MAKEDUMPFILE;
                /* Debian's makedumpfile has no zstd; lzo is its fastest codec. */
                r = set_value(c, XKD_CONF_COMPRESSION, mdf ? "lzo" : "zstd",
                              (struct xkd_config_origin) { .kind = XKD_ORIGIN_DERIVED,
                                      .detail = mdf ? "engine makedumpfile" : "engine native" });
                if (r < 0)
                        return r;
        }
        if (is_default(fail)) {
                bool network = c->values[XKD_CONF_TARGET].target.kind != XKD_TARGET_PATH;
                bool local = network && c->values[XKD_CONF_LOCAL_PATH].text[0];
                r = set_value(c, XKD_CONF_FAILURE_ACTION, local ? "save-local" : "reboot",
                              (struct xkd_config_origin) { .kind = XKD_ORIGIN_DERIVED,
                                      .detail = local ? "network target with local_path" :
                                                network ? "network target without local_path" :
                                                "local target" });
                if (r < 0)
                        return r;
        }
        return 0;
}

int xkd_config_new(xkd_config **ret, const char *release) {
        struct utsname u;
        xkd_config *c;
        int r;

        if (!release) {
                if (uname(&u) < 0)
                        return -errno;
                release = u.release;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->release = strdup(release);
        if (!c->release) {
                xkd_config_free(c);
                return -ENOMEM;
        }
        for (int k = 0; k < _XKD_CONF_MAX; k++) {
                const char *def = xkd_key_infos[k].default_value;
                if (!def)
                        continue;
                if (def[0] == '\0') {
                        /* An unset optional value: empty, never parsed. */
                        c->values[k].raw = strdup("");
                        c->values[k].text = strdup("");
                        if (!c->values[k].raw || !c->values[k].text) {
                                xkd_config_free(c);
                                return -ENOMEM;
                        }
                        continue;
                }
                r = set_value(c, (enum xkd_config_key) k, def,
                              (struct xkd_config_origin) { .kind = XKD_ORIGIN_DEFAULT });
                if (r < 0) {
                        xkd_config_free(c);
                        return r;
                }
        }
        r = apply_derived(c);
        if (r < 0) {
                xkd_config_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

xkd_config *xkd_config_free(xkd_config *c) {
        if (!c)
                return NULL;
        for (int k = 0; k < _XKD_CONF_MAX; k++)
                xkd_value_clear(&c->values[k]);
        while (c->names) {
                struct name_store *n = c->names;
                c->names = n->next;
                free(n);
        }
        free(c->release);
        free(c->file);
        free(c);
        return NULL;
}

int xkd_config_set_file(xkd_config *c, const char *path, bool present) {
        char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        free(c->file);
        c->file = p;
        c->file_present = present;
        return 0;
}

const char *xkd_config_error(const xkd_config *c) {
        return c->error;
}

const char *xkd_config_file(const xkd_config *c, bool *present) {
        if (present)
                *present = c->file_present;
        return c->file ? c->file : "";
}

const char *xkd_config_key_name(enum xkd_config_key key) {
        return key < _XKD_CONF_MAX ? xkd_key_infos[key].name : NULL;
}

int xkd_config_key_from_name(const char *name) {
        for (int k = 0; k < _XKD_CONF_MAX; k++)
                if (strcmp(xkd_key_infos[k].name, name) == 0)
                        return k;
        return -ENOENT;
}

const char *xkd_config_key_help(enum xkd_config_key key) {
        return key < _XKD_CONF_MAX ? xkd_key_infos[key].allowed : NULL;
}

static int key_from_span(const char *s, size_t len) {
        for (int k = 0; k < _XKD_CONF_MAX; k++)
                if (strlen(xkd_key_infos[k].name) == len && memcmp(xkd_key_infos[k].name, s, len) == 0)
                        return k;
        return -ENOENT;
}

static const char *all_key_names(void) {
        static char buf[512];

        if (!buf[0])
                for (int k = 0; k < _XKD_CONF_MAX; k++) {
                        if (k)
                                strcat(buf, ", ");
                        strcat(buf, xkd_key_infos[k].name);
                }
        return buf;
}

static void excerpt(const char *s, size_t len, char *buf, size_t size) {
        size_t n = 0;

        for (size_t i = 0; i < len && n + 4 < size; i++)
                buf[n++] = ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
        if (len > n) {
                buf[n++] = '.'; buf[n++] = '.'; buf[n++] = '.';
        }
        buf[n] = '\0';
}

/*
 * One line (without its '\n').  staged[] collects this file's values so a
 * file that fails half-way changes nothing.
 */
static int parse_line(xkd_config *c, const char *file, unsigned lineno, const char *line,
                      size_t len, struct xkd_value *staged) {
        char ex[64], why[256], hint[512], *value;
        size_t i = 0, key_len;
        int key, r;

        if (len > XKD_CONFIG_LINE_MAX)
                return set_error(c, "%s:%u: line is longer than %d bytes; split or shorten it",
                                 file, lineno, XKD_CONFIG_LINE_MAX);
        if (memchr(line, '\0', len))
                return set_error(c, "%s:%u: NUL byte; the config must be plain text", file, lineno);
        if (len > 0 && line[len - 1] == '\r')
                return set_error(c, "%s:%u: carriage return at the end of the line; "
                                 "save the file with Unix line endings", file, lineno);
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (i == len || line[i] == '#')
                return 0;
        while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
                len--;

        key_len = 0;
        while (i + key_len < len && line[i + key_len] != ' ' && line[i + key_len] != '\t')
                key_len++;
        key = key_from_span(line + i, key_len);
        if (key < 0) {
                size_t v = i + key_len;
                while (v < len && (line[v] == ' ' || line[v] == '\t'))
                        v++;
                if (xkd_config_compat_hint(line + i, key_len, line + v, len - v, hint, sizeof(hint)) == 0)
                        return set_error(c, "%s:%u: %s", file, lineno, hint);
                excerpt(line + i, key_len, ex, sizeof(ex));
                return set_error(c, "%s:%u: unknown key '%s'; allowed keys: %s",
                                 file, lineno, ex, all_key_names());
        }
        const struct xkd_key_info *k = &xkd_key_infos[key];
        const struct xkd_config_origin *prev = staged[key].raw ? &staged[key].origin :
                c->values[key].origin.kind == XKD_ORIGIN_FILE ? &c->values[key].origin : NULL;
        if (prev)
                return set_error(c, "%s:%u: duplicate key '%s' (already set at %s:%u); "
                                 "keep only one", file, lineno, k->name, prev->file, prev->line);
        i += key_len;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (i == len)
                return set_error(c, "%s:%u: key '%s' has no value; allowed: %s",
                                 file, lineno, k->name, k->allowed);

        value = strndup(line + i, len - i);
        if (!value)
                return -ENOMEM;
        r = xkd_value_parse(k, c->release, value, &staged[key], why, sizeof(why));
        free(value);
        if (r == -EINVAL && xkd_config_compat_hint(k->name, strlen(k->name), line + i, len - i, hint,
                                                   sizeof(hint)) == 0)
                return set_error(c, "%s:%u: %s", file, lineno, hint);
        if (r == -EINVAL)
                return set_error(c, "%s:%u: %s: %s; allowed: %s", file, lineno, k->name, why,
                                 k->allowed);
        if (r < 0)
                return r;
        staged[key].origin = (struct xkd_config_origin) { .kind = XKD_ORIGIN_FILE, .file = file, .line = lineno };
        return 0;
}

int xkd_config_parse_text(xkd_config *c, const char *name, const char *text, size_t len) {
        struct xkd_value staged[_XKD_CONF_MAX] = { 0 };
        const char *file = remember_name(c, name);
        unsigned lineno = 0;
        size_t pos = 0;
        int r = 0;

        if (!file)
                return -ENOMEM;
        c->error[0] = '\0';
        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t line_len = nl ? (size_t) (nl - (text + pos)) : len - pos;

                r = parse_line(c, file, ++lineno, text + pos, line_len, staged);
                if (r < 0)
                        break;
                pos += line_len + 1;
        }

        for (int k = 0; k < _XKD_CONF_MAX; k++) {
                if (r >= 0 && staged[k].raw) {
                        xkd_value_clear(&c->values[k]);
                        c->values[k] = staged[k];
                } else
                        xkd_value_clear(&staged[k]);
        }
        if (r >= 0)
                r = apply_derived(c);
        return r;
}

int xkd_config_set(xkd_config *c, enum xkd_config_key key, const char *value, const char *option) {
        const struct xkd_key_info *k = &xkd_key_infos[key];
        const char *opt = remember_name(c, option);
        char why[256];
        int r;

        if (!opt)
                return log_error_errno(-ENOMEM, "Failed to set %s: %m", option);
        if (value[0] == '\0' && k->type == XKD_VALUE_TEXT) {
                /* An empty command-line value clears a free-text key. */
                struct xkd_value v = { .raw = strdup(""), .text = strdup("") };
                if (!v.raw || !v.text) {
                        xkd_value_clear(&v);
                        return log_error_errno(-ENOMEM, "Failed to set %s: %m", option);
                }
                xkd_value_clear(&c->values[key]);
                c->values[key] = v;
        } else {
                r = xkd_value_parse(k, c->release, value, &c->values[key], why, sizeof(why));
                if (r == -EINVAL) {
                        set_error(c, "%s: %s; allowed: %s", option, why, k->allowed);
                        return log_error("%s", c->error);
                }
                if (r < 0)
                        return log_error_errno(r, "Failed to set %s: %m", option);
        }
        c->values[key].origin = (struct xkd_config_origin) { .kind = XKD_ORIGIN_CMDLINE, .detail = opt };
        r = apply_derived(c);
        return r < 0 ? log_error_errno(r, "Failed to set %s: %m", option) : 0;
}

static bool explicitly_set(const xkd_config *c, enum xkd_config_key key) {
        enum xkd_origin_kind kind = c->values[key].origin.kind;
        return kind == XKD_ORIGIN_FILE || kind == XKD_ORIGIN_CMDLINE;
}

static int rule_error(xkd_config *c, enum xkd_config_key key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int rule_error(xkd_config *c, enum xkd_config_key key, const char *fmt, ...) {
        char where[256], what[384];
        va_list ap;

        xkd_config_origin_format(c, key, where, sizeof(where));
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        set_error(c, "%s: %s", where, what);
        return log_error("%s", c->error);
}

/* A non-empty regular file: what `xen-kdump propagate` leaves. */
static bool pinned_file_present(const char *path) {
        struct stat st;
        return path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* dracut_args and extra_modules (config-words.c), refused with the key's origin. */
static int validate_dracut_words(xkd_config *c) {
        enum xkd_config_key bad;
        char why[256];

        if (xkd_config_check_dracut_words(xkd_config_get(c, XKD_CONF_DRACUT_ARGS),
                                          xkd_config_get(c, XKD_CONF_EXTRA_MODULES), &bad, why, sizeof(why)) < 0)
                return rule_error(c, bad, "%s", why);
        return 0;
}

int xkd_config_validate(xkd_config *c) {
        enum xkd_target_kind kind = c->values[XKD_CONF_TARGET].target.kind;
        static const enum xkd_config_key ssh_only[] = {
                XKD_CONF_SSH_KEY, XKD_CONF_SSH_KNOWN_HOST, XKD_CONF_SSH_PORT, XKD_CONF_SSH_KNOWN_HOSTS };
        int r;

        c->error[0] = '\0';
        r = apply_derived(c);
        if (r < 0)
                return log_error_errno(r, "Failed to apply defaults: %m");

        if (kind == XKD_TARGET_SSH && !c->values[XKD_CONF_SSH_KNOWN_HOST].text[0] &&
            !pinned_file_present(xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS)))
                return rule_error(c, XKD_CONF_TARGET, "an ssh target needs ssh_known_host, the "
                                  "server's pinned host key: run 'xen-kdump propagate' (it pins it in "
                                  "%s), or add 'ssh_known_host TYPE KEY' (ssh-keyscan HOST prints it; "
                                  "verify it out of band)", xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS));
        /* Settings for another target kind stay legal: switching targets must not mean deleting lines. */
        for (size_t i = 0; i < sizeof(ssh_only) / sizeof(ssh_only[0]); i++)
                if (kind != XKD_TARGET_SSH && explicitly_set(c, ssh_only[i]))
                        log_info("%s is only used with an ssh target.", xkd_key_infos[ssh_only[i]].name);
        if (kind == XKD_TARGET_PATH && explicitly_set(c, XKD_CONF_LOCAL_PATH))
                log_info("local_path is only used with a network target.");
        if (kind != XKD_TARGET_PATH && c->values[XKD_CONF_TARGET_FS].text[0])
                log_info("target_fs is only used with a path target.");

        r = validate_dracut_words(c);
        if (r < 0)
                return r;

        int engine = c->values[XKD_CONF_ENGINE].choice;
        int comp = c->values[XKD_CONF_COMPRESSION].choice;
        if (engine == XKD_ENGINE_NATIVE && (comp == XKD_COMPRESSION_LZO || comp == XKD_COMPRESSION_ZLIB))
                return rule_error(c, XKD_CONF_COMPRESSION, "engine native writes zstd or none, "
                                  "not %s; use 'compression zstd' or 'engine makedumpfile'",
                                  compression_choices[comp]);
        if (engine == XKD_ENGINE_MAKEDUMPFILE && comp == XKD_COMPRESSION_ZSTD)
                return rule_error(c, XKD_CONF_COMPRESSION, "Debian's makedumpfile has no zstd; "
                                  "use 'compression lzo' (or zlib, none) or 'engine native'");

        if (c->values[XKD_CONF_FAILURE_ACTION].choice == XKD_ACTION_SAVE_LOCAL) {
                if (kind == XKD_TARGET_PATH)
                        return rule_error(c, XKD_CONF_FAILURE_ACTION, "save-local needs a network "
                                          "target: the local target is what failed; use reboot, "
                                          "poweroff or shell");
                if (!c->values[XKD_CONF_LOCAL_PATH].text[0])
                        return rule_error(c, XKD_CONF_FAILURE_ACTION, "save-local needs "
                                          "local_path; add 'local_path /var/crash'");
        }
        return 0;
}

const char *xkd_config_get(const xkd_config *c, enum xkd_config_key key) {
        return c->values[key].text ? c->values[key].text : "";
}

const char *xkd_config_get_raw(const xkd_config *c, enum xkd_config_key key) {
        return c->values[key].raw ? c->values[key].raw : "";
}

uint64_t xkd_config_get_number(const xkd_config *c, enum xkd_config_key key) {
        return c->values[key].number;
}

int xkd_config_get_choice(const xkd_config *c, enum xkd_config_key key) {
        return c->values[key].choice;
}

const struct xkd_target *xkd_config_target(const xkd_config *c) {
        return &c->values[XKD_CONF_TARGET].target;
}

const struct xkd_config_origin *xkd_config_origin(const xkd_config *c, enum xkd_config_key key) {
        return &c->values[key].origin;
}

int xkd_config_origin_format(const xkd_config *c, enum xkd_config_key key, char *buf, size_t size) {
        const struct xkd_config_origin *o = &c->values[key].origin;
        int n;

        switch (o->kind) {
        case XKD_ORIGIN_FILE:
                n = snprintf(buf, size, "%s:%u", o->file, o->line);
                break;
        case XKD_ORIGIN_CMDLINE:
                n = snprintf(buf, size, "command line (%s)", o->detail);
                break;
        case XKD_ORIGIN_DERIVED:
                n = snprintf(buf, size, "default (%s)", o->detail);
                break;
        default:
                n = snprintf(buf, size, "default");
                break;
        }
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}
