/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /etc/xen-kdump.conf parser: every key, every error class, origins, rules. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture-kernel.h"
#include "config.h"
#include "log.h"
#include "json-mini.h"
#include "test.h"

/* Errors are checked through xkd_config_error(); keep their log lines off the test output. */
static int saved_stderr = -1;

static void quiet(bool on) {
        fflush(stderr);
        if (on) {
                saved_stderr = dup(2);
                FILE *null = fopen("/dev/null", "w");
                dup2(fileno(null), 2);
                fclose(null);
        } else if (saved_stderr >= 0) {
                dup2(saved_stderr, 2);
                close(saved_stderr);
                saved_stderr = -1;
        }
}

#define HOST_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq"
#define RSA_BLOB "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDhS8R+tSEcXaXns66tD+1S"

static xkd_config *parsed(const char *text, int *ret) {
        xkd_config *c = NULL;

        if (xkd_config_new(&c, "6.1.0-test") < 0)
                return NULL;
        *ret = xkd_config_parse_text(c, "t.conf", text, strlen(text));
        return c;
}

/* Parse text that must fail; return the message (static). */
static const char *parse_error(const char *text) {
        static char msg[1024];
        int r = 0;
        xkd_config *c = parsed(text, &r);

        snprintf(msg, sizeof(msg), "%s", c && r == -EINVAL ? xkd_config_error(c) : "(accepted)");
        xkd_config_free(c);
        return msg;
}

/* Parse text that must parse but fail validation; return the message. */
static const char *rule_error(const char *text) {
        static char msg[1024];
        int r = 0;
        xkd_config *c = parsed(text, &r);

        quiet(true);  /* validate() logs; the message is checked instead */
        if (c && r == 0 && xkd_config_validate(c) == -EINVAL)
                snprintf(msg, sizeof(msg), "%s", xkd_config_error(c));
        else
                snprintf(msg, sizeof(msg), "(r=%d, accepted)", r);
        quiet(false);
        xkd_config_free(c);
        return msg;
}

/* No test may depend on whether this machine has a minimal kernel installed. */
__attribute__((constructor)) static void no_installed_minimal_kernel(void) {
        setenv(XKD_MINIMAL_KERNEL_ENV, "/nonexistent/xen-kdump/vmlinuz-minimal", 1);
}

TEST(defaults_have_default_origins) {
        xkd_config *c = NULL;
        char o[128];

        ASSERT_EQ(xkd_config_new(&c, "6.1.0-9-amd64"), 0);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), "/boot/vmlinuz-6.1.0-9-amd64");
        ASSERT_STREQ(xkd_config_get_raw(c, XKD_CONF_KERNEL), "/boot/vmlinuz-%r");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/var/lib/xen-kdump/initrd-6.1.0-9-amd64.img");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_APPEND), "");
        ASSERT_EQ(xkd_config_target(c)->kind, XKD_TARGET_PATH);
        ASSERT_STREQ(xkd_config_target(c)->dir, "/var/crash");
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_DUMP_LEVEL), 63);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_KEEP), 0);           /* nothing deleted out of the box */
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_CAPTURE_TIMEOUT), "auto");  /* finite: the script computes it */
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_RESERVE), 256);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_TIMEOUT), 120);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_SSH_PORT), 22);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_ENGINE), XKD_ENGINE_NATIVE);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_COMPRESSION), XKD_COMPRESSION_ZSTD);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_FAILURE_ACTION), XKD_ACTION_REBOOT);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_FINAL_ACTION), XKD_ACTION_REBOOT);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_DRACUT_ARGS), "");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_EXTRA_MODULES), "");
        for (int k = 0; k < _XKD_CONF_MAX; k++) {
                ASSERT_EQ(xkd_config_origin_format(c, (enum xkd_config_key) k, o, sizeof(o)), 0);
                ASSERT_TRUE(strncmp(o, "default", 7) == 0);
        }
        xkd_config_origin_format(c, XKD_CONF_COMPRESSION, o, sizeof(o));
        ASSERT_STREQ(o, "default (engine native)");
        xkd_config_free(c);
}

/* A setup header with just a kernel_version string (0x20e → 0xa00). */
static void write_fake_bzimage(const char *path, const char *version_text) {
        unsigned char img[0x1000] = { 0 };
        FILE *f = fopen(path, "we");

        memcpy(img + 0x202, "HdrS", 4);
        img[0x20f] = 0x08;
        memcpy(img + 0xa00, version_text, strlen(version_text));
        if (!f || fwrite(img, 1, sizeof(img), f) != sizeof(img))
                abort();
        fclose(f);
}

/*
 * The automatic kernel: the installed minimal kernel when there is one (and
 * then its own module-less initramfs), else the running kernel; a configured
 * kernel always wins, and the initramfs follows whichever kernel it is.
 */
TEST(kernel_default_prefers_the_installed_minimal_kernel) {
        char root[] = "/tmp/test-config-root.XXXXXX", minimal[128], distro[128], o[256], cmd[160];
        xkd_config *c = NULL;
        int r = 0;

        ASSERT_TRUE(mkdtemp(root) != NULL);
        snprintf(minimal, sizeof(minimal), "%s/vmlinuz-minimal", root);
        setenv(XKD_MINIMAL_KERNEL_ENV, minimal, 1);

        /* Not installed: the running kernel, and show says why. */
        ASSERT_EQ(xkd_config_new(&c, "6.1.0-9-amd64"), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), "/boot/vmlinuz-6.1.0-9-amd64");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/var/lib/xen-kdump/initrd-6.1.0-9-amd64.img");
        xkd_config_origin_format(c, XKD_CONF_KERNEL, o, sizeof(o));
        ASSERT_CONTAINS(o, "default (no minimal kernel at ");
        ASSERT_CONTAINS(o, minimal);
        xkd_config_free(c);

        /* Installed: it, and the initramfs named for it. */
        write_fake_bzimage(minimal, "6.1.192-xkd (root@vm) #2 SMP");
        ASSERT_EQ(xkd_config_new(&c, "6.1.0-9-amd64"), 0);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), minimal);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), XKD_MINIMAL_INITRD_PATH);
        xkd_config_origin_format(c, XKD_CONF_KERNEL, o, sizeof(o));
        ASSERT_STREQ(o, "default (the minimal kernel is installed)");
        xkd_config_origin_format(c, XKD_CONF_INITRD, o, sizeof(o));
        ASSERT_STREQ(o, "default (the kernel is a minimal kernel)");
        xkd_config_free(c);

        /* A configured distribution kernel wins; its initramfs follows it. */
        c = parsed("kernel /boot/vmlinuz-%r\n", &r);
        ASSERT_EQ(r, 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), "/boot/vmlinuz-6.1.0-test");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/var/lib/xen-kdump/initrd-6.1.0-test.img");
        /* ... and so does a --kernel override, back to a minimal one. */
        ASSERT_EQ(xkd_config_set(c, XKD_CONF_KERNEL, minimal, "--kernel"), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), XKD_MINIMAL_INITRD_PATH);
        xkd_config_free(c);

        /* A minimal kernel configured elsewhere is recognised by its release. */
        snprintf(distro, sizeof(distro), "%s/bzImage", root);
        write_fake_bzimage(distro, "6.1.192-xkd (root@vm) #3 SMP");
        ASSERT_TRUE(xkd_kernel_is_minimal(distro));
        write_fake_bzimage(distro, "6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP");
        ASSERT_FALSE(xkd_kernel_is_minimal(distro));
        ASSERT_FALSE(xkd_kernel_is_minimal("/nonexistent/bzImage"));

        /* A configured initramfs is never replaced. */
        c = parsed("initrd /srv/capture.img\n", &r);
        ASSERT_EQ(r, 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), minimal);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/srv/capture.img");
        xkd_config_free(c);

        /* The shell form hands the choice to the dracut module and the kernel hook. */
        c = parsed("", &r);
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        xkd_config_print_shell(c, f);
        fclose(f);
        snprintf(cmd, sizeof(cmd), "XKD_KERNEL='%s'\n", minimal);
        ASSERT_CONTAINS(text, cmd);
        free(text);
        xkd_config_free(c);

        setenv(XKD_MINIMAL_KERNEL_ENV, "/nonexistent/xen-kdump/vmlinuz-minimal", 1);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        ASSERT_EQ(system(cmd), 0);
}

TEST(every_key_from_file_with_file_line_origin) {
        const char *text =
                "# comment\n"
                "\n"
                "kernel /boot/vmlinuz-%r-crash\n"
                "  initrd\t/srv/initrd-%r-%%.img  \n"
                "append console=ttyS0,115200  nr_cpus=1\n"
                "target ssh dump@backup.example.org:/srv/dumps\n"
                "ssh_key /etc/xen-kdump/id\n"
                "ssh_known_host " HOST_KEY "\n"
                "ssh_port 2222\n"
                "local_path /var/crash\n"
                "timeout 30\n"
                "capture_timeout 900\n"
                "dump_level 0\n"
                "engine native\n"
                "compression none\n"
                "keep 0\n"
                "reserve 1048576\n"
                "failure_action shell\n"
                "final_action poweroff\n"
                "pre_hook /usr/local/bin/pre\n"
                "post_hook /usr/local/bin/post\n"
                "dracut_args --add lvm --omit-drivers 'nouveau radeon'\n"
                "extra_modules nvme mpt3sas\n"
                "ssh_known_hosts /etc/xen-kdump/pinned\n"
                "target_fs UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69\n"
                "kernel_entry decompressor\n";
        int r = 0;
        xkd_config *c = parsed(text, &r);
        const struct xkd_config_origin *o;
        char buf[128];

        ASSERT_EQ(r, 0);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), "/boot/vmlinuz-6.1.0-test-crash");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/srv/initrd-6.1.0-test-%.img");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_APPEND), "console=ttyS0,115200  nr_cpus=1");
        ASSERT_EQ(xkd_config_target(c)->kind, XKD_TARGET_SSH);
        ASSERT_STREQ(xkd_config_target(c)->user, "dump");
        ASSERT_STREQ(xkd_config_target(c)->host, "backup.example.org");
        ASSERT_STREQ(xkd_config_target(c)->dir, "/srv/dumps");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_SSH_KEY), "/etc/xen-kdump/id");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOST), HOST_KEY);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_SSH_PORT), 2222);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_LOCAL_PATH), "/var/crash");
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_TIMEOUT), 30);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_CAPTURE_TIMEOUT), 900);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_CAPTURE_TIMEOUT), "900");
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_DUMP_LEVEL), 0);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_ENGINE), XKD_ENGINE_NATIVE);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_COMPRESSION), XKD_COMPRESSION_NONE);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_KEEP), 0);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_RESERVE), 1048576);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_FAILURE_ACTION), XKD_ACTION_SHELL);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_FINAL_ACTION), XKD_ACTION_POWEROFF);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_PRE_HOOK), "/usr/local/bin/pre");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_POST_HOOK), "/usr/local/bin/post");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_DRACUT_ARGS), "--add lvm --omit-drivers 'nouveau radeon'");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_EXTRA_MODULES), "nvme mpt3sas");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_SSH_KNOWN_HOSTS), "/etc/xen-kdump/pinned");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL_ENTRY), "decompressor");
        /* Line numbers count comments and blank lines; key k sits on line k + 3. */
        for (int k = 0; k < _XKD_CONF_MAX; k++) {
                o = xkd_config_origin(c, (enum xkd_config_key) k);
                ASSERT_EQ(o->kind, XKD_ORIGIN_FILE);
                ASSERT_STREQ(o->file, "t.conf");
                ASSERT_EQ(o->line, (unsigned) k + 3);
        }
        xkd_config_origin_format(c, XKD_CONF_TARGET, buf, sizeof(buf));
        ASSERT_STREQ(buf, "t.conf:6");
        xkd_config_free(c);
}

TEST(nfs_and_ipv6_targets_split) {
        int r = 0;
        xkd_config *c = parsed("target nfs nas.lan:/export/crash\n", &r);

        ASSERT_EQ(r, 0);
        ASSERT_EQ(xkd_config_target(c)->kind, XKD_TARGET_NFS);
        ASSERT_STREQ(xkd_config_target(c)->host, "nas.lan");
        ASSERT_STREQ(xkd_config_target(c)->dir, "/export/crash");
        ASSERT_TRUE(xkd_config_target(c)->user == NULL);
        xkd_config_free(c);

        c = parsed("target   ssh\troot@[fd00::1]:/d\n", &r);
        ASSERT_EQ(r, 0);
        ASSERT_STREQ(xkd_config_target(c)->host, "[fd00::1]");
        ASSERT_STREQ(xkd_config_target(c)->dir, "/d");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_TARGET), "ssh root@[fd00::1]:/d");
        xkd_config_free(c);
}

TEST(unknown_key_names_line_and_allowed_keys) {
        const char *m = parse_error("keep 3\n\ncrash_collector makedumpfile -c\n");
        ASSERT_CONTAINS(m, "t.conf:3: unknown key 'crash_collector'");
        ASSERT_CONTAINS(m, "allowed keys: kernel, initrd, append, target");
        ASSERT_CONTAINS(m, "post_hook");
        /* Keys are case-sensitive: nothing is guessed. */
        ASSERT_CONTAINS(parse_error("Keep 3\n"), "t.conf:1: unknown key 'Keep'");
}

TEST(duplicate_key_names_both_lines) {
        ASSERT_CONTAINS(parse_error("keep 3\n# x\nkeep 4\n"),
                        "t.conf:3: duplicate key 'keep' (already set at t.conf:1)");
}

TEST(missing_value) {
        ASSERT_CONTAINS(parse_error("dump_level\n"), "t.conf:1: key 'dump_level' has no value; allowed: an exclusion mask 0-63");
        ASSERT_CONTAINS(parse_error("append   \t\n"), "t.conf:1: key 'append' has no value");
}

TEST(numbers_strict) {
        ASSERT_CONTAINS(parse_error("dump_level 64\n"), "t.conf:1: dump_level: 64 is out of range; allowed: an exclusion mask 0-63");
        ASSERT_CONTAINS(parse_error("keep -1\n"), "keep: '-1' is not a decimal number");
        ASSERT_CONTAINS(parse_error("keep 0x10\n"), "keep: '0x10' is not a decimal number");
        ASSERT_CONTAINS(parse_error("keep 010\n"), "leading zero");
        /* The capture is always bounded: no 0, no "infinity"; only capture_timeout knows auto. */
        ASSERT_CONTAINS(parse_error("capture_timeout 0\n"), "capture_timeout: 0 is out of range; allowed: seconds 60-604800");
        ASSERT_CONTAINS(parse_error("capture_timeout infinity\n"), "'infinity' is not a decimal number");
        ASSERT_CONTAINS(parse_error("capture_timeout autox\n"), "'autox' is not a decimal number");
        ASSERT_CONTAINS(parse_error("keep auto\n"), "keep: 'auto' is not a decimal number");
        ASSERT_CONTAINS(parse_error("reserve 99999999999999999999\n"), "reserve: '99999999999999999999' is not a number");
        ASSERT_CONTAINS(parse_error("reserve 1048577\n"), "1048577 is out of range");
        ASSERT_CONTAINS(parse_error("timeout 0\n"), "timeout: 0 is out of range");
        ASSERT_CONTAINS(parse_error("ssh_port 65536\n"), "65536 is out of range");
        ASSERT_CONTAINS(parse_error("reserve 1G\n"), "'1G' is not a decimal number");
}

TEST(trailing_garbage_every_single_word_type) {
        ASSERT_CONTAINS(parse_error("keep 3 # three\n"), "t.conf:1: keep: unexpected '# three' after the value");
        ASSERT_CONTAINS(parse_error("engine native x\n"), "engine: unexpected 'x' after the value");
        ASSERT_CONTAINS(parse_error("kernel /boot/a /boot/b\n"), "kernel: unexpected '/boot/b' after the value");
        ASSERT_CONTAINS(parse_error("target path /var/crash /x\n"), "target: unexpected '/x' after the location");
        ASSERT_CONTAINS(parse_error("ssh_known_host " HOST_KEY " root@host\n"), "unexpected 'root@host' after the key");
}

TEST(choices_strict) {
        ASSERT_CONTAINS(parse_error("engine crash\n"), "t.conf:1: engine: 'crash' is not a known value; allowed: native or makedumpfile");
        ASSERT_CONTAINS(parse_error("compression gzip\n"), "compression: 'gzip' is not a known value");
        ASSERT_CONTAINS(parse_error("failure_action stop\n"), "allowed: save-local, reboot, poweroff or shell");
        /* save-local only makes sense when the dump has somewhere else to go. */
        ASSERT_CONTAINS(parse_error("final_action save-local\n"), "final_action: 'save-local' is not a known value");
        ASSERT_CONTAINS(parse_error("engine NATIVE\n"), "'NATIVE' is not a known value");
}

TEST(paths_strict) {
        ASSERT_CONTAINS(parse_error("kernel vmlinuz\n"), "t.conf:1: kernel: 'vmlinuz' is not an absolute path; allowed: an absolute path");
        ASSERT_CONTAINS(parse_error("initrd /x/%v\n"), "initrd: unknown escape '%v'");
        ASSERT_CONTAINS(parse_error("kernel /x/%\n"), "unknown escape");
        ASSERT_CONTAINS(parse_error("pre_hook ./hook\n"), "pre_hook: './hook' is not an absolute path");
        ASSERT_CONTAINS(parse_error("target ssh u@h:/d/it's\n"), "'/d/it's' contains a quote, backslash or '$'");
        ASSERT_CONTAINS(parse_error("target path /var/$HOME\n"), "contains a quote, backslash or '$'");
        /* %r is only for the kernel and initrd; elsewhere it stays literal. */
        int r = 0;
        xkd_config *c = parsed("post_hook /hooks/%r\n", &r);
        ASSERT_EQ(r, 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_POST_HOOK), "/hooks/%r");
        xkd_config_free(c);
}

TEST(targets_strict) {
        ASSERT_CONTAINS(parse_error("target ftp host:/d\n"), "target: 'ftp' is not a target kind; allowed: 'path /DIR'");
        ASSERT_CONTAINS(parse_error("target path\n"), "target: 'path' needs a location");
        ASSERT_CONTAINS(parse_error("target path var/crash\n"), "'var/crash' is not an absolute path");
        ASSERT_CONTAINS(parse_error("target ssh host:/d\n"), "'host:/d' has no 'user@' before the host");
        ASSERT_CONTAINS(parse_error("target ssh -oProxy@h:/d\n"), "'-oProxy' is not a user name");
        ASSERT_CONTAINS(parse_error("target ssh u@host/d\n"), "'host/d' has no ':' between host and directory");
        ASSERT_CONTAINS(parse_error("target ssh u@ho$t:/d\n"), "'ho$t' is not a host name or address");
        ASSERT_CONTAINS(parse_error("target ssh u@h:d\n"), "'d' is not an absolute path");
        ASSERT_CONTAINS(parse_error("target nfs :/export\n"), "'' is not a host name or address");
        ASSERT_CONTAINS(parse_error("target nfs -o:/export\n"), "'-o' is not a host name");
}

TEST(target_fs_is_a_uuid_or_nothing) {
        int r = 0;
        xkd_config *c = parsed("target_fs UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69\ntarget path /crash\n", &r);
        ASSERT_EQ(r, 0);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_TARGET_FS), "UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69");
        xkd_config_free(c);
        c = parsed("target_fs UUID=1A2B-3C4D\n", &r);  /* vfat */
        ASSERT_EQ(r, 0);
        xkd_config_free(c);
        ASSERT_CONTAINS(parse_error("target_fs /dev/sdb1\n"), "'/dev/sdb1' is not UUID=...");
        ASSERT_CONTAINS(parse_error("target_fs LABEL=dumps\n"), "is not UUID=...");
        ASSERT_CONTAINS(parse_error("target_fs UUID=abc\n"), "'abc' is not a filesystem UUID");
        ASSERT_CONTAINS(parse_error("target_fs UUID=0f3c2a7e;reboot\n"), "is not a filesystem UUID");
        ASSERT_CONTAINS(parse_error("target_fs UUID=0f3c2a7e 1\n"), "is not a filesystem UUID");
}

TEST(host_key_strict) {
        ASSERT_CONTAINS(parse_error("ssh_known_host ssh-dss AAAA\n"), "'ssh-dss' is not an ssh host key type");
        ASSERT_CONTAINS(parse_error("ssh_known_host ssh-ed25519\n"), "the key after 'ssh-ed25519' is missing");
        ASSERT_CONTAINS(parse_error("ssh_known_host ssh-ed25519 AAAA!AAAAAAAAAAAAAAAAAAAAAAAAAAA\n"), "not base64 (character '!')");
        ASSERT_CONTAINS(parse_error("ssh_known_host ssh-ed25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"), "not base64 (length 31)");
        /* An RSA key pasted as ed25519 is caught by the type inside the blob. */
        ASSERT_CONTAINS(parse_error("ssh_known_host ssh-ed25519 " RSA_BLOB "\n"), "the key is not a 'ssh-ed25519' key");
        int r = 0;
        xkd_config *c = parsed("ssh_known_host ssh-rsa " RSA_BLOB "\n", &r);
        ASSERT_EQ(r, 0);
        xkd_config_free(c);
}

TEST(bytes_that_are_not_text) {
        ASSERT_CONTAINS(parse_error("keep 3\r\n"), "t.conf:1: carriage return at the end of the line");
        ASSERT_CONTAINS(parse_error("append a\001b\n"), "append: control character 0x01");
        int r = 0;
        xkd_config *c = parsed("keep 3\n", &r);
        r = xkd_config_parse_text(c, "nul.conf", "# x\nkeep\0 3\n", 12);
        ASSERT_EQ(r, -EINVAL);
        ASSERT_CONTAINS(xkd_config_error(c), "nul.conf:2: NUL byte");
        xkd_config_free(c);

        char *long_line = malloc(5000);
        memcpy(long_line, "append ", 7);
        memset(long_line + 7, 'a', 4990);
        long_line[4997] = '\0';
        ASSERT_CONTAINS(parse_error(long_line), "t.conf:1: line is longer than 4096 bytes");
        long_line[1100] = '\0';
        ASSERT_CONTAINS(parse_error(long_line), "append: longer than 1024 bytes");
        free(long_line);
}

TEST(failed_parse_changes_nothing) {
        int r = 0;
        xkd_config *c = parsed("keep 3\nengine makedumpfile\ndump_level 99\n", &r);

        ASSERT_EQ(r, -EINVAL);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_KEEP), 0);           /* nothing deleted out of the box */
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_CAPTURE_TIMEOUT), "auto");  /* finite: the script computes it */
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_ENGINE), XKD_ENGINE_NATIVE);
        ASSERT_EQ(xkd_config_origin(c, XKD_CONF_KEEP)->kind, XKD_ORIGIN_DEFAULT);
        xkd_config_free(c);
}

TEST(last_line_without_newline_and_empty_file) {
        int r = 0;
        xkd_config *c = parsed("keep 7", &r);
        ASSERT_EQ(r, 0);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_KEEP), 7);
        xkd_config_free(c);
        c = parsed("", &r);
        ASSERT_EQ(r, 0);
        xkd_config_free(c);
}

TEST(command_line_overrides_file) {
        int r = 0;
        xkd_config *c = parsed("kernel /boot/a\nappend quiet\n", &r);
        char o[128];

        ASSERT_EQ(r, 0);
        ASSERT_EQ(xkd_config_set(c, XKD_CONF_KERNEL, "/boot/b", "--kernel"), 0);
        ASSERT_EQ(xkd_config_set(c, XKD_CONF_APPEND, "", "--append"), 0);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), "/boot/b");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_APPEND), "");
        xkd_config_origin_format(c, XKD_CONF_KERNEL, o, sizeof(o));
        ASSERT_STREQ(o, "command line (--kernel)");
        quiet(true);
        ASSERT_EQ(xkd_config_set(c, XKD_CONF_INITRD, "rel/initrd", "--initrd"), -EINVAL);
        quiet(false);
        ASSERT_CONTAINS(xkd_config_error(c), "--initrd: 'rel/initrd' is not an absolute path");
        /* The failed override left the previous value. */
        ASSERT_EQ(xkd_config_origin(c, XKD_CONF_INITRD)->kind, XKD_ORIGIN_DEFAULT);
        xkd_config_free(c);
}

TEST(rules_ssh) {
        ASSERT_CONTAINS(rule_error("target ssh u@h:/d\n"),
                        "t.conf:1: an ssh target needs ssh_known_host");
        /* Settings of another target kind are kept, not refused: switching targets is one line. */
        ASSERT_CONTAINS(rule_error("ssh_port 2200\n"), "accepted");
        ASSERT_CONTAINS(rule_error("target nfs n:/e\nssh_key /k\n"), "accepted");
        ASSERT_CONTAINS(rule_error("ssh_known_host " HOST_KEY "\n"), "accepted");
        /* The file `xen-kdump propagate` writes pins the key too; an empty one does not. */
        char pinned[] = "/tmp/xkd-pinned-XXXXXX", text[128];
        int fd = mkstemp(pinned);
        ASSERT_TRUE(fd >= 0);
        snprintf(text, sizeof(text), "target ssh u@h:/d\nssh_known_hosts %s\n", pinned);
        ASSERT_CONTAINS(rule_error(text), "run 'xen-kdump propagate' (it pins it in /tmp/xkd-pinned-");
        ASSERT_EQ(write(fd, "h " HOST_KEY "\n", strlen(HOST_KEY) + 3), (ssize_t) strlen(HOST_KEY) + 3);
        close(fd);
        ASSERT_CONTAINS(rule_error(text), "accepted");
        unlink(pinned);
}

TEST(split_words_groups_quotes) {
        char **w = NULL;
        size_t n = 0;
        const char *why = NULL;

        ASSERT_EQ(xkd_config_split_words("  --add  lvm\t--omit-drivers 'a b' \"c 'd'\"x ''", &w, &n, &why), 0);
        ASSERT_EQ(n, 6);
        ASSERT_STREQ(w[0], "--add");
        ASSERT_STREQ(w[1], "lvm");
        ASSERT_STREQ(w[2], "--omit-drivers");
        ASSERT_STREQ(w[3], "a b");
        ASSERT_STREQ(w[4], "c 'd'x");
        ASSERT_STREQ(w[5], "");
        ASSERT_TRUE(w[6] == NULL);
        free(w);
        ASSERT_EQ(xkd_config_split_words("", &w, &n, &why), 0);
        ASSERT_EQ(n, 0);
        free(w);
        ASSERT_EQ(xkd_config_split_words("--add 'lvm", &w, &n, &why), -EINVAL);
        ASSERT_STREQ(why, "a quote is not closed");
}

TEST(rules_dracut_args_and_extra_modules) {
        ASSERT_CONTAINS(rule_error("dracut_args --add 'lvm\n"), "t.conf:1: a quote is not closed");
        ASSERT_CONTAINS(rule_error("dracut_args --omit x --kver 6.1\n"),
                        "t.conf:1: '--kver' is set by xen-kdump itself");
        ASSERT_CONTAINS(rule_error("dracut_args --hostonly=no\n"), "'--hostonly' is set by xen-kdump itself");
        ASSERT_CONTAINS(rule_error("dracut_args -f\n"), "'-f' is set by xen-kdump itself");
        /* Look-alikes of refused options are dracut's business. */
        ASSERT_CONTAINS(rule_error("dracut_args --force-drivers x --hostonly-cmdline\n"), "accepted");
        ASSERT_CONTAINS(rule_error("dracut_args " "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a\n"),
                        "33 words, at most 32");
        ASSERT_CONTAINS(rule_error("extra_modules nvme ../evil\n"),
                        "t.conf:1: '../evil' is not a kernel module name");
        ASSERT_CONTAINS(rule_error("extra_modules 'a b'\n"), "'a b' is not a kernel module name");
        ASSERT_CONTAINS(rule_error("extra_modules nvme mpt3sas virtio-net\n"), "accepted");
}

TEST(rules_engine_compression) {
        ASSERT_CONTAINS(rule_error("engine native\ncompression lzo\n"),
                        "t.conf:2: engine native writes zstd or none, not lzo");
        ASSERT_CONTAINS(rule_error("engine makedumpfile\ncompression zstd\n"),
                        "t.conf:2: Debian's makedumpfile has no zstd");
        ASSERT_CONTAINS(rule_error("engine native\ncompression none\n"), "accepted");
        ASSERT_CONTAINS(rule_error("engine makedumpfile\ncompression zlib\n"), "accepted");
        /* Left alone, compression follows the engine. */
        int r = 0;
        xkd_config *c = parsed("engine makedumpfile\n", &r);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_COMPRESSION), XKD_COMPRESSION_LZO);
        ASSERT_EQ(xkd_config_origin(c, XKD_CONF_COMPRESSION)->kind, XKD_ORIGIN_DERIVED);
        xkd_config_free(c);
}

TEST(rules_failure_action) {
        ASSERT_CONTAINS(rule_error("failure_action save-local\n"), "t.conf:1: save-local needs a network target");
        ASSERT_CONTAINS(rule_error("target nfs n:/e\nfailure_action save-local\n"), "t.conf:2: save-local needs local_path");
        ASSERT_CONTAINS(rule_error("local_path /var/crash\n"), "accepted");
        int r = 0;
        xkd_config *c = parsed("target nfs n:/e\nlocal_path /var/crash\n", &r);
        char o[128];
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_FAILURE_ACTION), XKD_ACTION_SAVE_LOCAL);
        xkd_config_origin_format(c, XKD_CONF_FAILURE_ACTION, o, sizeof(o));
        ASSERT_STREQ(o, "default (network target with local_path)");
        xkd_config_free(c);
        c = parsed("target nfs n:/e\n", &r);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_EQ(xkd_config_get_choice(c, XKD_CONF_FAILURE_ACTION), XKD_ACTION_REBOOT);
        xkd_config_free(c);
}

TEST(key_names_round_trip) {
        for (int k = 0; k < _XKD_CONF_MAX; k++) {
                ASSERT_EQ(xkd_config_key_from_name(xkd_config_key_name((enum xkd_config_key) k)), k);
                ASSERT_TRUE(strlen(xkd_config_key_help((enum xkd_config_key) k)) > 10);
        }
        ASSERT_EQ(xkd_config_key_from_name("nope"), -ENOENT);
}

static char *write_temp(const char *text, mode_t mode) {
        static char path[64];
        snprintf(path, sizeof(path), "/tmp/test-config.XXXXXX");
        int fd = mkstemp(path);
        if (fd < 0)
                return NULL;
        if (write(fd, text, strlen(text)) != (ssize_t) strlen(text)) {
                close(fd);
                return NULL;
        }
        fchmod(fd, mode);
        close(fd);
        return path;
}

TEST(load_file_from_env_and_override) {
        char *path = write_temp("keep 9\n", 0600);
        xkd_config *c = NULL;
        const char *how;
        bool present = false;

        ASSERT_TRUE(path != NULL);
        setenv(XKD_CONFIG_ENV, path, 1);
        ASSERT_STREQ(xkd_config_path(&how), path);
        ASSERT_STREQ(how, "$XEN_KDUMP_CONF");
        ASSERT_EQ(xkd_config_open(&c, "r1", NULL, 0), 0);
        ASSERT_EQ(xkd_config_get_number(c, XKD_CONF_KEEP), 9);
        ASSERT_STREQ(xkd_config_file(c, &present), path);
        ASSERT_TRUE(present);
        ASSERT_STREQ(xkd_config_origin(c, XKD_CONF_KEEP)->file, path);
        xkd_config_free(c);

        /* --config wins over the environment. */
        xkd_config_set_path("/nonexistent/xen-kdump.conf");
        ASSERT_STREQ(xkd_config_path(&how), "/nonexistent/xen-kdump.conf");
        ASSERT_STREQ(how, "--config");
        quiet(true);
        ASSERT_EQ(xkd_config_load(&c, "r1"), -ENOENT);   /* a named file must exist */
        quiet(false);
        xkd_config_set_path(NULL);
        unsetenv(XKD_CONFIG_ENV);
        unlink(path);
}

TEST(bad_file_is_refused_whole) {
        char *path = write_temp("keep 2\nbogus 1\n", 0600);
        xkd_config *c = NULL;

        setenv(XKD_CONFIG_ENV, path, 1);
        quiet(true);
        ASSERT_EQ(xkd_config_load(&c, "r1"), -EINVAL);
        quiet(false);
        ASSERT_TRUE(c == NULL);
        unsetenv(XKD_CONFIG_ENV);
        unlink(path);
}

static char *print_to_string(xkd_config *c, void (*print)(const xkd_config *, FILE *)) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        print(c, f);
        fclose(f);
        return buf;
}

TEST(print_shell_quotes_and_splits) {
        int r = 0;
        xkd_config *c = parsed("append a='b c' it's\ntarget ssh u@h:/d\nssh_known_host " HOST_KEY "\n", &r);
        ASSERT_EQ(xkd_config_validate(c), 0);
        char *s = print_to_string(c, xkd_config_print_shell);
        ASSERT_CONTAINS(s, "\nXKD_APPEND='a='\\''b c'\\'' it'\\''s'\n");
        ASSERT_CONTAINS(s, "\nXKD_TARGET_KIND='ssh'\nXKD_TARGET_USER='u'\nXKD_TARGET_HOST='h'\nXKD_TARGET_DIR='/d'\n");
        ASSERT_CONTAINS(s, "\nXKD_DUMP_LEVEL='63'\n");
        ASSERT_CONTAINS(s, "\nXKD_FAILURE_ACTION='reboot'\n");
        free(s);
        xkd_config_free(c);
}

TEST(print_json_and_text_origins) {
        int r = 0;
        xkd_config *c = parsed("append \"quoted\" back\\slash\n", &r);
        ASSERT_EQ(xkd_config_validate(c), 0);
        char *s = print_to_string(c, xkd_config_print_json);
        ASSERT_CONTAINS(s, "\"append\":{\"value\":\"\\\"quoted\\\" back\\\\slash\",");
        ASSERT_CONTAINS(s, "\"origin\":\"t.conf:1\",\"file\":\"t.conf\",\"line\":1}");
        ASSERT_CONTAINS(s, "\"target\":{\"kind\":\"path\",\"user\":\"\",\"host\":\"\",\"dir\":\"/var/crash\"}");
        free(s);
        s = print_to_string(c, xkd_config_print_text);
        ASSERT_CONTAINS(s, "t.conf:1\n");
        ASSERT_CONTAINS(s, "default (engine native)\n");
        free(s);
        xkd_config_free(c);
}

/* show --json of a config written in another encoding (or none): valid UTF-8 JSON. */
TEST(print_json_of_odd_bytes_is_utf8) {
        int r = 0;
        xkd_config *c = parsed("append x=caf\xc3\xa9 y=\xe9t\xe9\n", &r);
        ASSERT_EQ(r, 0);
        ASSERT_EQ(xkd_config_validate(c), 0);
        char *s = print_to_string(c, xkd_config_print_json);
        ASSERT_CONTAINS(s, "\"value\":\"x=caf\xc3\xa9 y=\\ufffdt\\ufffd\"");
        struct json *j = json_parse(s);
        ASSERT_TRUE(j != NULL);
        json_free(j);
        free(s);
        xkd_config_free(c);
}

/*
 * The shipped xen-kdump/xen-kdump.conf documents every key with its default:
 * uncommenting each "#key value" line must parse and change nothing.
 */
TEST(shipped_config_lists_every_key_with_its_default) {
        FILE *f = fopen("xen-kdump/xen-kdump.conf", "r");
        char line[1024], *text = NULL;
        size_t text_size = 0;
        bool seen[_XKD_CONF_MAX] = { false };
        xkd_config *def = NULL, *c = NULL;

        ASSERT_TRUE(f != NULL);
        FILE *out = open_memstream(&text, &text_size);
        while (fgets(line, sizeof(line), f)) {
                char key[64];
                if (line[0] != '#' || sscanf(line + 1, "%63[a-z_]", key) != 1)
                        continue;
                int k = xkd_config_key_from_name(key);
                size_t klen = strlen(key);
                if (k < 0 || (line[1 + klen] != ' ' && line[1 + klen] != '\n'))
                        continue;       /* prose, not a key line */
                ASSERT_FALSE(seen[k]);
                seen[k] = true;
                if (line[1 + klen] == ' ')
                        fputs(line + 1, out);   /* keys shown without a value default to empty */
        }
        fclose(f);
        fclose(out);
        for (int k = 0; k < _XKD_CONF_MAX; k++)
                if (!seen[k])
                        TEST_FAIL_("key %s is not documented in xen-kdump.conf",
                                   xkd_config_key_name((enum xkd_config_key) k));

        ASSERT_EQ(xkd_config_new(&def, "6.1.0-x"), 0);
        ASSERT_EQ(xkd_config_new(&c, "6.1.0-x"), 0);
        ASSERT_EQ(xkd_config_parse_text(c, "shipped", text, text_size), 0);
        ASSERT_EQ(xkd_config_validate(c), 0);
        ASSERT_EQ(xkd_config_validate(def), 0);
        for (int k = 0; k < _XKD_CONF_MAX; k++)
                ASSERT_STREQ(xkd_config_get(c, (enum xkd_config_key) k),
                             xkd_config_get(def, (enum xkd_config_key) k));
        free(text);
        xkd_config_free(c);
        xkd_config_free(def);
}

TEST_MAIN()
