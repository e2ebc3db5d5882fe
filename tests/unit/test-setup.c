/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen-kdump setup against a scratch root (--root) and a fake update-grub
 * ($XKD_UPDATE_GRUB): crashkernel= lands on Xen's line only, the change is
 * shown, --dry-run writes nothing, a second run changes nothing, and where
 * there is no GRUB, or a later file would undo it, setup refuses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-run.h"
#include "loader-fixtures.h"
#include "test.h"

static char cli[4096], out[65536], root[64], cfg[512], grubd[256], log_path[256];

CLI_DEFINE_RUN(run, cli, 0, out)

/* A root with /etc/default/grub holding both lines, and an update-grub that logs its runs. */
static void make_root(const char *grub_text, int updater_exit) {
        char p[512], script[512];

        cli_path(cli, sizeof(cli));
        setenv("XEN_KDUMP_CONF", "/nonexistent/xen-kdump.conf", 1);
        snprintf(root, sizeof(root), "/tmp/xkd-setup-XXXXXX");
        if (!mkdtemp(root))
                abort();
        snprintf(p, sizeof(p), "%s/etc", root);
        mkdir(p, 0755);
        snprintf(p, sizeof(p), "%s/etc/default", root);
        mkdir(p, 0755);
        snprintf(p, sizeof(p), "%s/etc/default/grub", root);
        write_text(p, grub_text);
        snprintf(grubd, sizeof(grubd), "%s/etc/default/grub.d", root);
        snprintf(cfg, sizeof(cfg), "%s/xen-kdump.cfg", grubd);
        snprintf(log_path, sizeof(log_path), "%s/update-grub.log", root);
        snprintf(p, sizeof(p), "%s/update-grub", root);
        snprintf(script, sizeof(script), "#!/bin/sh\necho ran >> %s\nexit %d\n", log_path, updater_exit);
        write_text(p, script);
        chmod(p, 0755);
        setenv("XKD_UPDATE_GRUB", p, 1);
}

static unsigned updater_runs(void) {
        FILE *f = fopen(log_path, "re");
        unsigned n = 0;
        int c;

        if (!f)
                return 0;
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        fclose(f);
        return n;
}

/* GRUB_CMDLINE_<which> after sourcing grub and grub.d as grub-mkconfig does. */
static void effective(const char *which, char *buf, size_t size) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "sh -c '. %s/etc/default/grub; for f in %s/*.cfg; do [ -e \"$f\" ] && . \"$f\"; done; "
                 "printf %%s \"$GRUB_CMDLINE_%s\"'", root, grubd, which);
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(buf, 1, size - 1, p) : 0;
        buf[n] = '\0';
        if (p)
                pclose(p);
}

static const char grub_both[] =
        "GRUB_DEFAULT=0\n"
        "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
        "GRUB_CMDLINE_LINUX=\"console=hvc0\"\n"
        "GRUB_CMDLINE_XEN_DEFAULT=\"dom0_mem=2G,max:2G crashkernel=64M loglvl=all\"\n";

TEST(dry_run_writes_nothing) {
        struct stat st;

        make_root(grub_both, 0);
        ASSERT_EQ(run("setup", "--root", root, "--size", "256M", "--dry-run", NULL), 0);
        ASSERT_CONTAINS(out, "crashkernel=256M");
        ASSERT_CONTAINS(out, "GRUB_CMDLINE_XEN_DEFAULT now:   \"dom0_mem=2G,max:2G crashkernel=64M loglvl=all\"");
        /* What it would become, sourced as grub-mkconfig would, from a scratch copy. */
        ASSERT_CONTAINS(out, "GRUB_CMDLINE_XEN_DEFAULT after: \"dom0_mem=2G,max:2G loglvl=all crashkernel=256M\"");
        ASSERT_CONTAINS(out, "Dry run: nothing written");
        ASSERT_TRUE(stat(cfg, &st) < 0);
        ASSERT_TRUE(stat(grubd, &st) < 0);
        ASSERT_EQ(updater_runs(), 0);
}

TEST(writes_xen_line_only_and_runs_update_grub) {
        char v[1024];
        struct stat st;

        make_root(grub_both, 0);
        ASSERT_EQ(run("setup", "--root", root, "--size", "256M", NULL), 0);
        ASSERT_CONTAINS(out, "GRUB_CMDLINE_XEN_DEFAULT after: \"dom0_mem=2G,max:2G loglvl=all crashkernel=256M\"");
        ASSERT_EQ(stat(cfg, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0644);
        ASSERT_EQ(updater_runs(), 1);
        effective("XEN_DEFAULT", v, sizeof(v));
        ASSERT_STREQ(v, "dom0_mem=2G,max:2G loglvl=all crashkernel=256M");
        /* dom0's lines: untouched. */
        effective("LINUX", v, sizeof(v));
        ASSERT_STREQ(v, "console=hvc0");
        effective("LINUX_DEFAULT", v, sizeof(v));
        ASSERT_STREQ(v, "quiet");
        /* /etc/default/grub itself is the admin's: never rewritten. */
        char p[512], *text;
        snprintf(p, sizeof(p), "%s/etc/default/grub", root);
        FILE *f = fopen(p, "re");
        ASSERT_TRUE(f != NULL);
        text = calloc(1, 4096);
        ASSERT_TRUE(fread(text, 1, 4095, f) > 0);
        fclose(f);
        ASSERT_STREQ(text, grub_both);
        free(text);
}

TEST(second_run_changes_nothing_new_size_rewrites) {
        struct stat st1, st2;
        char v[1024];

        make_root("GRUB_CMDLINE_LINUX=\"\"\n", 0);
        ASSERT_EQ(run("setup", "--root", root, "--size", "192M", NULL), 0);
        ASSERT_EQ(stat(cfg, &st1), 0);
        effective("XEN_DEFAULT", v, sizeof(v));
        ASSERT_STREQ(v, "crashkernel=192M");
        ASSERT_EQ(run("setup", "--root", root, "--size", "192M", NULL), 0);
        ASSERT_CONTAINS(out, "nothing to do");
        ASSERT_EQ(updater_runs(), 1);
        ASSERT_EQ(stat(cfg, &st2), 0);
        ASSERT_EQ(st1.st_ino, st2.st_ino);      /* not even replaced */
        ASSERT_EQ(run("setup", "--root", root, "--size", "1G", NULL), 0);
        ASSERT_EQ(updater_runs(), 2);
        effective("XEN_DEFAULT", v, sizeof(v));
        ASSERT_STREQ(v, "crashkernel=1G");
}

TEST(refuses_without_grub) {
        make_root(grub_both, 0);
        char p[512];
        snprintf(p, sizeof(p), "%s/etc/default/grub", root);
        unlink(p);
        ASSERT_EQ(run("setup", "--root", root, "--size", "256M", NULL), 1);
        ASSERT_CONTAINS(out, "No GRUB here");
        ASSERT_CONTAINS(out, "crashkernel=SIZE on Xen's command line");
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_EQ(updater_runs(), 0);
}

TEST(refuses_when_a_later_file_replaces_the_line) {
        char p[512];

        make_root(grub_both, 0);
        mkdir(grubd, 0755);
        snprintf(p, sizeof(p), "%s/zz-local.cfg", grubd);
        write_text(p, "GRUB_CMDLINE_XEN_DEFAULT=\"dom0_mem=4G\"\n");
        /* The dry run sees it coming, and writes nothing. */
        ASSERT_EQ(run("setup", "--root", root, "--size", "256M", "--dry-run", NULL), 1);
        ASSERT_CONTAINS(out, "GRUB_CMDLINE_XEN_DEFAULT after: \"dom0_mem=4G\"");
        ASSERT_CONTAINS(out, "sets GRUB_CMDLINE_XEN_DEFAULT again");
        ASSERT_TRUE(access(cfg, F_OK) < 0);
        ASSERT_EQ(run("setup", "--root", root, "--size", "256M", NULL), 1);
        ASSERT_CONTAINS(out, "sets GRUB_CMDLINE_XEN_DEFAULT again");
        ASSERT_CONTAINS(out, "crashkernel=(none)");
        ASSERT_EQ(updater_runs(), 0);
}

TEST(update_grub_failure_and_bad_size) {
        make_root(grub_both, 3);
        ASSERT_EQ(run("setup", "--root", root, "--size", "256M", NULL), 1);
        ASSERT_CONTAINS(out, "failed");
        ASSERT_EQ(updater_runs(), 1);
        ASSERT_EQ(run("setup", "--root", root, "--size", "lots", NULL), 2);
        ASSERT_CONTAINS(out, "--size 'lots' is not a crash region size");
        ASSERT_EQ(run("setup", "--root", root, "extra", NULL), 2);
        setenv("XKD_UPDATE_GRUB", "/nonexistent/update-grub", 1);
        ASSERT_EQ(run("setup", "--root", root, "--size", "512M", NULL), 1);
        ASSERT_CONTAINS(out, "grub-mkconfig -o /boot/grub/grub.cfg");
}
static char kernel[512], initrd[512];

/* The simulated Xen, a fake kernel and a real cpio initramfs, named by the config. */
static void estimate_host(void) {
        char p[512], text[4096];

        make_root(grub_both, 0);
        snprintf(p, sizeof(p), "%s/sim.conf", root);
        snprintf(text, sizeof(text), "%sstate %s/sim-state\n", fake_host_config, root);
        write_text(p, text);
        snprintf(text, sizeof(text), "sim:%s", p);
        setenv("XKD_HV", text, 1);
        setenv("XKD_SYSROOT", fake_sysroot(), 1);
        snprintf(kernel, sizeof(kernel), "%s/vmlinuz", root);
        ASSERT_EQ(write_fake_kernel(kernel), 0);
        snprintf(initrd, sizeof(initrd), "%s/initrd.img", root);
        snprintf(text, sizeof(text), "cd %s && head -c 3000000 /dev/urandom > blob && "
                 "echo blob | cpio -o -H newc --quiet > %s", root, initrd);
        ASSERT_EQ(system(text), 0);
        snprintf(p, sizeof(p), "%s/xen-kdump.conf", root);
        snprintf(text, sizeof(text), "kernel %s\ninitrd %s\n", kernel, initrd);
        write_text(p, text);
        setenv("XEN_KDUMP_CONF", p, 1);
}

/* Without --size: the size 'xen-kdump estimate' recommends for this host (the simulated Xen,
 * a fake kernel and a real cpio initramfs), the same number it prints. */
TEST(default_size_is_estimates) {
        char want[64] = "";

        estimate_host();
        ASSERT_EQ(run("estimate", NULL), 0);
        const char *n = strstr(out, "\n  needed ");
        ASSERT_TRUE(n != NULL);
        n = strstr(n, "crashkernel=");
        ASSERT_TRUE(n != NULL);
        snprintf(want, sizeof(want), "crashkernel=%.*s", (int) strcspn(n + 12, " \n"), n + 12);
        ASSERT_EQ(run("setup", "--root", root, "--dry-run", NULL), 0);
        ASSERT_CONTAINS(out, want);
        ASSERT_EQ(run("setup", "--root", root, NULL), 0);
        char v[1024], expect[1200];
        effective("XEN_DEFAULT", v, sizeof(v));
        snprintf(expect, sizeof(expect), "dom0_mem=2G,max:2G loglvl=all %s", want);
        ASSERT_STREQ(v, expect);
        unsetenv("XKD_HV");
        unsetenv("XKD_SYSROOT");
}

/* estimate reads the capture kernel once: load's checks and the measurement share the read. */
TEST(estimate_opens_the_kernel_once) {
        char buf[4096];
        unsigned opens = 0;
        ssize_t n;

        estimate_host();
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        /* with the closes watched too, two opens are never merged into one event */
        ASSERT_TRUE(inotify_add_watch(fd, kernel, IN_OPEN | IN_CLOSE) >= 0);
        ASSERT_EQ(run("estimate", NULL), 0);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n; p += sizeof(struct inotify_event) + ((struct inotify_event *) p)->len)
                        opens += (((struct inotify_event *) p)->mask & IN_OPEN) != 0;
        close(fd);
        ASSERT_EQ(opens, 1);
        unsetenv("XKD_HV");
        unsetenv("XKD_SYSROOT");
}

TEST_MAIN()
