/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The minimal kernel against the host's dump target (initrd-drivers.h): a
 * driver the target needs that the minimal kernel lacks makes the automatic
 * choice the distribution kernel and says which; the fix (the driver built
 * in) brings the minimal kernel back; a configured kernel is never second-
 * guessed; what cannot be checked is said, not guessed.  The dracut module's
 * script is faked here (tests/appliance/test-drivers.sh tests the real one).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture-kernel.h"
#include "config.h"
#include "initrd-drivers.h"
#include "test.h"

static char dir[64], moddir[128], minimal[128], modules[160], verdict[160], ran[160];

static void write_file(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                abort();
        close(fd);
}

/* A setup header just real enough for a release ending in -xkd. */
static void write_minimal_kernel(void) {
        unsigned char img[0x1000] = { 0 };
        const char *v = "6.1.192-xkd (root@vm) #2 SMP";
        memcpy(img + 0x202, "HdrS", 4);
        img[0x20f] = 0x08;
        memcpy(img + 0xa00, v, strlen(v));
        int fd = open(minimal, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, img, sizeof(img)) != (ssize_t) sizeof(img))
                abort();
        close(fd);
}

/* The fake script checks that it got the config, records that it ran, and
 * prints what a host with a MegaRAID controller and ext4 needs. */
static void setup(const char *script_body) {
        char path[192], script[1024];

        snprintf(dir, sizeof(dir), "/tmp/test-minimal-fit.XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(moddir, sizeof(moddir), "%s/mod", dir);
        mkdir(moddir, 0755);
        snprintf(minimal, sizeof(minimal), "%s/vmlinuz-minimal", dir);
        snprintf(modules, sizeof(modules), "%s.modules", minimal);
        snprintf(verdict, sizeof(verdict), "%s/minimal-kernel-unfit", dir);
        snprintf(ran, sizeof(ran), "%s/ran", dir);
        write_minimal_kernel();
        write_file(modules, "ext4\nsd_mod\nvirtio_blk\n", 0644);
        snprintf(script, sizeof(script),
                 "#!/bin/sh\n. \"$XEN_KDUMP_ENV_FILE\" || exit 3\n[ \"$XKD_TARGET_KIND\" = path ] || exit 4\n"
                 "echo ran >> %s\n%s", ran, script_body);
        snprintf(path, sizeof(path), "%s/%s", moddir, XKD_DRIVERS_SCRIPT);
        write_file(path, script, 0755);
        snprintf(path, sizeof(path), "%s/xen-kdump.conf", dir);
        write_file(path, "target path /var/crash\n", 0600);
        setenv(XKD_CONFIG_ENV, path, 1);
        setenv(XKD_MINIMAL_KERNEL_ENV, minimal, 1);
        setenv("XKD_STATE_DIR", dir, 1);
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        unsetenv(XKD_CONFIG_ENV);
        unsetenv(XKD_MINIMAL_KERNEL_ENV);
        unsetenv("XKD_STATE_DIR");
}

/* stderr into a file for the duration of f: what the administrator reads. */
static int err_fd = -1;
static void stderr_to(const char *path) {
        fflush(stderr);
        err_fd = dup(STDERR_FILENO);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDERR_FILENO);
        close(fd);
}
static void stderr_back(void) {
        fflush(stderr);
        dup2(err_fd, STDERR_FILENO);
        close(err_fd);
}

static int update(xkd_config *c, bool *changed, char *said, size_t size) {
        char path[192];
        snprintf(path, sizeof(path), "%s/said", dir);
        stderr_to(path);
        int r = xkd_minimal_fit_update(c, moddir, changed);
        stderr_back();
        snprintf(said, size, "%s", test_slurp(path));
        return r;
}

static xkd_config *open_config(void) {
        xkd_config *c = NULL;
        return xkd_config_open(&c, "6.1.0-9-amd64", NULL, 0) < 0 ? NULL : c;
}

TEST(a_missing_driver_picks_the_distribution_kernel_and_says_which) {
        char said[2048], o[512];
        bool changed;
        xkd_config *c;

        setup("echo 'ext4 the ext4 filesystem of /var/crash'\n"
              "echo 'sd_mod disk sda (under /var/crash)'\n"
              "echo 'megaraid_sas disk sda (under /var/crash)'\n");
        c = open_config();
        ASSERT_TRUE(c != NULL);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), minimal);

        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_TRUE(changed);
        ASSERT_CONTAINS(said, "The minimal kernel lacks megaraid_sas for disk sda (under /var/crash): "
                              "capturing with the distribution kernel");
        ASSERT_STREQ(test_slurp(verdict), "megaraid_sas for disk sda (under /var/crash)\n");
        struct stat st;
        ASSERT_EQ(stat(verdict, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0600);

        /* The config, opened again, picks the distribution kernel and its image, and says why. */
        xkd_config_free(c);
        c = open_config();
        ASSERT_TRUE(c != NULL);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), "/boot/vmlinuz-6.1.0-9-amd64");
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/var/lib/xen-kdump/initrd-6.1.0-9-amd64.img");
        xkd_config_origin_format(c, XKD_CONF_KERNEL, o, sizeof(o));
        ASSERT_CONTAINS(o, "the minimal kernel lacks megaraid_sas for disk sda (under /var/crash): the running kernel");

        /* Checked again (every load and rebuild): same verdict, nothing to redo, still said. */
        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_FALSE(changed);
        ASSERT_CONTAINS(said, "lacks megaraid_sas");
        ASSERT_STREQ(test_slurp(ran), "ran\nran\n");

        /* The driver built in (spelt with a dash, as modules.builtin may): the minimal kernel again. */
        write_file(modules, "ext4\nsd_mod\nmegaraid-sas\n", 0644);
        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_TRUE(changed);
        ASSERT_CONTAINS(said, "capturing with it again");
        ASSERT_EQ(access(verdict, F_OK), -1);
        xkd_config_free(c);
        c = open_config();
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_KERNEL), minimal);
        ASSERT_STREQ(xkd_config_get(c, XKD_CONF_INITRD), "/var/lib/xen-kdump/initrd-minimal.img");
        xkd_config_free(c);
        teardown();
}

TEST(a_configured_kernel_is_not_second_guessed) {
        char said[2048], path[192], text[256];
        bool changed;
        xkd_config *c;

        setup("echo 'megaraid_sas disk sda (under /var/crash)'\n");
        snprintf(path, sizeof(path), "%s/xen-kdump.conf", dir);
        snprintf(text, sizeof(text), "target path /var/crash\nkernel %s\n", minimal);
        write_file(path, text, 0600);
        c = open_config();
        ASSERT_TRUE(c != NULL);
        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_FALSE(changed);
        ASSERT_EQ(access(ran, F_OK), -1);       /* not even asked */
        ASSERT_EQ(access(verdict, F_OK), -1);
        xkd_config_free(c);
        teardown();
}

TEST(what_cannot_be_checked_is_said_and_changes_nothing) {
        char said[2048];
        bool changed;
        xkd_config *c;

        /* No list of the minimal kernel's drivers (an older install). */
        setup("echo 'megaraid_sas disk sda (under /var/crash)'\n");
        unlink(modules);
        c = open_config();
        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_FALSE(changed);
        ASSERT_CONTAINS(said, "vmlinuz-minimal.modules: No such file or directory");
        ASSERT_CONTAINS(said, "the minimal kernel is used unchecked");
        ASSERT_EQ(access(verdict, F_OK), -1);
        xkd_config_free(c);
        teardown();

        /* The script fails (a target it cannot resolve: the image build says why). */
        setup("exit 1\n");
        c = open_config();
        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_FALSE(changed);
        ASSERT_CONTAINS(said, "Cannot tell which drivers the dump target needs");
        ASSERT_EQ(access(verdict, F_OK), -1);
        xkd_config_free(c);
        teardown();

        /* No minimal kernel installed: nothing to check, nothing run. */
        setup("echo 'megaraid_sas disk sda (under /var/crash)'\n");
        unlink(minimal);
        c = open_config();
        ASSERT_EQ(update(c, &changed, said, sizeof(said)), 0);
        ASSERT_FALSE(changed);
        ASSERT_EQ(access(ran, F_OK), -1);
        xkd_config_free(c);
        teardown();
}

/* Which image a distribution kernel gets: the small one only for a local
 * target on plain disks; LVM (dm_mod), md (md_mod, with '-' too), a network
 * target or a driver list nobody could work out keep the systemd image. */
static int small_fits(const char *conf) {
        char path[192];
        xkd_config *c;
        int r;

        snprintf(path, sizeof(path), "%s/xen-kdump.conf", dir);
        write_file(path, conf, 0600);
        c = open_config();
        if (!c)
                return -100;
        snprintf(path, sizeof(path), "%s/said", dir);
        stderr_to(path);
        r = xkd_initrd_small_image_fits(c, moddir);
        stderr_back();
        xkd_config_free(c);
        return r;
}

/* small_fits() for a local target with a fresh fake script. */
static int local_fits(const char *script_body) {
        setup(script_body);
        int r = small_fits("target path /var/crash\n");
        teardown();
        return r;
}

TEST(the_small_image_only_for_a_local_target_on_plain_disks) {
        setup("echo 'ext4 the ext4 filesystem of /var/crash'\necho 'megaraid_sas disk sda (under /var/crash)'\n");
        ASSERT_EQ(small_fits("target path /var/crash\n"), 1);
        ASSERT_EQ(access(ran, F_OK), 0);
        /* A network target never asks the script (it would exit 4 here). */
        unlink(ran);
        ASSERT_EQ(small_fits("target ssh dump@10.0.0.1:/srv/crash\n"
                             "ssh_known_host ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq\n"), 0);
        ASSERT_EQ(access(ran, F_OK), -1);
        teardown();

        ASSERT_EQ(local_fits("echo 'ext4 the ext4 filesystem of /var/crash'\n"
                             "echo 'dm_mod LVM volume dm-0 (under /var/crash)'\n"), 0);
        ASSERT_EQ(local_fits("echo 'xfs the xfs filesystem of /var/crash'\n"
                             "echo 'md-mod md RAID md0 (under /var/crash)'\n"), 0);
        /* "dm_mods" is not dm_mod: whole names only. */
        ASSERT_EQ(local_fits("echo 'dm_mods something else'\n"), 1);

        setup("exit 1\n");
        ASSERT_EQ(small_fits("target path /var/crash\n"), 0);
        char path[192];
        snprintf(path, sizeof(path), "%s/said", dir);
        ASSERT_CONTAINS(test_slurp(path), "building the systemd image");
        teardown();
}

/* The verdict file is read as one printable line, whatever it holds. */
TEST(the_verdict_is_one_printable_line) {
        char why[64];

        setup("");
        write_file(verdict, "ice for NIC \033[31mens1\n\nmore", 0600);
        ASSERT_EQ(xkd_minimal_kernel_unfit(why, sizeof(why)), 1);
        ASSERT_TRUE(strchr(why, '\033') == NULL && strchr(why, '\n') == NULL);
        ASSERT_CONTAINS(why, "ice for NIC ");
        unlink(verdict);
        ASSERT_EQ(xkd_minimal_kernel_unfit(why, sizeof(why)), 0);
        teardown();
}

TEST_MAIN()
