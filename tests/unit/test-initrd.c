/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture initramfs: kernel release from a bzImage, staleness, and the dracut run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "initrd.h"
#include "test.h"

static char dir[64];

static void make_dir(void) {
        snprintf(dir, sizeof(dir), "/tmp/test-initrd.XXXXXX");
        if (!mkdtemp(dir))
                abort();
}

static void remove_dir(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

static void write_file(const char *path, const void *data, size_t size, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                abort();
        close(fd);
}

static void set_mtime(const char *path, time_t t) {
        struct timeval tv[2] = { { t, 0 }, { t, 0 } };
        utimes(path, tv);
}

/* A setup header just real enough: "HdrS" at 0x202, kernel_version at 0x20e. */
static void write_bzimage(const char *path, const char *version_text) {
        unsigned char img[0x1000] = { 0 };
        memcpy(img + 0x202, "HdrS", 4);
        img[0x20e] = 0x00;
        img[0x20f] = 0x08;      /* string at 0x800 + 0x200 */
        memcpy(img + 0xa00, version_text, strlen(version_text));
        write_file(path, img, sizeof(img), 0644);
}

TEST(kernel_release_from_setup_header) {
        char path[128], rel[64];

        make_dir();
        snprintf(path, sizeof(path), "%s/vmlinuz", dir);
        write_bzimage(path, "6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP");
        ASSERT_EQ(xkd_kernel_image_release(path, rel, sizeof(rel)), 0);
        ASSERT_STREQ(rel, "6.1.0-56-amd64");
        ASSERT_EQ(xkd_kernel_image_release(path, rel, 8), -ENODATA);   /* too small a buffer */

        write_file(path, "not a kernel", 12, 0644);
        ASSERT_EQ(xkd_kernel_image_release(path, rel, sizeof(rel)), -ENOEXEC);
        snprintf(path, sizeof(path), "%s/missing", dir);
        ASSERT_EQ(xkd_kernel_image_release(path, rel, sizeof(rel)), -ENOENT);
        remove_dir();
}

static xkd_config *config_in_dir(const char *extra) {
        char path[128], text[512];
        xkd_config *c = NULL;

        snprintf(path, sizeof(path), "%s/xen-kdump.conf", dir);
        snprintf(text, sizeof(text), "kernel %s/vmlinuz\ninitrd %s/out/initrd.img\n%s", dir, dir, extra);
        write_file(path, text, strlen(text), 0600);
        set_mtime(path, 1000000);
        setenv(XKD_CONFIG_ENV, path, 1);
        if (xkd_config_open(&c, "6.1.0-x", NULL, 0) < 0)
                c = NULL;
        unsetenv(XKD_CONFIG_ENV);
        return c;
}

/* A fake dracut: records its arguments and the config it was handed, writes the image. */
static const char fake_dracut[] =
        "#!/bin/sh\n"
        "echo \"$*\" > \"$(dirname \"$0\")/args\"\n"
        "cp \"$XEN_KDUMP_ENV_FILE\" \"$(dirname \"$0\")/env\"\n"
        "[ -n \"$FAIL\" ] && { echo partial > \"$(eval echo \\${$#})\"; exit 1; }\n"
        "for last; do :; done\n"
        "echo image > \"$last\"\n";

TEST(build_runs_dracut_and_installs_atomically) {
        char dracut[128], path[160], initrd[128];
        struct stat st;
        xkd_config *c;

        make_dir();
        c = config_in_dir("target nfs nas:/export\n");
        ASSERT_TRUE(c != NULL);
        snprintf(dracut, sizeof(dracut), "%s/dracut", dir);
        write_file(dracut, fake_dracut, strlen(fake_dracut), 0755);
        snprintf(initrd, sizeof(initrd), "%s/out/initrd.img", dir);

        struct xkd_initrd_options o = { .kver = "6.1.0-x", .kmoddir = "/km", .dracut = dracut };
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        ASSERT_EQ(stat(initrd, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0600);
        snprintf(path, sizeof(path), "%s/out", dir);
        ASSERT_EQ(stat(path, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0700);
        snprintf(path, sizeof(path), "%s/args", dir);
        ASSERT_CONTAINS(test_slurp(path), "--add xen-kdump");
        ASSERT_CONTAINS(test_slurp(path), "--hostonly");
        ASSERT_CONTAINS(test_slurp(path), "--compress zstd");
        ASSERT_CONTAINS(test_slurp(path), "--kver 6.1.0-x --kmoddir /km");
        ASSERT_CONTAINS(test_slurp(path), "initrd.img.new");
        snprintf(path, sizeof(path), "%s/env", dir);
        ASSERT_CONTAINS(test_slurp(path), "XKD_TARGET_KIND='nfs'\nXKD_TARGET_USER=''\nXKD_TARGET_HOST='nas'\n");
        ASSERT_CONTAINS(test_slurp(path), "XKD_BINDIR='");

        /* dracut fails: the old image stays, no half-written one appears. */
        setenv("FAIL", "1", 1);
        fflush(stderr);
        int saved = dup(2), null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        int r = xkd_initrd_build(c, &o);
        dup2(saved, 2);
        close(saved);
        close(null);
        unsetenv("FAIL");
        ASSERT_EQ(r, -EPROTO);
        ASSERT_STREQ(test_slurp(initrd), "image\n");
        snprintf(path, sizeof(path), "%s.new", initrd);
        ASSERT_EQ(access(path, F_OK), -1);
        xkd_config_free(c);
        remove_dir();
}

/* The config's dracut_args and extra_modules reach dracut on every build,
 * before the command line's own arguments (the last one wins in dracut). */
TEST(build_passes_the_configs_dracut_args_and_modules) {
        char dracut[128], path[160];
        char *cli[] = { "--omit", "nfs" };
        xkd_config *c;

        make_dir();
        c = config_in_dir("dracut_args --add lvm --omit-drivers 'nouveau radeon'\nextra_modules nvme mpt3sas\n");
        ASSERT_TRUE(c != NULL);
        snprintf(dracut, sizeof(dracut), "%s/dracut", dir);
        write_file(dracut, fake_dracut, strlen(fake_dracut), 0755);
        struct xkd_initrd_options o = { .kver = "6.1.0-x", .dracut = dracut, .extra_args = cli, .n_extra_args = 2 };
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        snprintf(path, sizeof(path), "%s/args", dir);
        ASSERT_CONTAINS(test_slurp(path), "--kver 6.1.0-x --add-drivers nvme mpt3sas --add lvm --omit-drivers nouveau radeon "
                        "--omit nfs ");
        ASSERT_TRUE(strstr(test_slurp(path), "'") == NULL);
        /* Without the command line (the boot-time and kernel-hook rebuilds) they are still there. */
        o.n_extra_args = 0;
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        ASSERT_CONTAINS(test_slurp(path), "--add-drivers nvme mpt3sas --add lvm --omit-drivers nouveau radeon ");
        xkd_config_free(c);
        remove_dir();
}

/* A minimal kernel (release "-xkd") has no modules: dracut --no-kernel, only
 * our module, none of the host's dracut.conf.d, and the small flavour asked for. */
TEST(build_for_the_minimal_kernel_has_no_modules) {
        char dracut[128], path[160], kernel[128];
        xkd_config *c;

        make_dir();
        c = config_in_dir("");
        ASSERT_TRUE(c != NULL);
        snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
        write_bzimage(kernel, "6.1.192-xkd (root@vm) #2 SMP");
        snprintf(dracut, sizeof(dracut), "%s/dracut", dir);
        write_file(dracut, fake_dracut, strlen(fake_dracut), 0755);

        struct xkd_initrd_options o = { .kmoddir = "/km", .dracut = dracut };
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        snprintf(path, sizeof(path), "%s/args", dir);
        ASSERT_CONTAINS(test_slurp(path), "--kver 6.1.192-xkd --no-kernel --modules xen-kdump --conf /dev/null --confdir ");
        ASSERT_TRUE(strstr(test_slurp(path), "--kmoddir") == NULL);
        /* A 1 MiB zstd window: what the kernel must hold while it unpacks. */
        ASSERT_CONTAINS(test_slurp(path), "--compress zstd -q -19 -T0 --zstd=wlog=20 ");
        snprintf(path, sizeof(path), "%s/env", dir);
        ASSERT_CONTAINS(test_slurp(path), "XKD_NO_KERNEL_MODULES='1'\n");

        /* A distribution kernel keeps its modules and the host's dracut config. */
        write_bzimage(kernel, "6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP");
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        snprintf(path, sizeof(path), "%s/args", dir);
        ASSERT_CONTAINS(test_slurp(path), "--compress zstd --kver 6.1.0-56-amd64 --kmoddir /km");
        ASSERT_TRUE(strstr(test_slurp(path), "--no-kernel") == NULL);
        snprintf(path, sizeof(path), "%s/env", dir);
        ASSERT_TRUE(strstr(test_slurp(path), "XKD_NO_KERNEL_MODULES") == NULL);
        xkd_config_free(c);
        remove_dir();
}

/*
 * Staleness: missing → build; not built by us (no sidecar) → left alone;
 * built → stale when the validated config changes or an input is newer.
 */
TEST(stale_follows_config_content_and_input_times) {
        char initrd[128], kernel[128], moddir[128], modfile[160], dracut[128], why[512], cfg[160];
        xkd_config *c;

        make_dir();
        c = config_in_dir("keep 2\n");
        ASSERT_TRUE(c != NULL);
        snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
        write_bzimage(kernel, "6.1.0-x");
        set_mtime(kernel, 1000000);
        snprintf(moddir, sizeof(moddir), "%s/module", dir);
        mkdir(moddir, 0755);
        snprintf(modfile, sizeof(modfile), "%s/module-setup.sh", moddir);
        write_file(modfile, "#", 1, 0755);
        set_mtime(modfile, 1000000);
        snprintf(initrd, sizeof(initrd), "%s/out/initrd.img", dir);

        why[0] = '\0';
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "initrd.img does not exist");

        /* Somebody else's image: never ours to replace. */
        snprintf(cfg, sizeof(cfg), "%s/out", dir);
        mkdir(cfg, 0700);
        write_file(initrd, "foreign", 7, 0600);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        ASSERT_CONTAINS(why, "was not built by 'xen-kdump rebuild'; left alone");

        snprintf(dracut, sizeof(dracut), "%s/dracut", dir);
        write_file(dracut, fake_dracut, strlen(fake_dracut), 0755);
        struct xkd_initrd_options o = { .kver = "6.1.0-x", .dracut = dracut };
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        snprintf(cfg, sizeof(cfg), "%s.config", initrd);
        ASSERT_CONTAINS(test_slurp(cfg), "XKD_KEEP='2'\n");
        set_mtime(initrd, 2000000);
        why[0] = '\0';
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        ASSERT_STREQ(why, "");

        /* The config file touched but equal: still current.  A value changed: stale. */
        set_mtime(xkd_config_file(c, NULL), 3000000);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        xkd_config_free(c);
        c = config_in_dir("keep 3\n");
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "the configuration changed");
        xkd_config_free(c);
        c = config_in_dir("keep 2\n");

        set_mtime(kernel, 3000000);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "vmlinuz is newer than");
        set_mtime(kernel, 1000000);

        set_mtime(modfile, 3000000);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "module-setup.sh is newer than");
        set_mtime(modfile, 1000000);
        xkd_config_free(c);

        /* dracut_args and extra_modules are part of what the image is built from. */
        c = config_in_dir("keep 2\ndracut_args --add lvm\n");
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "the configuration changed");
        xkd_config_free(c);
        c = config_in_dir("keep 2\nextra_modules nvme\n");
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "the configuration changed");
        xkd_config_free(c);

        /* A hook added to post.d, or edited: stale. */
        c = config_in_dir("keep 2\n");
        char hooks[128], hook[192];
        snprintf(hooks, sizeof(hooks), "%s/hooks", dir);
        setenv("XKD_HOOKS_DIR", hooks, 1);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        snprintf(hook, sizeof(hook), "%s/post.d", hooks);
        mkdir(hooks, 0700);
        mkdir(hook, 0700);
        set_mtime(hook, 1000000);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        snprintf(hook, sizeof(hook), "%s/post.d/50-mail", hooks);
        write_file(hook, "#!/bin/sh\n", 10, 0755);
        set_mtime(hook, 3000000);
        snprintf(cfg, sizeof(cfg), "%s/post.d", hooks);
        set_mtime(cfg, 1000000);        /* only the hook's own time says it changed */
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "post.d/50-mail is newer than the image");
        set_mtime(hook, 1000000);
        snprintf(hook, sizeof(hook), "%s/post.d", hooks);
        set_mtime(hook, 3000000);       /* a hook removed */
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "post.d changed after the image was built");
        unsetenv("XKD_HOOKS_DIR");
        xkd_config_free(c);
        remove_dir();
}

/*
 * A network target: the plan the dracut module's script prints is handed to
 * dracut ($XEN_KDUMP_NETPLAN) and kept as "<initrd>.network"; a different plan
 * later is a rebuild, the fallback (no route now) is not, a local target keeps none.
 */
static const char fake_plan[] =
        "#!/bin/sh\n"
        "[ \"$1\" = nas ] || exit 3\n"
        "printf 'target 10.0.0.9\\n%s\\nfile 10-xen-kdump-x.network\\nAddress=%s\\n' "
        "\"${PLAN_KIND:-egress xenbr0}\" \"${PLAN_ADDR:-10.0.0.5/24}\"\n";
static const char plan_dracut[] =
        "#!/bin/sh\n"
        "cp \"$XEN_KDUMP_NETPLAN\" \"$(dirname \"$0\")/handed\"\n"
        "for last; do :; done\n"
        "echo image > \"$last\"\n";

TEST(network_plan_is_kept_and_a_change_rebuilds) {
        char moddir[128], script[192], dracut[128], initrd[128], side[160], handed[160], why[512];
        xkd_config *c;

        make_dir();
        c = config_in_dir("target nfs nas:/export\n");
        ASSERT_TRUE(c != NULL);
        snprintf(moddir, sizeof(moddir), "%s/module", dir);
        mkdir(moddir, 0755);
        snprintf(script, sizeof(script), "%s/xen-kdump-netplan.sh", moddir);
        write_file(script, fake_plan, strlen(fake_plan), 0755);
        set_mtime(script, 1000000);
        snprintf(dracut, sizeof(dracut), "%s/dracut", dir);
        write_file(dracut, plan_dracut, strlen(plan_dracut), 0755);
        write_bzimage(strcat(strcpy(initrd, dir), "/vmlinuz"), "6.1.0-x");
        set_mtime(initrd, 1000000);
        snprintf(initrd, sizeof(initrd), "%s/out/initrd.img", dir);
        snprintf(side, sizeof(side), "%s.network", initrd);
        snprintf(handed, sizeof(handed), "%s/handed", dir);

        struct xkd_initrd_options o = { .kver = "6.1.0-x", .dracut = dracut, .module_dir = moddir };
        /* The temporary plan on another filesystem than the image (tmpfs /tmp, /var on disk). */
        struct stat a, b;
        bool other_fs = stat("/dev/shm", &a) == 0 && stat(dir, &b) == 0 && a.st_dev != b.st_dev;
        if (other_fs)
                setenv("TMPDIR", "/dev/shm", 1);
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        unsetenv("TMPDIR");
        ASSERT_STREQ(test_slurp(handed), "target 10.0.0.9\negress xenbr0\nfile 10-xen-kdump-x.network\nAddress=10.0.0.5/24\n");
        ASSERT_STREQ(test_slurp(side), "target 10.0.0.9\negress xenbr0\nfile 10-xen-kdump-x.network\nAddress=10.0.0.5/24\n");
        set_mtime(initrd, 2000000);
        why[0] = '\0';
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        ASSERT_STREQ(why, "");

        setenv("PLAN_ADDR", "10.0.0.6/24", 1);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "dom0's network to nas changed since");
        unsetenv("PLAN_ADDR");

        /* No route to the target now (down, or not up yet): keep what was built while it was. */
        setenv("PLAN_KIND", "fallback dom0 has no route to nas now", 1);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 0);
        ASSERT_CONTAINS(why, "no route to nas now; keeping");
        unsetenv("PLAN_KIND");

        /* An image built before the plan existed is rebuilt once. */
        unlink(side);
        ASSERT_EQ(xkd_initrd_stale(c, moddir, why, sizeof(why)), 1);
        ASSERT_CONTAINS(why, "without a record of dom0's network");

        /* The script failing fails the build, with no image and no record. */
        xkd_config_free(c);
        c = config_in_dir("target nfs other:/export\n");
        unlink(initrd);
        ASSERT_TRUE(xkd_initrd_build(c, &o) < 0);
        ASSERT_TRUE(access(initrd, F_OK) < 0 && access(side, F_OK) < 0);

        /* A local target keeps no plan, and drops an old one. */
        xkd_config_free(c);
        c = config_in_dir("target path /var/crash\n");
        write_file(side, "old", 3, 0600);
        ASSERT_EQ(xkd_initrd_build(c, &o), 0);
        ASSERT_TRUE(access(side, F_OK) < 0);
        xkd_config_free(c);
        remove_dir();
}

TEST_MAIN()
