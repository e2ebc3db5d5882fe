/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capture's own bound (--time-limit): when it runs out the collector
 * stops, keeps what it wrote, leaves the dump marked incomplete with the
 * reason, and returns an error, so the capture can reboot the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect-host.h"
#include "collect.h"
#include "filter.h"
#include "kcheck.h"
#include "kdump-writer.h"
#include "save.h"
#include "sink.h"
#include "test.h"
#include "vmcore-gen.h"

static void sleep_ms(long ms) {
        nanosleep(&(struct timespec) { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 }, NULL);
}

static void read_marker(const char *dir, char *text, size_t size) {
        char file[PATH_MAX + 32];
        int fd;
        ssize_t n;

        text[0] = '\0';
        snprintf(file, sizeof(file), "%s/%s", dir, XKD_SAVE_MARKER);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        n = read(fd, text, size - 1);
        text[n > 0 ? n : 0] = '\0';
        close(fd);
}

/* The only dump directory in out, once it holds report.txt. */
static bool find_dump(const char *out, char *path, size_t size) {
        DIR *d = opendir(out);
        struct dirent *e;
        bool found = false;

        if (!d)
                return false;
        while (!found && (e = readdir(d)))
                if (e->d_name[0] != '.') {
                        snprintf(path, size, "%s/%s", out, e->d_name);
                        found = exists_at(path, "report.txt");
                }
        closedir(d);
        return found;
}

/* The writer alone: past its deadline it writes the headers, no page, and
 * says -ETIMEDOUT; the header still says incomplete. */
TEST(writer_past_its_deadline_stops_with_an_incomplete_header) {
        struct host h;
        struct xkd_vmcore *vm = NULL;
        struct xkd_sink *sink = NULL;
        struct xkd_kdump_writer *w = NULL;
        struct xkd_kdump_result res;
        struct xkd_bitmap ram, dump;
        struct xkd_filter_stats st;
        struct kcheck k;
        char file[PATH_MAX];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        ASSERT_EQ(xkd_vmcore_open(h.vmcore, &vm), 0);
        ASSERT_EQ(xkd_filter_build(vm, NULL, 0, &ram, &dump, &st), 0);
        snprintf(file, sizeof(file), "%s/out", h.dir);
        int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(xkd_sink_file_new(fd, 0, &sink), 0);
        ASSERT_EQ(xkd_kdump_writer_new(vm, sink, &(struct xkd_kdump_options) { .deadline_ns = xkd_monotonic_ns() - 1 },
                                       &w), 0);
        ASSERT_EQ(xkd_kdump_write(w, &ram, &dump, &res), -ETIMEDOUT);
        ASSERT_U64_EQ(res.pages_done, 0);
        ASSERT_TRUE(res.pages > 0);
        ASSERT_EQ(xkd_kdump_set_complete(w, false), 0);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_TRUE(k.header.status & KDUMP_INCOMPLETE);
        kcheck_close(&k);
        xkd_kdump_writer_free(w);
        sink->free(sink);
        close(fd);
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_vmcore_free(vm);
        free_host(&h);
}

/* The whole collection with --time-limit 1, held up (SIGSTOP, as a hung disk
 * or a slow /proc/vmcore would) once its report is written: it finishes
 * with an incomplete dump saying why, and fails. */
TEST(time_limit_stops_the_collection_and_marks_the_dump_incomplete) {
        struct host h;
        char path[PATH_MAX], text[1024], file[PATH_MAX + 32];
        struct kcheck k;
        int status;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .ram_size = 32u << 20 });
        /* Pages that compress to something: writing takes a while. */
        for (uint64_t m = 1024; m < 5000; m++)
                for (unsigned i = 0; !vmgen_is_xen_page(h.g, m) && i < 4096; i += 8) {
                        uint64_t v = m * 0x9e3779b97f4a7c15ull ^ i * 0xbf58476d1ce4e5b9ull;
                        memcpy(vmgen_page(h.g, m) + i, &v, 8);
                }
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);

        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                struct xkd_collect_options o = host_opts(&h);
                struct xkd_collect_result res;
                o.time_limit = 1;
                _exit(xkd_collect(&o, &res) < 0 ? 1 : 0);
        }
        uint64_t t0 = xkd_monotonic_ns();
        while (!find_dump(h.out, path, sizeof(path)) && xkd_monotonic_ns() - t0 < UINT64_C(30000000000))
                sleep_ms(1);
        kill(pid, SIGSTOP);
        sleep_ms(1300);
        kill(pid, SIGCONT);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 1);

        read_marker(path, text, sizeof(text));
        ASSERT_CONTAINS(text, "the time limit (--time-limit 1 s) ran out after");
        ASSERT_TRUE(exists_at(path, XKD_SAVE_VMCORE_PARTIAL));
        ASSERT_FALSE(exists_at(path, XKD_SAVE_VMCORE));
        snprintf(file, sizeof(file), "%s/%s", path, XKD_SAVE_VMCORE_PARTIAL);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_TRUE(k.header.status & KDUMP_INCOMPLETE);
        kcheck_close(&k);
        ASSERT_TRUE(file_contains(path, "report.txt", "incomplete: the time limit"));
        free_host(&h);
}

/* Without a limit the same collection is complete (the test above fails for the limit, not the host). */
TEST(same_host_without_a_limit_is_complete) {
        struct host h;
        struct xkd_collect_options o;
        struct xkd_collect_result res;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .ram_size = 32u << 20 });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        free_host(&h);
}

/* makedumpfile that never ends: killed at the limit, its partial file kept and marked. */
TEST(time_limit_kills_a_hung_makedumpfile_and_keeps_its_partial_file) {
        struct host h;
        struct xkd_collect_options o;
        struct xkd_collect_result res;
        char p[PATH_MAX], path[8192];
        char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        snprintf(p, sizeof(p), "%s/bin", h.dir);
        ASSERT_EQ(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/bin/makedumpfile", h.dir);
        FILE *f = fopen(p, "we");
        fputs("#!/bin/sh\necho partial > \"$6\"\nexec sleep 60\n", f);
        fclose(f);
        ASSERT_EQ(chmod(p, 0700), 0);
        snprintf(path, sizeof(path), "%s/bin:%s", h.dir, old_path);
        setenv("PATH", path, 1);

        o = host_opts(&h);
        o.engine = XKD_ENGINE_MAKEDUMPFILE;
        o.time_limit = 1;
        uint64_t t0 = xkd_monotonic_ns();
        ASSERT_EQ(xkd_collect(&o, &res), -ETIMEDOUT);
        setenv("PATH", old_path, 1);
        free(old_path);
        ASSERT_TRUE(xkd_monotonic_ns() - t0 < UINT64_C(20) * 1000000000);
        ASSERT_CONTAINS(res.reason, "the time limit (--time-limit 1 s) ran out while makedumpfile");
        ASSERT_TRUE(exists_at(res.path, XKD_SAVE_MARKER));
        ASSERT_TRUE(exists_at(res.path, XKD_SAVE_VMCORE_PARTIAL));
        ASSERT_FALSE(exists_at(res.path, XKD_SAVE_VMCORE));
        ASSERT_TRUE(file_contains(res.path, XKD_SAVE_VMCORE_PARTIAL, "partial"));
        free_host(&h);
}

TEST_MAIN()
