/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xen-kdump command against the simulated hypervisor ($XKD_HV=sim:...),
 * a fake dom0 tree ($XKD_SYSROOT) and a private state dir ($XKD_STATE_DIR):
 * bad input is refused with one line and a non-zero exit, without touching
 * the loaded image; status tells the truth across the status op's flips. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-run.h"
#include "loader-fixtures.h"
#include "test.h"

static char cli[4096], dir[256], conf[512], simstate[512], kernel[512], initrd[512];
static char out[65536];

static void setup(void) {
        static int done;

        if (done)
                return;
        done = 1;
        cli_path(cli, sizeof(cli));
        snprintf(dir, sizeof(dir), "/tmp/xkd-cli-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(simstate, sizeof(simstate), "%s/sim-state", dir);
        snprintf(conf, sizeof(conf), "%s/sim.conf", dir);
        char text[4096];
        snprintf(text, sizeof(text), "%sstate %s\n", fake_host_config, simstate);
        write_text(conf, text);

        snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
        if (write_fake_kernel(kernel) < 0)
                abort();
        snprintf(initrd, sizeof(initrd), "%s/initrd.img", dir);
        write_fake_initrd(initrd);

        char sd[512];
        snprintf(sd, sizeof(sd), "%s/state", dir);
        setenv("XKD_STATE_DIR", sd, 1);
        setenv("XKD_SYSROOT", fake_sysroot(), 1);
}

static void use_sim(const char *config_path) {
        char v[700];
        snprintf(v, sizeof(v), "sim:%s", config_path);
        setenv("XKD_HV", v, 1);
}

/* Run xen-kdump with args (NULL-terminated); stdout+stderr into out[]; returns the exit status. */
CLI_DEFINE_RUN(run, cli, 0, out)

/* The simulator's persisted "loaded slot_bit hypercalls entry". */
static void sim_state(int *loaded, int *bit, unsigned *calls) {
        FILE *f = fopen(simstate, "re");
        *loaded = *bit = -1;
        *calls = 0;
        if (!f)
                return;
        if (fscanf(f, "%d %d %u", loaded, bit, calls) != 3)
                *loaded = -1;
        fclose(f);
}

static void reset(void) {
        char p[600];
        setup();
        unlink(simstate);
        snprintf(p, sizeof(p), "%s/state/state", dir);
        unlink(p);
        use_sim(conf);
}

TEST(load_status_unload_cycle) {
        int loaded, bit;
        unsigned calls;
        struct stat st;
        char p[600];

        reset();
        ASSERT_EQ(run("status", NULL), 3);
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, "--append", "quiet", NULL), 0);
        ASSERT_CONTAINS(out, "Loaded crash image: 6 segments");
        ASSERT_CONTAINS(out, "Capture kernel: bzImage, decompressing itself at the crash\n");    /* no payload fields */
        snprintf(p, sizeof(p), "%s/state/state", dir);
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0600);
        snprintf(p, sizeof(p), "%s/state", dir);
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0700);

        ASSERT_EQ(run("status", NULL), 0);
        ASSERT_CONTAINS(out, "Crash image: loaded");
        ASSERT_CONTAINS(out, kernel);
        ASSERT_CONTAINS(out, "Crash region:   0x69d8d000, 256 MiB");
        ASSERT_CONTAINS(out, "quiet");
        /* Second load: Xen's op now says "not loaded", status must still say loaded. */
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        ASSERT_EQ(run("status", "--json", NULL), 0);
        ASSERT_CONTAINS(out, "\"loaded\":true");
        ASSERT_CONTAINS(out, "\"xen_status_op\":false");
        ASSERT_EQ(run("unload", NULL), 0);
        ASSERT_EQ(run("status", NULL), 3);
        ASSERT_CONTAINS(out, "Xen status op:  loaded  (disagrees");
        ASSERT_EQ(run("unload", NULL), 0);
        ASSERT_EQ(run("status", "--json", NULL), 3);
        ASSERT_CONTAINS(out, "\"loaded\":false");
        sim_state(&loaded, &bit, &calls);
        ASSERT_EQ(loaded, 0);
        ASSERT_EQ(calls, 4);
}

TEST(status_unknown_when_someone_else_changed_the_image) {
        int loaded, bit;
        unsigned calls;

        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        sim_state(&loaded, &bit, &calls);
        /* Another tool unloads behind our back: the op flips, our state file does not. */
        FILE *f = fopen(simstate, "we");
        fprintf(f, "0 %d %u 0\n", !bit, calls + 1);
        fclose(f);
        ASSERT_EQ(run("status", NULL), 4);
        ASSERT_CONTAINS(out, "Crash image: unknown");
        ASSERT_CONTAINS(out, "another tool loaded or unloaded");
        ASSERT_CONTAINS(out, "State file:     loaded");
}

/* One bad load after a good one: one line, non-zero exit, no hypercall, still loaded. */
static void bad_load(const char *expect, const char *k, const char *i) {
        int loaded, bit;
        unsigned calls_before, calls;

        sim_state(&loaded, &bit, &calls_before);
        int rc = i ? run("load", "--kernel", k, "--initrd", i, NULL) : run("load", "--kernel", k, "--no-initrd", NULL);
        ASSERT_NE(rc, 0);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, expect);
        sim_state(&loaded, &bit, &calls);
        ASSERT_EQ(calls, calls_before);
        ASSERT_EQ(loaded, 1);
        ASSERT_EQ(run("status", NULL), 0);
}

static const char *file_with(const char *name, size_t keep, long patch_at, const void *patch, size_t patch_len) {
        static char path[600];
        FILE *in = fopen(kernel, "re"), *o;
        char buf[300000];
        size_t n = fread(buf, 1, sizeof(buf), in);
        fclose(in);
        if (keep && keep < n)
                n = keep;
        if (patch_at >= 0)
                memcpy(buf + patch_at, patch, patch_len);
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        o = fopen(path, "we");
        fwrite(buf, 1, n, o);
        fclose(o);
        return path;
}

TEST(bad_input_refused_and_previous_image_stays) {
        char p[600];

        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        bad_load("truncated", file_with("trunc", 100000, -1, NULL, 0), initrd);
        bad_load("no Linux boot header", file_with("corrupt", 0, 0x202, "XXXX", 4), initrd);
        bad_load("not relocatable", file_with("nonreloc", 0, 0x234, "\0", 1), initrd);
        bad_load("no Linux boot header", "/bin/sh", initrd);
        bad_load("Cannot open the kernel", "/nonexistent/vmlinuz", initrd);
        bad_load("Cannot open the initramfs /nonexistent", kernel, "/nonexistent");
        snprintf(p, sizeof(p), "%s/empty", dir);
        write_text(p, "");
        bad_load("is empty", kernel, p);
        snprintf(p, sizeof(p), "%s/huge", dir);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_EQ(ftruncate(fd, 3LL << 30), 0);
        close(fd);
        bad_load("more than the", kernel, p);
        unlink(p);
}

TEST(region_too_small_and_missing) {
        char c[600], text[4096];
        int loaded, bit;
        unsigned calls;

        reset();
        snprintf(c, sizeof(c), "%s/small.conf", dir);
        snprintf(text, sizeof(text), "%sstate %s\ncrash 0x70000000 0x2000000\n", fake_host_config, simstate);
        write_text(c, text);
        use_sim(c);
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "The crash region is 32 MiB but this capture image needs");
        ASSERT_CONTAINS(out, "crashkernel=");
        snprintf(text, sizeof(text), "%sstate %s\ncrash 0 0\n", fake_host_config, simstate);
        write_text(c, text);
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "Xen has no crash region reserved; add crashkernel=");
        sim_state(&loaded, &bit, &calls);
        ASSERT_EQ(calls, 0);
}

TEST(not_dom0_and_no_privcmd) {
        char root[] = "/tmp/xkd-cli-root-XXXXXX", p[600];

        setup();
        ASSERT_TRUE(mkdtemp(root) != NULL);
        setenv("XKD_HV", "xen", 1);
        setenv("XKD_SYSROOT", root, 1);
        snprintf(p, sizeof(p), "%s/proc/xen/capabilities", root);
        write_text(p, "\n");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "This is not dom0");
        write_text(p, "control_d\n");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "modprobe xen-privcmd");
        ASSERT_EQ(run("status", NULL), 1);
        setenv("XKD_SYSROOT", fake_sysroot(), 1);
}

TEST(bad_arguments) {
        reset();
        ASSERT_EQ(run("load", "--bogus", NULL), 2);
        ASSERT_CONTAINS(out, "see 'xen-kdump load --help'");
        ASSERT_EQ(run("status", "extra", NULL), 2);
        ASSERT_EQ(run("load", "--help", NULL), 0);
        ASSERT_CONTAINS(out, "/var/lib/xen-kdump/initrd-%r.img");
}

TEST(config_file_supplies_defaults) {
        char c[600], text[2048];

        reset();
        snprintf(c, sizeof(c), "%s/xen-kdump.conf", dir);
        snprintf(text, sizeof(text), "kernel %s\ninitrd %s\nappend from_config=1\n", kernel, initrd);
        write_text(c, text);
        setenv("XEN_KDUMP_CONF", c, 1);
        ASSERT_EQ(run("load", "--append", "from_cli=2", NULL), 0);
        ASSERT_CONTAINS(out, "from_config=1 from_cli=2");
        ASSERT_EQ(run("status", NULL), 0);
        ASSERT_CONTAINS(out, initrd);
        /* A broken config refuses the load, and the loaded image stays. */
        write_text(c, "kernel relative/path\n");
        ASSERT_NE(run("load", NULL), 0);
        ASSERT_EQ(run("status", NULL), 0);
        unsetenv("XEN_KDUMP_CONF");
}

/* Like run(), under timeout(1): a command that waits on a FIFO is killed (exit 124), not hung on. */
static int run_timeout(const char *a1, ...) {
        va_list ap;
        int r;

        va_start(ap, a1);
        r = cli_vrun("/usr/bin/timeout", 0, out, sizeof(out), a1, ap);
        va_end(ap);
        return r;
}

static int run_bounded(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5) {
        return run_timeout("-s", "KILL", "10", cli, a1, a2, a3, a4, a5, NULL);
}

TEST(fifo_inputs_refused_without_blocking) {
        char fifo[600], c[600];

        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        unlink(fifo);
        ASSERT_EQ(mkfifo(fifo, 0600), 0);
        ASSERT_EQ(run_bounded("load", "--kernel", fifo, "--initrd", initrd), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "The kernel ");
        ASSERT_CONTAINS(out, "is a FIFO, not a regular file");
        ASSERT_EQ(run_bounded("load", "--kernel", kernel, "--initrd", fifo), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "The initramfs ");
        ASSERT_CONTAINS(out, "is a FIFO");
        snprintf(c, sizeof(c), "%s/fifo", dir);
        setenv("XEN_KDUMP_CONF", c, 1);
        ASSERT_EQ(run_bounded("load", "--kernel", kernel, "--initrd", initrd), 1);
        unsetenv("XEN_KDUMP_CONF");
        ASSERT_CONTAINS(out, "The config ");
        ASSERT_CONTAINS(out, "is a FIFO");
        ASSERT_EQ(run("status", NULL), 0);
        unlink(fifo);
}

/* The simulator's persisted "loaded clobbered" (clobbered: the armed image's memory was overwritten). */
static void sim_truth(int *loaded, int *clobbered) {
        unsigned long long entry;
        int bit;
        unsigned calls;
        FILE *f = fopen(simstate, "re");
        *loaded = *clobbered = -1;
        if (!f)
                return;
        if (fscanf(f, "%d %d %u %llu %d", loaded, &bit, &calls, &entry, clobbered) != 5)
                *loaded = *clobbered = -1;
        fclose(f);
}

/* The simulator configuration plus one failure injection, in use. */
static void use_sim_failing(const char *inject) {
        char c[600], text[4096];

        snprintf(c, sizeof(c), "%s/failing.conf", dir);
        snprintf(text, sizeof(text), "%sstate %s\n%s\n", fake_host_config, simstate, inject);
        write_text(c, text);
        use_sim(c);
}

/* Xen wrote into the crash region, then failed: the previous image is put back. */
TEST(failed_hypercall_reloads_previous_image) {
        static const char *const injects[] = { "fail alloc 12", "fail copy 14", "fail arch 22", "fail swap 16" };
        int loaded, clobbered, bit;
        unsigned before, after;

        for (size_t i = 0; i < sizeof(injects) / sizeof(injects[0]); i++) {
                reset();
                ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, "--append", "old_one", NULL), 0);
                sim_state(&loaded, &bit, &before);
                use_sim_failing(injects[i]);
                ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, "--append", "new_one", NULL), 1);
                ASSERT_CONTAINS(out, "Xen refused the crash image");
                ASSERT_CONTAINS(out, "is loaded again; the new one is NOT loaded");
                sim_state(&loaded, &bit, &after);
                ASSERT_EQ(after, before + 2);                   /* the failed load, the reload */
                sim_truth(&loaded, &clobbered);
                ASSERT_EQ(loaded, 1);
                ASSERT_EQ(clobbered, 0);
                use_sim(conf);
                ASSERT_EQ(run("status", NULL), 0);
                ASSERT_CONTAINS(out, "Crash image: loaded");
                ASSERT_CONTAINS(out, "old_one");
                ASSERT_FALSE(strstr(out, "new_one"));
        }
}

/* The previous image cannot come back: it is unloaded, loudly, and status says not loaded. */
TEST(failed_hypercall_unloads_when_previous_cannot_return) {
        int loaded, clobbered;
        char k2[600];

        /* The reload fails as well. */
        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        use_sim_failing("fail swap 16 2");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_CONTAINS(out, "NO CRASH IMAGE IS LOADED");
        sim_truth(&loaded, &clobbered);
        ASSERT_EQ(loaded, 0);
        use_sim(conf);
        ASSERT_EQ(run("status", NULL), 3);
        ASSERT_CONTAINS(out, "Crash image: not loaded");

        /* The previous kernel changed on disk since: not the image that was loaded. */
        reset();
        snprintf(k2, sizeof(k2), "%s/vmlinuz-prev", dir);
        ASSERT_EQ(link(kernel, k2) == 0 || errno == EEXIST, 1);
        ASSERT_EQ(run("load", "--kernel", k2, "--initrd", initrd, NULL), 0);
        FILE *f = fopen(k2, "ae");
        fputs("appended", f);
        fclose(f);
        use_sim_failing("fail arch 22");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_CONTAINS(out, "changed since it was loaded");
        ASSERT_CONTAINS(out, "NO CRASH IMAGE IS LOADED");
        sim_truth(&loaded, &clobbered);
        ASSERT_EQ(loaded, 0);
        use_sim(conf);
        ASSERT_EQ(run("status", NULL), 3);
        unlink(k2);
}

/* Xen refuses the unload too: the overwritten image stays armed; status must not say loaded. */
TEST(failed_hypercall_and_failed_unload_status_unknown) {
        int loaded, clobbered;

        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        use_sim_failing("fail swap 16 2\nfail unload 16");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_CONTAINS(out, "NO USABLE CRASH IMAGE");
        sim_truth(&loaded, &clobbered);
        ASSERT_EQ(loaded, 1);
        ASSERT_EQ(clobbered, 1);
        use_sim(conf);
        ASSERT_EQ(run("status", NULL), 4);
        ASSERT_CONTAINS(out, "Crash image: unknown");
        ASSERT_CONTAINS(out, "Failed load:");
        ASSERT_EQ(run("status", "--json", NULL), 4);
        ASSERT_CONTAINS(out, "\"loaded\":null");
        /* What the message says to do works. */
        ASSERT_EQ(run("unload", NULL), 0);
        ASSERT_EQ(run("status", NULL), 3);
}

/* A load killed after Xen overwrote the region leaves its mark: unknown, never loaded. */
TEST(killed_load_status_unknown) {
        int loaded, clobbered;

        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        use_sim_failing("fail die 9");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 128);
        sim_truth(&loaded, &clobbered);
        ASSERT_EQ(loaded, 1);
        ASSERT_EQ(clobbered, 1);
        use_sim(conf);
        ASSERT_EQ(run("status", NULL), 4);
        ASSERT_CONTAINS(out, "a load failed or was interrupted");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        ASSERT_EQ(run("status", NULL), 0);
}

/* The same mark written by hand: unknown, and not trusted as the image to restore. */
TEST(interrupted_load_status_unknown) {
        char p[600], line[8192], text[16384] = "";

        reset();
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 0);
        snprintf(p, sizeof(p), "%s/state/state", dir);
        FILE *f = fopen(p, "re");
        ASSERT_TRUE(f != NULL);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "LOAD_FAILED=", 12) != 0)
                        strncat(text, line, sizeof(text) - strlen(text) - 1);
        fclose(f);
        strncat(text, "LOAD_FAILED=1700000000\n", sizeof(text) - strlen(text) - 1);
        write_text(p, text);
        ASSERT_EQ(run("status", NULL), 4);
        ASSERT_CONTAINS(out, "a load failed or was interrupted");
        /* The next load does not trust the marked image: it is not "reloaded" if this one fails. */
        use_sim_failing("fail arch 22");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_FALSE(strstr(out, "loaded again"));
        ASSERT_CONTAINS(out, "NO CRASH IMAGE IS LOADED");
        use_sim(conf);
        ASSERT_EQ(run("status", NULL), 3);
}

/* Nothing was armed: a failed load leaves nothing to repair and says nothing alarming. */
TEST(failed_first_load_with_nothing_armed) {
        int loaded, clobbered;

        reset();
        ASSERT_EQ(run("unload", NULL), 0);              /* the state file now knows: nothing armed */
        use_sim_failing("fail copy 14");
        ASSERT_EQ(run("load", "--kernel", kernel, "--initrd", initrd, NULL), 1);
        ASSERT_CONTAINS(out, "Xen refused the crash image");
        ASSERT_FALSE(strstr(out, "NO CRASH IMAGE"));
        sim_truth(&loaded, &clobbered);
        ASSERT_EQ(loaded, 0);
        use_sim(conf);
        ASSERT_EQ(run("status", NULL), 3);
}

TEST_MAIN()
