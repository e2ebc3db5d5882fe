/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump propagate without a network: the fingerprint as ssh-keygen shows
 * it, the known_hosts name and update rules, the ssh command lines, the
 * remote authorized_keys command (run here through sh), and the verb itself
 * with ssh and ssh-keyscan replaced by recording fakes on PATH: files and
 * modes, the order of the steps, what is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-run.h"
#include "propagate.h"
#include "test.h"

/* A key and the fingerprint `ssh-keygen -lf` printed for it (OpenSSH 9.2). */
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINlBat2YBFb8PzMgOcQ/PMDH/6ogolJIDPuSmm6eSdQa"
#define ED_FP  "SHA256:Iz4e11jKyQCCe5KRxFdO9/0d+yUtpAm46v2jkWQ5k1c"
#define ED_KEY2 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq"
#define RSA_KEY "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDhS8R+tSEcXaXns66tD+1S"

static char cli[4096], out[16384], dir[64], path[256], cmd[1024];
CLI_DEFINE_RUN(run, cli, 0, out)

static const char *at(const char *name) {
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
}

static unsigned mode_of(const char *p) {
        struct stat st;
        return stat(p, &st) == 0 ? (unsigned) (st.st_mode & 0777) : 0;
}

static void write_text(const char *p, const char *text, mode_t mode) {
        FILE *f = fopen(p, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(p, mode) < 0)
                abort();
}

static void sh(const char *fmt, const char *arg) {
        snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
        if (system(cmd) != 0)
                abort();
}

TEST(fingerprint_is_ssh_keygens) {
        char fp[64];

        ASSERT_EQ(xkd_ssh_fingerprint(ED_KEY, fp, sizeof(fp)), 0);
        ASSERT_STREQ(fp, ED_FP);
        ASSERT_EQ(xkd_ssh_fingerprint(ED_KEY " comment", fp, sizeof(fp)), 0);
        ASSERT_STREQ(fp, ED_FP);
        ASSERT_EQ(xkd_ssh_fingerprint("ssh-ed25519 AAA!", fp, sizeof(fp)), -EINVAL);
        ASSERT_EQ(xkd_ssh_fingerprint("ssh-ed25519", fp, sizeof(fp)), -EINVAL);
        ASSERT_EQ(xkd_ssh_fingerprint(ED_KEY, fp, 20), -ENOBUFS);
}

TEST(known_hosts_names) {
        char n[64];

        ASSERT_EQ(xkd_known_hosts_name("backup", 22, n, sizeof(n)), 0);
        ASSERT_STREQ(n, "backup");
        ASSERT_EQ(xkd_known_hosts_name("backup", 2222, n, sizeof(n)), 0);
        ASSERT_STREQ(n, "[backup]:2222");
        ASSERT_EQ(xkd_known_hosts_name("[fd00::1]", 22, n, sizeof(n)), 0);
        ASSERT_STREQ(n, "fd00::1");
        ASSERT_EQ(xkd_known_hosts_name("[fd00::1]", 2222, n, sizeof(n)), 0);
        ASSERT_STREQ(n, "[fd00::1]:2222");
        ASSERT_EQ(xkd_known_hosts_name("", 22, n, sizeof(n)), -EINVAL);
        ASSERT_EQ(xkd_known_hosts_name("backup", 2222, n, 8), -ENOBUFS);
}

TEST(keyscan_prefers_ed25519) {
        char k[256];

        ASSERT_EQ(xkd_keyscan_pick("# backup:22 SSH-2.0-OpenSSH_9.2\nbackup " RSA_KEY "\nbackup " ED_KEY "\n",
                                   k, sizeof(k)), 0);
        ASSERT_STREQ(k, ED_KEY);
        ASSERT_EQ(xkd_keyscan_pick("backup " RSA_KEY "\n", k, sizeof(k)), 0);
        ASSERT_STREQ(k, RSA_KEY);
        ASSERT_EQ(xkd_keyscan_pick("# backup:22 SSH-2.0-OpenSSH_9.2\n", k, sizeof(k)), -ENOENT);
        ASSERT_EQ(xkd_keyscan_pick("", k, sizeof(k)), -ENOENT);
}

TEST(known_hosts_update_never_replaces_silently) {
        char *t = NULL;

        ASSERT_EQ(xkd_known_hosts_update("", "[b]:2222", ED_KEY, false, &t), 0);
        ASSERT_STREQ(t, "[b]:2222 " ED_KEY "\n");
        free(t);
        /* Other hosts kept; the same key pinned again changes nothing. */
        const char *old = "other " RSA_KEY "\n[b]:2222 " ED_KEY "\n# note\n";
        ASSERT_EQ(xkd_known_hosts_update(old, "[b]:2222", ED_KEY, false, &t), 0);
        ASSERT_STREQ(t, old);
        free(t);
        /* Another key for the name: refused, unless replace says so. */
        ASSERT_EQ(xkd_known_hosts_update(old, "[b]:2222", ED_KEY2, false, &t), -EEXIST);
        ASSERT_EQ(xkd_known_hosts_update(old, "[b]:2222", ED_KEY2, true, &t), 0);
        ASSERT_STREQ(t, "other " RSA_KEY "\n# note\n[b]:2222 " ED_KEY2 "\n");
        free(t);
        /* "b" on port 22 is another name than "[b]:2222". */
        ASSERT_EQ(xkd_known_hosts_update(old, "b", ED_KEY2, false, &t), 0);
        ASSERT_CONTAINS(t, "[b]:2222 " ED_KEY "\n# note\nb " ED_KEY2 "\n");
        free(t);
}

static char *joined(const char **argv) {
        static char s[4096];
        s[0] = '\0';
        for (size_t i = 0; argv[i]; i++) {
                strcat(s, i ? " " : "");
                strcat(s, argv[i]);
        }
        return s;
}

TEST(ssh_command_lines) {
        char buf[2048];
        const char *argv[40];
        size_t n;
        struct xkd_ssh_dest d = { .user = "dump", .host = "backup", .port = 2222, .known_hosts = "/etc/xen-kdump/known_hosts",
                                  .identity = "/root/.ssh/id", .timeout = 30, .batch = true };

        ASSERT_EQ(xkd_ssh_argv(&d, "true", buf, sizeof(buf), argv, 40, &n), 0);
        ASSERT_STREQ(joined(argv), "ssh -F /dev/null -p 2222 -i /root/.ssh/id -o IdentitiesOnly=yes -o BatchMode=yes "
                     "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/xen-kdump/known_hosts "
                     "-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=30 dump@backup -- true");
        ASSERT_EQ(n, 22);
        /* The password login: no identity, prompts allowed, the host key still checked. */
        d.identity = NULL;
        d.batch = false;
        d.host = "[fd00::1]";
        ASSERT_EQ(xkd_ssh_argv(&d, "true", buf, sizeof(buf), argv, 40, &n), 0);
        ASSERT_CONTAINS(joined(argv), "-p 2222 -o BatchMode=no -o StrictHostKeyChecking=yes");
        ASSERT_CONTAINS(joined(argv), " dump@fd00::1 -- true");
        ASSERT_EQ(xkd_ssh_argv(&d, "true", buf, sizeof(buf), argv, 10, &n), -E2BIG);
        ASSERT_EQ(xkd_ssh_argv(&d, "true", buf, 8, argv, 40, &n), -ENOBUFS);
}

/* The remote command, run by sh in a scratch HOME: one line, private, however often. */
TEST(authorized_keys_command_appends_once) {
        char *c = NULL;

        ASSERT_EQ(xkd_authorized_keys_command("ssh-ed25519 AAAA it's", &c), -EINVAL);
        ASSERT_EQ(xkd_authorized_keys_command("ssh-ed25519 AAAA\nevil", &c), -EINVAL);
        ASSERT_EQ(xkd_authorized_keys_command("", &c), -EINVAL);
        ASSERT_EQ(xkd_authorized_keys_command(ED_KEY " xen-kdump@h\n", &c), 0);
        strcpy(dir, "/tmp/xkd-propagate-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        write_text(at("cmd"), c, 0600);
        free(c);
        sh("cd %s && umask 022 && sh cmd && sh cmd", dir);
        ASSERT_STREQ(test_slurp(at(".ssh/authorized_keys")), ED_KEY " xen-kdump@h\n");
        ASSERT_EQ(mode_of(at(".ssh")), 0700);
        ASSERT_EQ(mode_of(at(".ssh/authorized_keys")), 0600);
        sh("rm -rf %s", dir);
}

/* The verb with fakes: ssh-keyscan offers FAKE_HOST_KEY; ssh logs its arguments,
 * fails in BatchMode until the password login "installed" the key. */
static void fake_world(void) {
        char p[4096];

        strcpy(dir, "/tmp/xkd-propagate-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        mkdir(at("bin"), 0755);
        write_text(at("bin/ssh-keyscan"),
                   "#!/bin/sh\necho \"ssh-keyscan $*\" >> \"$FAKE_LOG\"\n"
                   "echo '# backup:2222 SSH-2.0-OpenSSH_9.2'\necho \"backup $FAKE_HOST_KEY\"\n", 0755);
        write_text(at("bin/ssh"),
                   "#!/bin/sh\necho \"ssh $*\" >> \"$FAKE_LOG\"\n"
                   "case \" $* \" in *' BatchMode=yes '*) [ -e \"$FAKE_AUTH\" ] || exit 255 ;; esac\n"
                   "case \" $* \" in *' BatchMode=no '*) touch \"$FAKE_AUTH\" ;; esac\nexit 0\n", 0755);
        snprintf(p, sizeof(p), "%s/bin:%s", dir, getenv("PATH"));
        setenv("PATH", p, 1);
        setenv("FAKE_LOG", at("log"), 1);
        setenv("FAKE_AUTH", at("authorized"), 1);
        setenv("FAKE_HOST_KEY", ED_KEY, 1);
        snprintf(p, sizeof(p), "target ssh dump@backup:/srv/dumps\nssh_port 2222\ntimeout 5\n"
                 "ssh_key %s/root/.ssh/xen-kdump_id_ed25519\nssh_known_hosts %s/etc/xen-kdump/known_hosts\n", dir, dir);
        write_text(at("conf"), p, 0644);
        /* Never a terminal: a confirmation cannot be typed here. */
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        close(null);
}

TEST(propagate_makes_key_pins_host_installs) {
        char conf[256];

        cli_path(cli, sizeof(cli));
        fake_world();
        snprintf(conf, sizeof(conf), "%s", at("conf"));
        ASSERT_EQ(run("propagate", "--config", conf, "--yes", NULL), 0);
        ASSERT_CONTAINS(out, "[backup]:2222 offers ssh-ed25519 " ED_FP);
        ASSERT_EQ(mode_of(at("root/.ssh")), 0700);
        ASSERT_EQ(mode_of(at("root/.ssh/xen-kdump_id_ed25519")), 0600);
        ASSERT_CONTAINS(test_slurp(at("root/.ssh/xen-kdump_id_ed25519.pub")), "ssh-ed25519 ");
        ASSERT_STREQ(test_slurp(at("etc/xen-kdump/known_hosts")), "[backup]:2222 " ED_KEY "\n");
        ASSERT_EQ(mode_of(at("etc/xen-kdump/known_hosts")), 0644);
        ASSERT_EQ(access(at("etc/xen-kdump/known_hosts.new"), F_OK), -1);
        /* The order: scan, try the key, the password login against the pinned key, check again. */
        const char *log = test_slurp(at("log"));
        ASSERT_CONTAINS(log, "ssh-keyscan -T 5 -p 2222 -t ed25519,ecdsa,rsa backup\n");
        const char *batch1 = strstr(log, "BatchMode=yes"), *pw = strstr(log, "BatchMode=no");
        ASSERT_TRUE(batch1 && pw && batch1 < pw && strstr(pw, "BatchMode=yes"));
        ASSERT_CONTAINS(pw, "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=");
        ASSERT_CONTAINS(pw, "dump@backup -- umask 077 && mkdir -p .ssh");
        ASSERT_CONTAINS(log, "mkdir -p -- '/srv/dumps' && test -w '/srv/dumps'");
        ASSERT_CONTAINS(out, "The key logs in, and /srv/dumps is writable.");

        /* Again: nothing to do, and no password asked. */
        unlink(at("log"));
        ASSERT_EQ(run("propagate", "--config", conf, NULL), 0);
        ASSERT_CONTAINS(out, "Identity: ");
        ASSERT_CONTAINS(out, "(exists)");
        ASSERT_CONTAINS(out, "Pinned already in");
        ASSERT_CONTAINS(out, "The key logs in already");
        ASSERT_TRUE(strstr(test_slurp(at("log")), "BatchMode=no") == NULL);

        /* The server now offers another key: refused, the pin stays; replaced only when asked. */
        setenv("FAKE_HOST_KEY", ED_KEY2, 1);
        ASSERT_EQ(run("propagate", "--config", conf, "--yes", NULL), 1);
        ASSERT_CONTAINS(out, "pins another host key for [backup]:2222 than the one it offers now");
        ASSERT_STREQ(test_slurp(at("etc/xen-kdump/known_hosts")), "[backup]:2222 " ED_KEY "\n");
        ASSERT_EQ(run("propagate", "--config", conf, "--yes", "--replace-host-key", NULL), 0);
        ASSERT_STREQ(test_slurp(at("etc/xen-kdump/known_hosts")), "[backup]:2222 " ED_KEY2 "\n");
        sh("rm -rf %s", dir);
}

TEST(propagate_refuses) {
        char conf[256];

        cli_path(cli, sizeof(cli));
        fake_world();
        snprintf(conf, sizeof(conf), "%s", at("conf"));

        /* No confirmation possible and no --yes: nothing pinned, nothing installed. */
        ASSERT_EQ(run("propagate", "--config", conf, NULL), 1);
        ASSERT_CONTAINS(out, "pass --yes from a script");
        ASSERT_EQ(access(at("etc/xen-kdump/known_hosts"), F_OK), -1);
        ASSERT_TRUE(strstr(test_slurp(at("log")), "BatchMode=no") == NULL);

        /* --dry-run: the commands, and nothing made. */
        sh("rm -rf %s/root %s/log", dir);
        ASSERT_EQ(run("propagate", "--config", conf, "--dry-run", NULL), 0);
        ASSERT_CONTAINS(out, "ssh-keygen -q -t ed25519 -N '' -C xen-kdump@");
        ASSERT_CONTAINS(out, "ssh-keyscan -T 5 -p 2222");
        ASSERT_CONTAINS(out, "Dry run: nothing changed.");
        ASSERT_EQ(access(at("root"), F_OK), -1);
        ASSERT_EQ(access(at("log"), F_OK), -1);

        /* An identity others can read. */
        sh("mkdir -p %s/root/.ssh && touch %s/root/.ssh/xen-kdump_id_ed25519 && chmod 644 %s/root/.ssh/xen-kdump_id_ed25519", dir);
        ASSERT_EQ(run("propagate", "--config", conf, "--yes", NULL), 1);
        ASSERT_CONTAINS(out, "is readable by others (mode 644): chmod 600");

        /* A config without an ssh target. */
        write_text(at("conf"), "target path /var/crash\n", 0644);
        ASSERT_EQ(run("propagate", "--config", conf, "--yes", NULL), 1);
        ASSERT_CONTAINS(out, "has no ssh target (target path /var/crash): propagate readies an ssh target");
        ASSERT_EQ(run("propagate", "--config", conf, "stray", NULL), 2);
        sh("rm -rf %s", dir);
}

TEST_MAIN()
