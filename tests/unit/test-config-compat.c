/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kdump.conf lines pasted into xen-kdump.conf: refused, one line, naming the
 * xen-kdump line(s) to write instead; and those lines, written as told, parse,
 * validate and mean what the kdump.conf line meant. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-compat.h"
#include "test.h"

#define HOST_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq"

/* The parse error of text ("(accepted)" when it parsed). */
static const char *parse_error(const char *text) {
        static char msg[1024];
        xkd_config *c = NULL;
        int r;

        if (xkd_config_new(&c, "6.1.0-test") < 0)
                abort();
        r = xkd_config_parse_text(c, "k.conf", text, strlen(text));
        snprintf(msg, sizeof(msg), "%s", r == -EINVAL ? xkd_config_error(c) : "(accepted)");
        xkd_config_free(c);
        return msg;
}

/* Every 'quoted' line after "writes " in msg, one per line, plus extra: the config the admin
 * would write by following the message. */
static char *followed(const char *msg, const char *extra) {
        static char text[2048];
        const char *p = strstr(msg, "writes ");
        size_t n = 0;

        text[0] = '\0';
        if (!p)
                return text;
        p += 7;
        /* Quoted spans up to the first parenthesis (which explains, not prescribes). */
        const char *end = strchr(p, '(');
        while ((p = strchr(p, '\'')) && (!end || p < end)) {
                const char *q = strchr(p + 1, '\'');
                if (!q)
                        break;
                n += (size_t) snprintf(text + n, sizeof(text) - n, "%.*s\n", (int) (q - p - 1), p + 1);
                p = q + 1;
        }
        snprintf(text + n, sizeof(text) - n, "%s", extra);
        return text;
}

/* text must parse and validate; key's value is then returned (static copy). */
static const char *value_after(const char *text, enum xkd_config_key key) {
        static char v[512];
        xkd_config *c = NULL;

        if (xkd_config_new(&c, "6.1.0-test") < 0)
                abort();
        if (xkd_config_parse_text(c, "x.conf", text, strlen(text)) < 0 || xkd_config_validate(c) < 0)
                snprintf(v, sizeof(v), "(refused: %s)", xkd_config_error(c));
        else
                snprintf(v, sizeof(v), "%s", xkd_config_get(c, key));
        xkd_config_free(c);
        return v;
}

TEST(path) {
        const char *e = parse_error("# pasted\npath /srv/dumps\n");
        ASSERT_CONTAINS(e, "k.conf:2: 'path' is kdump.conf's; xen-kdump writes 'target path /srv/dumps'");
        ASSERT_FALSE(strchr(e, '\n'));
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_TARGET), "path /srv/dumps");
}

TEST(ssh_and_sshkey) {
        const char *e = parse_error("ssh root@backup.example\n");
        ASSERT_CONTAINS(e, "'target ssh root@backup.example:/var/crash'");
        ASSERT_STREQ(value_after(followed(e, "ssh_known_host " HOST_KEY "\n"), XKD_CONF_TARGET),
                     "ssh root@backup.example:/var/crash");
        e = parse_error("sshkey /root/.ssh/kdump_id_rsa\n");
        ASSERT_CONTAINS(e, "xen-kdump writes 'ssh_key /root/.ssh/kdump_id_rsa'");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_SSH_KEY), "/root/.ssh/kdump_id_rsa");
}

TEST(nfs) {
        const char *e = parse_error("nfs nas.example:/export/dumps\n");
        ASSERT_CONTAINS(e, "'target nfs nas.example:/export/dumps/var/crash'");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_TARGET), "nfs nas.example:/export/dumps/var/crash");
}

TEST(core_collector) {
        const char *e = parse_error("core_collector makedumpfile -l --message-level 7 -d 31\n");
        ASSERT_CONTAINS(e, "'engine makedumpfile', 'dump_level 31', 'compression lzo'");
        const char *cfg = followed(e, "");
        ASSERT_STREQ(value_after(cfg, XKD_CONF_ENGINE), "makedumpfile");
        ASSERT_STREQ(value_after(cfg, XKD_CONF_DUMP_LEVEL), "31");
        ASSERT_STREQ(value_after(cfg, XKD_CONF_COMPRESSION), "lzo");
        e = parse_error("core_collector makedumpfile -F -c -d17\n");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_COMPRESSION), "zlib");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_DUMP_LEVEL), "17");
        /* A trailing -d without its level (found by fuzz-config). */
        e = parse_error("core_collector makedumpfile -c -d\n");
        ASSERT_CONTAINS(e, "'engine makedumpfile', 'compression zlib'");
        e = parse_error("core_collector cp\n");
        ASSERT_CONTAINS(e, "no other collector command: remove the line");
}

TEST(actions) {
        const char *e = parse_error("default dump_to_rootfs\n");
        ASSERT_CONTAINS(e, "xen-kdump writes 'failure_action save-local' (with an ssh or nfs target");
        ASSERT_STREQ(value_after(followed(e, "target nfs nas:/export/crash\nlocal_path /var/crash\n"), XKD_CONF_FAILURE_ACTION), "save-local");
        e = parse_error("failure_action halt\n");
        ASSERT_CONTAINS(e, "'failure_action halt' is kdump.conf's; xen-kdump writes 'failure_action poweroff'");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_FAILURE_ACTION), "poweroff");
        e = parse_error("final_action halt\n");
        ASSERT_CONTAINS(e, "xen-kdump writes 'final_action poweroff'");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_FINAL_ACTION), "poweroff");
        /* The same words in both files need nothing. */
        ASSERT_STREQ(parse_error("final_action reboot\nfailure_action shell\n"), "(accepted)");
        /* Not kdump's either: the usual error. */
        ASSERT_CONTAINS(parse_error("final_action bogus\n"), "allowed: reboot, poweroff or shell");
}

TEST(hooks_devices_and_the_rest) {
        const char *e = parse_error("kdump_post /usr/local/sbin/notify\n");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_POST_HOOK), "/usr/local/sbin/notify");
        ASSERT_CONTAINS(parse_error("ext4 /dev/sdb1\n"), "'target_fs UUID=...' (blkid -s UUID -o value /dev/sdb1)");
        /* kdump-utils' own spelling carries over as it is. */
        e = parse_error("xfs UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69\n");
        ASSERT_CONTAINS(e, "xen-kdump writes 'target_fs UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69' and 'target path /var/crash'");
        ASSERT_STREQ(value_after(followed(e, ""), XKD_CONF_TARGET_FS), "UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69");
        ASSERT_CONTAINS(parse_error("raw /dev/sdb2\n"), "'target_fs UUID=...' and 'target path /DIR'");
        ASSERT_CONTAINS(parse_error("bogus 1\n"), "unknown key 'bogus'; allowed keys: ");
        /* Control bytes from the file never reach the terminal. */
        ASSERT_FALSE(strchr(parse_error("path /a\033[2Jb\n"), '\033'));
}

TEST(hint_api) {
        char buf[512];
        ASSERT_EQ(xkd_config_compat_hint("target", 6, "x", 1, buf, sizeof(buf)), -ENOENT);
        ASSERT_EQ(xkd_config_compat_hint("pathX", 4, "/v", 2, buf, sizeof(buf)), 0);   /* key_len counts */
        ASSERT_CONTAINS(buf, "'target path /v'");
}

TEST_MAIN()
