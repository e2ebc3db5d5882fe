/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The load cache: what load remembers about its kernel and initramfs must
 * come back for the same bytes and never for changed ones. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "load-cache.h"
#include "load-inputs.h"
#include "loader-fixtures.h"
#include "test.h"

static char dir[64], kpath[128], ipath[128], cpath[256];

/* A private state dir, and files that count as settled at once. */
static void setup(void) {
        char sd[128];

        snprintf(dir, sizeof(dir), "/tmp/test-load-cache.XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(sd, sizeof(sd), "%s/state", dir);
        setenv("XKD_STATE_DIR", sd, 1);
        snprintf(kpath, sizeof(kpath), "%s/vmlinuz", dir);
        snprintf(ipath, sizeof(ipath), "%s/initrd.img", dir);
        snprintf(cpath, sizeof(cpath), "%s/load-cache", sd);
        xkd_file_id_settle_ns = 0;
}

static void teardown(void) {
        char cmd[128];

        xkd_file_id_settle_ns = XKD_FILE_ID_SETTLE_NS;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

static void write_file(const char *path, const void *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                abort();
        close(fd);
}

/* Rewrite size bytes in place (same inode, same size) and put the old mtime back,
 * the way `cp -p` or a careless tool would: only ctime tells. */
static void rewrite_keeping_mtime(const char *path, const void *data, size_t size) {
        struct stat st;
        int fd;

        if (stat(path, &st) < 0)
                abort();
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || pwrite(fd, data, size, 0) != (ssize_t) size)
                abort();
        struct timespec times[2] = { st.st_atim, st.st_mtim };
        if (futimens(fd, times) < 0)
                abort();
        close(fd);
}

/* Two files of a and b bytes: the same archive length for the same a + b,
 * but a different unpacked footprint when the page rounding differs. */
static size_t archive(uint8_t *out, size_t a, size_t b) {
        size_t n = fake_cpio_entry(out, 0, "a", 0100644, NULL, a);
        n = fake_cpio_entry(out, n, "b", 0100644, NULL, b);
        return fake_cpio_entry(out, n, "TRAILER!!!", 0100644, NULL, 0);
}

static void write_kernel(void) {
        size_t size;
        uint8_t *k = fake_bzimage(&(struct fake_kernel) { .payload = 300000, .init_size = 0x800000 }, &size);
        write_file(kpath, k, size);
        free(k);
}

static void file_sha256(const char *path, uint8_t out[XKD_SHA256_DIGEST_SIZE]) {
        void *buf;
        size_t size;
        FILE *f = fopen(path, "re");

        if (!f)
                abort();
        buf = malloc(1 << 20);
        size = fread(buf, 1, 1 << 20, f);
        fclose(f);
        xkd_sha256(buf, size, out);
        free(buf);
}

TEST(file_id_needs_settled_times_and_a_steady_file) {
        struct stat before, after;
        struct timespec now, later;
        struct xkd_file_id id;
        const char data[] = "some bytes";

        setup();
        xkd_file_id_settle_ns = XKD_FILE_ID_SETTLE_NS;
        write_file(kpath, data, sizeof(data));
        ASSERT_EQ(stat(kpath, &before), 0);
        after = before;
        clock_gettime(CLOCK_REALTIME, &now);
        /* Just written: a write in the same clock tick could go unseen. */
        ASSERT_FALSE(xkd_file_id_make(&before, &after, &now, data, sizeof(data), &id));
        later = now;
        later.tv_sec += 10;
        ASSERT_TRUE(xkd_file_id_make(&before, &after, &later, data, sizeof(data), &id));
        ASSERT_TRUE(xkd_file_id_matches(&id, &before));
        /* Changed while it was read, or not the size read. */
        after.st_ctim.tv_nsec ^= 1;
        ASSERT_FALSE(xkd_file_id_make(&before, &after, &later, data, sizeof(data), &id));
        after = before;
        ASSERT_FALSE(xkd_file_id_make(&before, &after, &later, data, sizeof(data) - 1, &id));
        teardown();
}

TEST(entries_round_trip_replace_and_age_out) {
        struct xkd_file_id id = { .dev = 1, .ino = 2, .size = 3, .mtime_ns = 4, .ctime_ns = 5 };
        struct xkd_kernel_cached v = { .static_size = 7, .resident_size = 6 }, got;
        struct xkd_initrd_size is = { .packed = 100, .unpacked = { 3, 1, 50, 9216 }, .compression = XKD_COMP_ZSTD }, igot;
        uint8_t digest[XKD_SHA256_DIGEST_SIZE] = { 0xab };

        setup();
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), -ENOENT);      /* no file yet */
        memset(v.sha256, 0x5a, sizeof(v.sha256));
        ASSERT_EQ(xkd_load_cache_put_kernel(&id, &v), 0);
        ASSERT_EQ(xkd_load_cache_put_initrd(digest, &is), 0);
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), 0);
        ASSERT_MEMEQ(got.sha256, v.sha256, sizeof(v.sha256));
        ASSERT_U64_EQ(got.static_size, 7);
        ASSERT_U64_EQ(got.resident_size, 6);
        ASSERT_EQ(xkd_load_cache_get_initrd(digest, &igot), 0);
        ASSERT_U64_EQ(igot.unpacked.footprint, 9216);
        ASSERT_EQ(igot.compression, XKD_COMP_ZSTD);

        /* Any part of the key differs: a miss. */
        struct xkd_file_id other = id;
        other.ctime_ns++;
        ASSERT_EQ(xkd_load_cache_get_kernel(&other, &got), -ENOENT);
        other = id;
        other.sample[31] ^= 1;
        ASSERT_EQ(xkd_load_cache_get_kernel(&other, &got), -ENOENT);
        digest[1] = 1;
        ASSERT_EQ(xkd_load_cache_get_initrd(digest, &igot), -ENOENT);
        digest[1] = 0;

        /* The same key again replaces; many others push the oldest out. */
        v.static_size = 8;
        ASSERT_EQ(xkd_load_cache_put_kernel(&id, &v), 0);
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), 0);
        ASSERT_U64_EQ(got.static_size, 8);
        for (unsigned i = 0; i < XKD_LOAD_CACHE_MAX_ENTRIES; i++) {
                other = id;
                other.ino = 100 + i;
                ASSERT_EQ(xkd_load_cache_put_kernel(&other, &v), 0);
        }
        ASSERT_EQ(xkd_load_cache_get_kernel(&other, &got), 0);
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), -ENOENT);
        ASSERT_EQ(xkd_load_cache_get_initrd(digest, &igot), -ENOENT);

        struct stat st;
        ASSERT_EQ(stat(cpath, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0600);
        teardown();
}

TEST(garbage_in_the_cache_is_a_miss) {
        struct xkd_file_id id = { .dev = 1, .ino = 2, .size = 3, .mtime_ns = 4, .ctime_ns = 5 };
        struct xkd_kernel_cached v = { .static_size = 7 }, got;
        char line[512], hex[XKD_SHA256_HEX_SIZE];

        setup();
        ASSERT_EQ(xkd_load_cache_put_kernel(&id, &v), 0);
        /* The same key with a short digest, a trailing word, or torn off mid-line. */
        xkd_sha256_to_hex(id.sample, hex);
        snprintf(line, sizeof(line), "K 1 2 3 4 5 %s 00ff 7 0\n", hex);
        write_file(cpath, line, strlen(line));
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), -ENOENT);
        snprintf(line, sizeof(line), "K 1 2 3 4 5 %s %s 7 0 extra\n", hex, hex);
        write_file(cpath, line, strlen(line));
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), -ENOENT);
        snprintf(line, sizeof(line), "K 1 2 3 4 5 %s %s 7 0", hex, hex);
        write_file(cpath, line, strlen(line));
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), -ENOENT);
        line[strlen(line)] = '\n';
        write_file(cpath, line, strlen(line) + 1);
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &got), 0);
        teardown();
}

TEST(changed_kernel_is_hashed_again) {
        struct xkd_load_inputs li;
        uint8_t want[XKD_SHA256_DIGEST_SIZE], buf[1024];

        setup();
        write_kernel();
        ASSERT_EQ(xkd_load_inputs_read(kpath, NULL, &li), 0);
        ASSERT_EQ(li.cache_hits, 0);
        ASSERT_TRUE(li.measured);
        file_sha256(kpath, want);
        ASSERT_MEMEQ(li.kernel_sha256, want, sizeof(want));
        xkd_load_inputs_done(&li);

        ASSERT_EQ(xkd_load_inputs_read(kpath, NULL, &li), 0);
        ASSERT_EQ(li.cache_hits, 1);
        ASSERT_MEMEQ(li.kernel_sha256, want, sizeof(want));
        ASSERT_U64_EQ(li.kernel_facts.init_size, 0x800000);     /* header facts are never cached */
        xkd_load_inputs_done(&li);

        /* Same inode, same size, same mtime, other bytes (in the middle, away from the samples). */
        int fd = open(kpath, O_RDONLY | O_CLOEXEC);
        ASSERT_EQ(pread(fd, buf, sizeof(buf), 150000), (ssize_t) sizeof(buf));
        close(fd);
        buf[0] ^= 0xff;
        fd = open(kpath, O_WRONLY | O_CLOEXEC);
        struct stat st;
        ASSERT_EQ(fstat(fd, &st), 0);
        ASSERT_EQ(pwrite(fd, buf, 1, 150000), 1);
        struct timespec times[2] = { st.st_atim, st.st_mtim };
        ASSERT_EQ(futimens(fd, times), 0);
        close(fd);

        ASSERT_EQ(xkd_load_inputs_read(kpath, NULL, &li), 0);
        ASSERT_EQ(li.cache_hits, 0);
        uint8_t now[XKD_SHA256_DIGEST_SIZE];
        file_sha256(kpath, now);
        ASSERT_TRUE(memcmp(now, want, sizeof(now)) != 0);
        ASSERT_MEMEQ(li.kernel_sha256, now, sizeof(now));
        xkd_load_inputs_done(&li);
        teardown();
}

TEST(changed_initrd_is_measured_again) {
        static uint8_t a[16384], b[16384];
        struct xkd_load_inputs li;
        struct xkd_initrd_size fresh;
        uint8_t want[XKD_SHA256_DIGEST_SIZE];
        size_t na = archive(a, 5000, 3000), nb = archive(b, 4000, 4000);

        setup();
        ASSERT_EQ(na, nb);
        write_kernel();
        write_file(ipath, a, na);
        ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
        ASSERT_EQ(li.cache_hits, 0);
        ASSERT_U64_EQ(li.initrd_facts.unpacked.footprint, 3 * 4096 + 2 * XKD_TMPFS_INODE_COST);
        xkd_load_inputs_done(&li);
        ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
        ASSERT_EQ(li.cache_hits, 2);
        ASSERT_U64_EQ(li.initrd_facts.unpacked.footprint, 3 * 4096 + 2 * XKD_TMPFS_INODE_COST);
        file_sha256(ipath, want);
        ASSERT_MEMEQ(li.initrd_sha256, want, sizeof(want));
        xkd_load_inputs_done(&li);

        rewrite_keeping_mtime(ipath, b, nb);
        ASSERT_EQ(xkd_initrd_measure_quiet(ipath, &fresh), 0);
        ASSERT_U64_EQ(fresh.unpacked.footprint, 2 * 4096 + 2 * XKD_TMPFS_INODE_COST);
        ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
        ASSERT_EQ(li.cache_hits, 1);                    /* the kernel only */
        ASSERT_U64_EQ(li.initrd_facts.unpacked.footprint, fresh.unpacked.footprint);
        file_sha256(ipath, want);
        ASSERT_MEMEQ(li.initrd_sha256, want, sizeof(want));
        xkd_load_inputs_done(&li);

        /* Back to the first content: its entry is still good (content addressed). */
        rewrite_keeping_mtime(ipath, a, na);
        ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
        ASSERT_EQ(li.cache_hits, 2);
        ASSERT_U64_EQ(li.initrd_facts.unpacked.footprint, 3 * 4096 + 2 * XKD_TMPFS_INODE_COST);
        xkd_load_inputs_done(&li);
        teardown();
}

/* A just-written kernel is not remembered by its identity (a write in the same
 * clock tick could hide); the initramfs, measured from the very bytes hashed,
 * is remembered by its digest whatever its times. */
TEST(fresh_kernel_is_not_cached_by_identity) {
        struct xkd_load_inputs li;
        static uint8_t a[16384];
        size_t na = archive(a, 5000, 3000);

        setup();
        xkd_file_id_settle_ns = XKD_FILE_ID_SETTLE_NS;
        write_kernel();
        write_file(ipath, a, na);
        ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
        ASSERT_TRUE(li.measured);
        ASSERT_EQ(li.cache_hits, 0);
        xkd_load_inputs_done(&li);
        ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
        ASSERT_EQ(li.cache_hits, 1);
        ASSERT_U64_EQ(li.initrd_facts.unpacked.footprint, 3 * 4096 + 2 * XKD_TMPFS_INODE_COST);
        xkd_load_inputs_done(&li);
        struct xkd_kernel_cached kc;
        struct xkd_file_id id;
        struct stat st;
        struct timespec later;
        uint8_t *k = malloc(1 << 20);
        FILE *f = fopen(kpath, "re");
        size_t n = fread(k, 1, 1 << 20, f);
        fclose(f);
        ASSERT_EQ(stat(kpath, &st), 0);
        clock_gettime(CLOCK_REALTIME, &later);
        later.tv_sec += 10;
        ASSERT_TRUE(xkd_file_id_make(&st, &st, &later, k, n, &id));
        ASSERT_EQ(xkd_load_cache_get_kernel(&id, &kc), -ENOENT);
        free(k);
        teardown();
}

TEST(an_unwritable_cache_only_costs_time) {
        struct xkd_load_inputs li;
        uint8_t want[XKD_SHA256_DIGEST_SIZE];
        char blocker[160];

        setup();
        write_kernel();
        /* The state "directory" is a regular file: nothing can be stored under it. */
        snprintf(blocker, sizeof(blocker), "%s/state", dir);
        write_file(blocker, "x", 1);
        for (int i = 0; i < 2; i++) {
                ASSERT_EQ(xkd_load_inputs_read(kpath, NULL, &li), 0);
                ASSERT_EQ(li.cache_hits, 0);
                file_sha256(kpath, want);
                ASSERT_MEMEQ(li.kernel_sha256, want, sizeof(want));
                xkd_load_inputs_done(&li);
        }
        teardown();
}

/* Minimum searches switch the run-time check off: nothing measured or stored. */
TEST(unchecked_runtime_measures_nothing) {
        struct xkd_load_inputs li;
        uint8_t want[XKD_SHA256_DIGEST_SIZE];
        struct stat st;

        setup();
        write_kernel();
        setenv("XKD_LOAD_UNCHECKED_RUNTIME", "1", 1);
        ASSERT_EQ(xkd_load_inputs_read(kpath, NULL, &li), 0);
        unsetenv("XKD_LOAD_UNCHECKED_RUNTIME");
        ASSERT_FALSE(li.measured);
        file_sha256(kpath, want);
        ASSERT_MEMEQ(li.kernel_sha256, want, sizeof(want));
        ASSERT_EQ(stat(cpath, &st), -1);
        xkd_load_inputs_done(&li);
        teardown();
}

/* dracut's shape: a raw early archive, then the compressed main one.  From
 * memory or from the file, the same measurement; a tool's format (bzip2)
 * cannot be measured from memory, and load then measures the file. */
TEST(initrd_measured_in_memory_like_from_the_file) {
        static const char *const cmds[] = { "gzip -c", "zstd -q -c", "xz -c --check=crc32", "bzip2 -c" };
        static uint8_t early[4096], main_part[65536];
        size_t ne = archive(early, 100, 20), nm = archive(main_part, 30000, 7000);
        struct xkd_initrd_size from_file, from_data;
        struct xkd_load_inputs li;
        char cmd[512];

        setup();
        write_kernel();
        for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                write_file(ipath, early, ne);
                snprintf(cmd, sizeof(cmd), "%s >> '%s'", cmds[i], ipath);
                FILE *f = popen(cmd, "w");
                ASSERT_TRUE(f != NULL);
                ASSERT_EQ(fwrite(main_part, 1, nm, f), nm);
                ASSERT_EQ(pclose(f), 0);

                ASSERT_EQ(xkd_initrd_measure_quiet(ipath, &from_file), 0);
                ASSERT_U64_EQ(from_file.unpacked.footprint, (1 + 1 + 8 + 2) * 4096 + 4 * XKD_TMPFS_INODE_COST);
                uint8_t *buf = malloc(from_file.packed);
                f = fopen(ipath, "re");
                ASSERT_EQ(fread(buf, 1, from_file.packed, f), from_file.packed);
                fclose(f);
                int r = xkd_initrd_measure_data(buf, from_file.packed, ipath, &from_data);
                free(buf);
                if (i == 3) {
                        ASSERT_EQ(r, -EOPNOTSUPP);
                } else {
                        ASSERT_EQ(r, 0);
                        ASSERT_MEMEQ(&from_data, &from_file, sizeof(from_file));
                }
                ASSERT_EQ(xkd_load_inputs_read(kpath, ipath, &li), 0);
                ASSERT_TRUE(li.measured);
                ASSERT_MEMEQ(&li.initrd_facts, &from_file, sizeof(from_file));
                xkd_load_inputs_done(&li);
        }
        teardown();
}

/* kB of VmHWM (peak RSS) of this process. */
static long peak_rss_kb(void) {
        char line[256];
        long kb = -1;
        FILE *f = fopen("/proc/self/status", "re");

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb;
}

/* An initramfs of 1.9 GB (sparse: no disk) against a 256 MiB crash region is
 * refused from its size, before it is read: no time, no memory.  Measured in a
 * child so the peak RSS is this call's alone. */
TEST(huge_initrd_refused_before_it_is_read) {
        struct { int r; long before_kb, after_kb; double seconds; } m = { 0 };
        struct xkd_range crash = { 0x69d8d000ULL, 256ULL << 20 };
        int p[2], status;

        setup();
        write_kernel();
        int fd = open(ipath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(ftruncate(fd, 1900LL << 20), 0);
        close(fd);
        ASSERT_EQ(pipe(p), 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                struct xkd_load_inputs li;
                struct timespec t0, t1;
                close(p[0]);
                m.before_kb = peak_rss_kb();
                clock_gettime(CLOCK_MONOTONIC, &t0);
                m.r = xkd_load_inputs_read_for(kpath, ipath, &crash, &li);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                m.after_kb = peak_rss_kb();
                m.seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
                if (m.r == 0)
                        xkd_load_inputs_done(&li);
                if (write(p[1], &m, sizeof(m)) != (ssize_t) sizeof(m))
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        ASSERT_EQ(read(p[0], &m, sizeof(m)), (ssize_t) sizeof(m));
        close(p[0]);
        waitpid(pid, &status, 0);
        printf("# huge initrd: refused in %.3f s, peak RSS %ld kB -> %ld kB\n", m.seconds, m.before_kb, m.after_kb);
        ASSERT_EQ(m.r, -ENOSPC);
        ASSERT_TRUE(m.before_kb > 0);
        ASSERT_LT(m.after_kb - m.before_kb, 16 * 1024);
        ASSERT_TRUE(m.seconds < 1.0);
        teardown();
}

TEST(region_check_refuses_only_what_cannot_fit) {
        struct xkd_range crash = { 0x69d8d000ULL, 256ULL << 20 };
        size_t size;
        uint8_t *k = fake_bzimage(&(struct fake_kernel) { .payload = 300000, .init_size = 0x800000 }, &size);

        stderr_capture_begin();
        ASSERT_EQ(xkd_image_check_region(&crash, k, size, 200ULL << 20), 0);
        ASSERT_EQ(xkd_image_check_region(&crash, k, size, 260ULL << 20), -ENOSPC);
        ASSERT_CONTAINS(stderr_capture_end(), "The crash region is 256 MiB but this capture image needs");
        crash.size = 0;
        stderr_capture_begin();
        ASSERT_EQ(xkd_image_check_region(&crash, k, size, 1), -ENXIO);
        ASSERT_CONTAINS(stderr_capture_end(), "Xen has no crash region reserved");
        free(k);
}

TEST_MAIN()
