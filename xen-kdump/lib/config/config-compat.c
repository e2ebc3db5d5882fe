/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-compat.h"

#define VALUE_MAX 200

/* The value, printable ASCII only and bounded: it is echoed into an error line. */
static void clean(const char *v, size_t len, char *out, size_t size) {
        size_t n = 0;

        if (len > VALUE_MAX)
                len = VALUE_MAX;
        for (size_t i = 0; i < len && n + 1 < size; i++)
                out[n++] = (unsigned char) v[i] < 0x20 || (unsigned char) v[i] >= 0x7f ? '?' : v[i];
        out[n] = '\0';
}

static bool key_is(const char *key, size_t len, const char *name) {
        return strlen(name) == len && memcmp(key, name, len) == 0;
}

/* kdump's failure and final actions to ours; NULL: none. */
static const char *action(const char *v, bool failure) {
        if (strcmp(v, "reboot") == 0 || strcmp(v, "shell") == 0 || strcmp(v, "poweroff") == 0)
                return v;
        if (strcmp(v, "halt") == 0)
                return "poweroff";
        if (failure && (strcmp(v, "dump_to_rootfs") == 0 || strcmp(v, "save-local") == 0))
                return "save-local";
        return NULL;
}

static const char *save_local_note(const char *a) {
        return strcmp(a, "save-local") == 0 ? " (with an ssh or nfs target; 'local_path DIR' says where)" : "";
}

/* makedumpfile's options as engine/dump_level/compression lines. */
static void collector(const char *v, char *buf, size_t size) {
        char copy[VALUE_MAX + 1], lines[256] = "'engine makedumpfile'";
        const char *comp = NULL;
        long level = -1;

        snprintf(copy, sizeof(copy), "%s", v);
        char *save = NULL, *w = strtok_r(copy, " \t", &save);
        if (!w || strcmp(w, "makedumpfile") != 0) {
                snprintf(buf, size, "'core_collector %s' is kdump.conf's; xen-kdump has no other "
                         "collector command: remove the line (the default 'engine native' writes a "
                         "filtered, compressed dump and the crash report)", v);
                return;
        }
        while ((w = strtok_r(NULL, " \t", &save))) {
                if (strcmp(w, "-d") == 0) {
                        const char *arg = strtok_r(NULL, " \t", &save);
                        if (!arg)
                                break;  /* "-d" last: no level given */
                        level = strtol(arg, NULL, 10);
                } else if (strncmp(w, "-d", 2) == 0 && w[2])
                        level = strtol(w + 2, NULL, 10);
                else if (strcmp(w, "-c") == 0)
                        comp = "zlib";
                else if (strcmp(w, "-l") == 0)
                        comp = "lzo";
                else if (strcmp(w, "-p") == 0 || strcmp(w, "-z") == 0 || strcmp(w, "--zstd") == 0)
                        comp = "lzo";   /* makedumpfile's snappy/zstd are not offered: lzo is */
        }
        size_t n = strlen(lines);
        if (level >= 0 && level <= 31)
                /* kdump's -d levels leave Xen's free and domU pages in; 32 (-X) drops them. */
                n += (size_t) snprintf(lines + n, sizeof(lines) - n, ", 'dump_level %ld'", level);
        if (comp)
                snprintf(lines + n, sizeof(lines) - n, ", 'compression %s'", comp);
        snprintf(buf, size, "'core_collector makedumpfile ...' is kdump.conf's; xen-kdump writes "
                 "%s on separate lines (or nothing: the default engine native at dump_level 63 "
                 "writes less, faster, with a crash report)", lines);
}

int xkd_config_compat_hint(const char *key, size_t key_len, const char *value, size_t value_len,
                           char *buf, size_t size) {
        char v[VALUE_MAX + 1];
        const char *a;

        clean(value, value_len, v, sizeof(v));
        if (key_is(key, key_len, "path"))
                snprintf(buf, size, "'path' is kdump.conf's; xen-kdump writes 'target path %s' (with an "
                         "ssh or nfs target the directory goes after the colon: 'target ssh "
                         "USER@HOST:%s')", v[0] ? v : "/var/crash", v[0] ? v : "/var/crash");
        else if (key_is(key, key_len, "ssh"))
                snprintf(buf, size, "'ssh' is kdump.conf's; xen-kdump writes 'target ssh %s:/var/crash' "
                         "(your 'path' directory after the colon) and pins the server's key with "
                         "'ssh_known_host TYPE BASE64'", v[0] ? v : "USER@HOST");
        else if (key_is(key, key_len, "nfs") || key_is(key, key_len, "nfs4"))
                snprintf(buf, size, "'nfs' is kdump.conf's; xen-kdump writes 'target nfs %s/var/crash' "
                         "(the export, then your 'path' directory)", v[0] ? v : "SERVER:/EXPORT");
        else if (key_is(key, key_len, "sshkey"))
                snprintf(buf, size, "'sshkey' is kdump.conf's; xen-kdump writes 'ssh_key %s'",
                         v[0] ? v : "/root/.ssh/xen-kdump_id_ed25519");
        else if (key_is(key, key_len, "core_collector"))
                collector(v, buf, size);
        else if (key_is(key, key_len, "default")) {
                a = action(v, true);
                if (a)
                        snprintf(buf, size, "'default' is kdump.conf's old name; xen-kdump writes "
                                 "'failure_action %s'%s", a, save_local_note(a));
                else
                        snprintf(buf, size, "'default' is kdump.conf's old name for failure_action; "
                                 "xen-kdump writes 'failure_action save-local', 'reboot', 'poweroff' or 'shell'");
        } else if (key_is(key, key_len, "failure_action") || key_is(key, key_len, "final_action")) {
                bool failure = key_is(key, key_len, "failure_action");
                a = action(v, failure);
                if (!a || strcmp(a, v) == 0)
                        return -ENOENT;         /* not a kdump.conf spelling: the usual error says it */
                snprintf(buf, size, "'%s %s' is kdump.conf's; xen-kdump writes '%s %s'%s",
                         failure ? "failure_action" : "final_action", v,
                         failure ? "failure_action" : "final_action", a, save_local_note(a));
        } else if (key_is(key, key_len, "kdump_pre") || key_is(key, key_len, "kdump_post"))
                snprintf(buf, size, "'%s' is kdump.conf's; xen-kdump writes '%s %s'",
                         key_is(key, key_len, "kdump_pre") ? "kdump_pre" : "kdump_post",
                         key_is(key, key_len, "kdump_pre") ? "pre_hook" : "post_hook", v[0] ? v : "/PATH");
        else if (key_is(key, key_len, "ext4") || key_is(key, key_len, "xfs") ||
                 key_is(key, key_len, "btrfs") || key_is(key, key_len, "ext3") ||
                 key_is(key, key_len, "ext2") || key_is(key, key_len, "vfat")) {
                if (strncmp(v, "UUID=", 5) == 0)
                        snprintf(buf, size, "'%.*s %s' is kdump.conf's; xen-kdump writes 'target_fs %s' "
                                 "and 'target path /var/crash' (your 'path' directory, inside that "
                                 "filesystem); dom0 need not mount it", (int) key_len, key, v, v);
                else
                        snprintf(buf, size, "'%.*s %s' is kdump.conf's; xen-kdump names the filesystem by "
                                 "its UUID: 'target_fs UUID=...' (blkid -s UUID -o value %s) and "
                                 "'target path /var/crash' (the directory inside it)",
                                 (int) key_len, key, v, v[0] ? v : "DEVICE");
        } else if (key_is(key, key_len, "raw"))
                snprintf(buf, size, "dumping to a raw device ('raw') is kdump.conf's; xen-kdump saves to a "
                         "directory on a filesystem: 'target_fs UUID=...' and 'target path /DIR'");
        else if (key_is(key, key_len, "extra_args") || key_is(key, key_len, "KDUMP_CMDLINE_APPEND"))
                snprintf(buf, size, "'%.*s' is kdump's; xen-kdump writes 'append %s'", (int) key_len, key, v);
        else
                return -ENOENT;
        return 0;
}
