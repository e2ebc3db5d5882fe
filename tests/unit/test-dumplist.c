/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Saved dumps as list/info/debug see them: real dump directories written by
 * the collector from synthetic Xen vmcores, then damaged the ways a crash can
 * damage them (cut short, marker left, temporary names, flagged headers,
 * corrupt reports).  An incomplete dump must never come out COMPLETE.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect-host.h"
#include "dumplist.h"
#include "kdump-format.h"
#include "log.h"
#include "save.h"
#include "test.h"
#include "vmcore-gen.h"

/* 2026-11-28 09:00:00 UTC plus minutes, so dumps sort in a known order. */
static time_t at(unsigned minutes) {
        return (time_t) 1795856400 + (time_t) minutes * 60;
}

/* One collected dump in h->out; returns its directory. */
static void collect_one(struct host *h, unsigned minutes, char *path, size_t size) {
        struct xkd_collect_options o = host_opts(h);
        struct xkd_collect_result res;

        o.now = at(minutes);
        xkd_collect(&o, &res);
        snprintf(path, size, "%s", res.path);
}

static void write_at(const char *dir, const char *name, const void *data, size_t n) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, data, n) != (ssize_t) n)
                abort();
        close(fd);
}

static struct xkd_dump scan_one(const char *dir) {
        struct xkd_dump *v = NULL, d;
        size_t n = 0;

        memset(&d, 0, sizeof(d));
        if (xkd_dumps_scan(dir, &v, &n) < 0 || n != 1)
                d.state = (enum xkd_dump_state) 99;
        else
                d = v[0];
        free(v);
        return d;
}

TEST(names) {
        char stamp[16];
        bool temp;

        ASSERT_TRUE(xkd_dump_name_is_dump("vmhost-20261128-102849", stamp, &temp));
        ASSERT_STREQ(stamp, "20261128-102849");
        ASSERT_FALSE(temp);
        ASSERT_TRUE(xkd_dump_name_is_dump("a-b-20261128-102849.3", stamp, &temp));
        ASSERT_TRUE(xkd_dump_name_is_dump(".xen-20261128-102849.incomplete", stamp, &temp));
        ASSERT_TRUE(temp);
        ASSERT_STREQ(stamp, "20261128-102849");
        ASSERT_FALSE(xkd_dump_name_is_dump("-20261128-102849", stamp, NULL));
        ASSERT_FALSE(xkd_dump_name_is_dump("vmhost-2026112-102849", stamp, NULL));
        ASSERT_FALSE(xkd_dump_name_is_dump("vmhost-20261128-102849.x", stamp, NULL));
        ASSERT_FALSE(xkd_dump_name_is_dump(".vmhost-20261128-102849", stamp, NULL));
        ASSERT_FALSE(xkd_dump_name_is_dump(".incomplete", stamp, NULL));
        ASSERT_FALSE(xkd_dump_name_is_dump("lost+found", stamp, NULL));
        ASSERT_FALSE(xkd_dump_name_is_dump("", stamp, NULL));
}

TEST(complete_dump_from_the_collector) {
        struct host h;
        char path[PATH_MAX];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .crashing_cpu = 1, .extra_version = ".3-unit", .loadinfo = true });
        collect_one(&h, 0, path, sizeof(path));
        struct xkd_dump d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_COMPLETE);
        ASSERT_STREQ(d.why, "");
        ASSERT_EQ(d.index, 1);
        ASSERT_STREQ(d.path, path);
        ASSERT_STREQ(d.file, "vmcore");
        ASSERT_EQ(d.header.format, XKD_DUMP_FORMAT_KDUMP);
        ASSERT_STREQ(d.header.compression, "zstd");
        ASSERT_FALSE(d.header.flagged_incomplete);
        ASSERT_FALSE(d.header.truncated);
        ASSERT_STREQ(d.header.release, "6.1.0-vmgen-amd64");
        ASSERT_TRUE(d.report.valid);
        ASSERT_STREQ(d.report.xen_version, "4.17.3-unit");
        ASSERT_EQ(d.report.crashing_cpu, 1);
        ASSERT_STREQ(d.report.dump_status, "complete");
        ASSERT_STREQ(d.what, "dom0");
        ASSERT_EQ(d.file_mode, 0600);
        ASSERT_EQ(d.dir_mode, 0700);
        ASSERT_TRUE(d.size > 4096);
        /* No wall clock from Xen here: the directory's stamp, as written. */
        char want[32];
        struct tm tm;
        time_t t = at(0);
        localtime_r(&t, &tm);
        strftime(want, sizeof(want), "%Y-%m-%d %H:%M:%S", &tm);
        ASSERT_STREQ(d.time, want);
        ASSERT_STREQ(d.time_source, "directory-name");
        char fmt[32];
        xkd_dump_format_name(&d.header, fmt, sizeof(fmt));
        ASSERT_STREQ(fmt, "kdump-zstd");

        /* The release is the dump's own (its VMCOREINFO), not only the report's. */
        char rp[PATH_MAX + 32];
        snprintf(rp, sizeof(rp), "%s/report.json", path);
        ASSERT_EQ(unlink(rp), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_COMPLETE);
        ASSERT_FALSE(d.report.present);
        ASSERT_STREQ(d.header.release, "6.1.0-vmgen-amd64");
        ASSERT_STREQ(d.what, "unknown");
        free_host(&h);
}

TEST(what_crashed_xen_panic_and_debug_key) {
        struct host h;
        char path[PATH_MAX];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .no_console_message = true, .loadinfo = true });
        vmgen_console_write(h.g, "(XEN) ****************************************\n(XEN) Panic on CPU 1:\n"
                                 "(XEN) FATAL TRAP: vector = 6 (invalid opcode)\n"
                                 "(XEN) ****************************************\n"
                                 "(XEN) Executing kexec image on cpu1\n");
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);
        collect_one(&h, 0, path, sizeof(path));
        struct xkd_dump d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_COMPLETE);
        ASSERT_STREQ(d.what, "xen-panic");
        ASSERT_TRUE(strstr(d.report.reason, "FATAL TRAP") != NULL);
        ASSERT_EQ(d.report.crashing_cpu, 1);
        free_host(&h);

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .no_console_message = true, .loadinfo = true });
        vmgen_console_write(h.g, "(XEN) [2026-11-28 08:59:58.120] 'C' pressed -> triggering crashdump\n"
                                 "(XEN) [2026-11-28 08:59:58.121] Executing kexec image on cpu0\n");
        ASSERT_EQ(vmgen_write(h.g, h.vmcore), 0);
        collect_one(&h, 0, path, sizeof(path));
        d = scan_one(h.out);
        ASSERT_STREQ(d.what, "debug-key");
        ASSERT_EQ(d.report.crashing_cpu, 0);
        /* Xen printed a date: that is the crash time, not the capture's stamp. */
        ASSERT_STREQ(d.time, "2026-11-28 08:59:58");
        ASSERT_STREQ(d.time_source, "xen-console");
        free_host(&h);
}

TEST(incomplete_from_the_collector_itself) {
        struct host h;
        char path[PATH_MAX];

        /* No CPU notes: the collector keeps the memory but never declares it complete. */
        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .no_cpu_notes = true });
        collect_one(&h, 0, path, sizeof(path));
        ASSERT_TRUE(exists_at(path, XKD_SAVE_MARKER));
        struct xkd_dump d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(d.why, "INCOMPLETE marker") != NULL);
        ASSERT_TRUE(strstr(d.why, "lacks ELF notes") != NULL);
        ASSERT_STREQ(d.file, "vmcore.incomplete");
        ASSERT_TRUE(d.header.flagged_incomplete);

        /* Each sign alone is enough: drop the marker, the temporary name still says it. */
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/%s", path, XKD_SAVE_MARKER);
        ASSERT_EQ(unlink(p), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(d.why, "vmcore.incomplete") != NULL);

        /* Renamed to vmcore too: the header's flag still says it. */
        char q[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/vmcore.incomplete", path);
        snprintf(q, sizeof(q), "%s/vmcore", path);
        ASSERT_EQ(rename(p, q), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(d.why, "flagged incomplete") != NULL);

        /* Flag cleared by hand: report.json's dump status still says it. */
        int fd = open(q, O_RDWR);
        uint32_t status;
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(pread(fd, &status, 4, offsetof(struct kdump_disk_dump_header, status)), 4);
        status &= ~KDUMP_INCOMPLETE;
        ASSERT_EQ(pwrite(fd, &status, 4, offsetof(struct kdump_disk_dump_header, status)), 4);
        close(fd);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strncmp(d.why, "report.json: incomplete", 23) == 0);
        free_host(&h);
}

TEST(damaged_after_a_complete_save) {
        struct host h;
        char path[PATH_MAX], p[PATH_MAX + 32];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        collect_one(&h, 0, path, sizeof(path));
        ASSERT_EQ(scan_one(h.out).state, XKD_DUMP_COMPLETE);

        /* One byte short, then half: page data past the end, headers intact. */
        snprintf(p, sizeof(p), "%s/vmcore", path);
        struct stat st;
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(truncate(p, st.st_size - 1), 0);
        struct xkd_dump d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(d.why, "shorter") != NULL);
        ASSERT_EQ(truncate(p, st.st_size / 2), 0);
        ASSERT_EQ(scan_one(h.out).state, XKD_DUMP_INCOMPLETE);
        ASSERT_EQ(truncate(p, st.st_size), 0);  /* structure only: zeros where data was are not caught */
        ASSERT_EQ(scan_one(h.out).state, XKD_DUMP_COMPLETE);

        /* Cut in the middle of the bitmaps: shorter than the header says. */
        ASSERT_EQ(truncate(p, 4096 * 2 + 100), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(d.why, "shorter") != NULL);

        /* Zeroed: not a dump at all. */
        ASSERT_EQ(truncate(p, 0), 0);
        ASSERT_EQ(truncate(p, 8192), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_EQ(d.header.format, XKD_DUMP_FORMAT_UNKNOWN);

        /* No vmcore at all. */
        ASSERT_EQ(unlink(p), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_STREQ(d.why, "there is no vmcore file");
        free_host(&h);
}

TEST(capture_script_layouts) {
        char dir[] = "/tmp/xkd-dumplist-XXXXXX", p[PATH_MAX];
        static uint8_t buf[8192];

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        /* The ssh receiver's temporary directory, a flattened stream cut off mid-way. */
        snprintf(p, sizeof(p), "%s/.xen-20261128-090000.incomplete", dir);
        ASSERT_EQ(mkdir(p, 0700), 0);
        memset(buf, 0, sizeof(buf));
        memcpy(buf, KDUMP_FLAT_SIGNATURE, strlen(KDUMP_FLAT_SIGNATURE));
        write_at(p, "vmcore.flat", buf, sizeof(buf));
        /* ... and a finished one, its end marker in place. */
        snprintf(p, sizeof(p), "%s/xen-20261128-091000", dir);
        ASSERT_EQ(mkdir(p, 0700), 0);
        memset(buf + sizeof(buf) - 16, 0xff, 16);
        write_at(p, "vmcore.flat", buf, sizeof(buf));
        /* makedumpfile -E: an ELF core whose PT_LOAD runs past the end of the file. */
        snprintf(p, sizeof(p), "%s/xen-20261128-092000", dir);
        ASSERT_EQ(mkdir(p, 0700), 0);
        memset(buf, 0, sizeof(buf));
        Elf64_Ehdr *eh = (Elf64_Ehdr *) buf;
        memcpy(eh->e_ident, ELFMAG, SELFMAG);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_ident[EI_DATA] = ELFDATA2LSB;
        eh->e_type = ET_CORE;
        eh->e_phoff = sizeof(*eh);
        eh->e_phentsize = sizeof(Elf64_Phdr);
        eh->e_phnum = 1;
        Elf64_Phdr *ph = (Elf64_Phdr *) (buf + sizeof(*eh));
        ph->p_type = PT_LOAD;
        ph->p_offset = 4096;
        ph->p_filesz = 1 << 20;
        write_at(p, "vmcore", buf, sizeof(buf));
        const char *dmesg = "[    0.000000] Linux version 6.1.0-56-amd64\n"
                            "[   12.000000] Kernel panic - not syncing: sysrq triggered crash\n[   12.1] ---[ end ]---\n";
        write_at(p, "dmesg.txt", dmesg, strlen(dmesg));
        /* Not dumps: ignored. */
        snprintf(p, sizeof(p), "%s/lost+found", dir);
        ASSERT_EQ(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/xen-20261128-093000", dir);
        write_at(dir, "xen-20261128-093000", "a file", 6);

        struct xkd_dump *v;
        size_t n;
        ASSERT_EQ(xkd_dumps_scan(dir, &v, &n), 0);
        ASSERT_EQ(n, 3);
        ASSERT_STREQ(v[0].name, ".xen-20261128-090000.incomplete");
        ASSERT_EQ(v[0].state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(v[0].why, "temporary name") != NULL);
        ASSERT_EQ(v[0].header.format, XKD_DUMP_FORMAT_FLAT);
        ASSERT_TRUE(v[0].header.truncated);
        ASSERT_EQ(v[1].state, XKD_DUMP_COMPLETE);
        ASSERT_EQ(v[1].header.format, XKD_DUMP_FORMAT_FLAT);
        ASSERT_EQ(v[2].state, XKD_DUMP_INCOMPLETE);
        ASSERT_EQ(v[2].header.format, XKD_DUMP_FORMAT_ELF);
        ASSERT_TRUE(v[2].header.truncated);
        ASSERT_EQ(v[2].index, 3);
        ASSERT_STREQ(v[2].what, "dom0");        /* no report: dom0's own log said it */
        ASSERT_STREQ(v[2].dmesg_panic, "Kernel panic - not syncing: sysrq triggered crash");
        ASSERT_STREQ(v[1].what, "unknown");
        free(v);

        /* Growing the ELF file to cover its PT_LOAD makes it complete. */
        snprintf(p, sizeof(p), "%s/xen-20261128-092000/vmcore", dir);
        ASSERT_EQ(truncate(p, 4096 + (1 << 20)), 0);
        struct xkd_dump d;
        ASSERT_EQ(xkd_dumps_find(dir, "3", &d), 0);
        ASSERT_EQ(d.state, XKD_DUMP_COMPLETE);
        rm_rf(dir);
}

/* The ssh target's layout: the collector's flattened stream saved as vmcore.flat. */
static void stream_to(struct host *h, const char *dumpdir) {
        struct xkd_collect_options o = host_opts(h);
        struct xkd_collect_result res;
        char p[PATH_MAX + 32];

        ASSERT_EQ(mkdir(dumpdir, 0700), 0);
        snprintf(p, sizeof(p), "%s/vmcore.flat", dumpdir);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_TRUE(fd >= 0);
        o.output = "-";
        o.stream_fd = fd;
        xkd_collect(&o, &res);
        close(fd);
}

TEST(flattened_stream_from_the_collector) {
        struct host h;
        char d1[PATH_MAX], d2[PATH_MAX], p[PATH_MAX + 32];

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        ASSERT_EQ(mkdir(h.out, 0700), 0);
        snprintf(d1, sizeof(d1), "%s/xen-20261128-090000", h.out);
        stream_to(&h, d1);
        struct xkd_dump d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_COMPLETE);
        ASSERT_EQ(d.header.format, XKD_DUMP_FORMAT_FLAT);
        ASSERT_STREQ(d.header.compression, "zstd");
        ASSERT_FALSE(d.header.flagged_incomplete);
        /* dom0's release from the notes inside the stream's records. */
        ASSERT_STREQ(d.header.release, "6.1.0-vmgen-amd64");

        /* The transfer stopped before the end marker. */
        snprintf(p, sizeof(p), "%s/vmcore.flat", d1);
        struct stat st;
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(truncate(p, st.st_size - 16), 0);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(strstr(d.why, "end marker") != NULL);
        free_host(&h);

        /* A stream the collector itself declared incomplete (no CPU notes): the header says so. */
        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .no_cpu_notes = true });
        ASSERT_EQ(mkdir(h.out, 0700), 0);
        snprintf(d2, sizeof(d2), "%s/xen-20261128-090000", h.out);
        stream_to(&h, d2);
        d = scan_one(h.out);
        ASSERT_EQ(d.state, XKD_DUMP_INCOMPLETE);
        ASSERT_TRUE(d.header.flagged_incomplete);
        free_host(&h);
}

TEST(find_by_index_name_path_latest) {
        struct host h;
        char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
        struct xkd_dump d;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        collect_one(&h, 30, p2, sizeof(p2));
        collect_one(&h, 0, p1, sizeof(p1));
        collect_one(&h, 30, p3, sizeof(p3));     /* same second: ".1" */
        ASSERT_TRUE(strstr(p3, ".1") != NULL);

        struct xkd_dump *v;
        size_t n;
        ASSERT_EQ(xkd_dumps_scan(h.out, &v, &n), 0);
        ASSERT_EQ(n, 3);
        ASSERT_STREQ(v[0].path, p1);
        ASSERT_STREQ(v[1].path, p2);
        ASSERT_STREQ(v[2].path, p3);
        free(v);

        ASSERT_EQ(xkd_dumps_find(h.out, "latest", &d), 0);
        ASSERT_STREQ(d.path, p3);
        ASSERT_EQ(xkd_dumps_find(h.out, NULL, &d), 0);
        ASSERT_STREQ(d.path, p3);
        ASSERT_EQ(xkd_dumps_find(h.out, "1", &d), 0);
        ASSERT_STREQ(d.path, p1);
        ASSERT_EQ(d.index, 1);
        ASSERT_EQ(xkd_dumps_find(h.out, strrchr(p2, '/') + 1, &d), 0);
        ASSERT_STREQ(d.path, p2);
        ASSERT_EQ(xkd_dumps_find("/nonexistent", p2, &d), 0);      /* a path needs no dir */
        ASSERT_STREQ(d.path, p2);
        ASSERT_EQ(d.state, XKD_DUMP_COMPLETE);
        ASSERT_EQ(xkd_dumps_find(h.out, "4", &d), -ENOENT);
        ASSERT_EQ(xkd_dumps_find(h.out, "0", &d), -ENOENT);
        ASSERT_EQ(xkd_dumps_find(h.out, "nosuch", &d), -ENOENT);
        ASSERT_EQ(xkd_dumps_find(h.dir, "/etc/passwd", &d) < 0, 1);
        ASSERT_EQ(xkd_dumps_find("/nonexistent", "latest", &d), -ENOENT);
        free_host(&h);
}

TEST(root_only_dumps_are_unreadable_never_complete) {
        struct host h;
        char path[PATH_MAX];
        int status;

        if (geteuid() != 0) {
                TEST_SKIP("needs root to drop privileges");
        }
        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        collect_one(&h, 0, path, sizeof(path));
        ASSERT_EQ(chmod(h.dir, 0755), 0);
        ASSERT_EQ(chmod(h.out, 0755), 0);       /* the parent readable, the dump itself 0700 */
        pid_t pid = fork();
        if (pid == 0) {
                struct xkd_dump *v;
                size_t n;
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(10);
                if (xkd_dumps_scan(h.out, &v, &n) < 0 || n != 1)
                        _exit(11);
                if (v[0].state != XKD_DUMP_UNREADABLE || !strstr(v[0].why, "Permission denied"))
                        _exit(12);
                free(v);
                if (chmod(h.out, 0) == 0)
                        _exit(13);
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_EQ(WEXITSTATUS(status), 0);
        ASSERT_EQ(chmod(h.out, 0700), 0);
        pid = fork();
        if (pid == 0) {
                struct xkd_dump *v;
                size_t n;
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(10);
                _exit(xkd_dumps_scan(h.out, &v, &n) == -EACCES ? 0 : 14);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_EQ(WEXITSTATUS(status), 0);
        free_host(&h);
}

TEST(report_parser) {
        struct xkd_dump_report r;
        const char *good = "{\"format\": \"xen-kdump-report\", \"format_version\": 1,"
                           " \"xen\": {\"version\": \"4.17.7\", \"tainted_flags\": [\"a\", {\"version\": \"no\"}]},"
                           " \"crash\": {\"reason\": \"Xen panic: line one\\nline \\u0002two\\u00e9\", \"crashing_cpu\": 3,"
                           " \"time\": null},"
                           " \"cpus\": [{\"crash\": {\"reason\": \"not this one\"}}],"
                           " \"dom0\": {\"osrelease\": \"6.1.0-56-amd64\"}, \"dump\": {\"status\": \"complete\"}}";

        ASSERT_EQ(xkd_dump_parse_report(good, strlen(good), &r), 0);
        ASSERT_TRUE(r.valid);
        ASSERT_STREQ(r.xen_version, "4.17.7");
        ASSERT_STREQ(r.reason, "Xen panic: line one line ?two?");
        ASSERT_EQ(r.crashing_cpu, 3);
        ASSERT_STREQ(r.crash_time, "");
        ASSERT_STREQ(r.dom0_release, "6.1.0-56-amd64");
        ASSERT_STREQ(r.dump_status, "complete");

        /* Every cut of a valid report is refused, and says nothing. */
        for (size_t cut = 0; cut < strlen(good); cut++) {
                ASSERT_EQ(xkd_dump_parse_report(good, cut, &r), -EBADMSG);
                ASSERT_FALSE(r.valid);
                ASSERT_STREQ(r.xen_version, "");
                ASSERT_EQ(r.crashing_cpu, -1);
        }
        const char *other = "{\"format\": \"something-else\", \"xen\": {\"version\": \"9\"}}";
        ASSERT_EQ(xkd_dump_parse_report(other, strlen(other), &r), -EBADMSG);
        ASSERT_STREQ(r.xen_version, "");
        const char *bad_cpu = "{\"format\": \"xen-kdump-report\", \"crash\": {\"crashing_cpu\": -4}}";
        ASSERT_EQ(xkd_dump_parse_report(bad_cpu, strlen(bad_cpu), &r), 0);
        ASSERT_EQ(r.crashing_cpu, -1);

        /* Deep nesting ends in a refusal, not a stack overflow. */
        size_t deep = 100000;
        char *d = malloc(2 * deep + 64);
        strcpy(d, "{\"format\": \"xen-kdump-report\", \"x\": ");
        size_t o = strlen(d);
        memset(d + o, '[', deep);
        memset(d + o + deep, ']', deep);
        strcpy(d + o + 2 * deep, "}");
        ASSERT_EQ(xkd_dump_parse_report(d, strlen(d), &r), -EBADMSG);
        free(d);

        /* An over-long string is cut to its field, not overrun. */
        char *lng = malloc(20000);
        strcpy(lng, "{\"format\": \"xen-kdump-report\", \"xen\": {\"version\": \"");
        o = strlen(lng);
        memset(lng + o, 'v', 10000);
        strcpy(lng + o + 10000, "\"}}");
        ASSERT_EQ(xkd_dump_parse_report(lng, strlen(lng), &r), 0);
        ASSERT_EQ(strlen(r.xen_version), sizeof(r.xen_version) - 1);
        free(lng);
}

static size_t put_note(uint8_t *p, const char *name, const char *desc, uint32_t type) {
        Elf64_Nhdr nh = { .n_namesz = (uint32_t) strlen(name) + 1, .n_descsz = (uint32_t) strlen(desc), .n_type = type };
        size_t o = 0;
        memcpy(p, &nh, sizeof(nh));
        o += sizeof(nh);
        memcpy(p + o, name, nh.n_namesz);
        o += (nh.n_namesz + 3) & ~3u;
        memcpy(p + o, desc, nh.n_descsz);
        o += (nh.n_descsz + 3) & ~3u;
        return o;
}

TEST(notes_release) {
        uint8_t notes[1024] = { 0 };
        char out[65];
        size_t n = 0;

        /* Xen's own VMCOREINFO_XEN comes first in a real dump and is not dom0's. */
        n += put_note(notes + n, "VMCOREINFO_XEN", "OSRELEASE=4.17.7\nPAGESIZE=4096\n", 0);
        ASSERT_EQ(xkd_dump_notes_release(notes, n, out, sizeof(out)), -ENOENT);
        n += put_note(notes + n, "VMCOREINFO", "PAGESIZE=4096\nOSRELEASE=6.1.0-56-amd64\nBUILD-ID=x\n", 0);
        ASSERT_EQ(xkd_dump_notes_release(notes, n, out, sizeof(out)), 0);
        ASSERT_STREQ(out, "6.1.0-56-amd64");
        /* Sizes pointing past the buffer: refused at every cut. */
        for (size_t cut = 0; cut < n; cut++)
                ASSERT_TRUE(xkd_dump_notes_release(notes, cut, out, sizeof(out)) < 0);
        Elf64_Nhdr huge = { .n_namesz = 0xffffffffu, .n_descsz = 8, .n_type = 0 };
        memcpy(notes, &huge, sizeof(huge));
        ASSERT_EQ(xkd_dump_notes_release(notes, n, out, sizeof(out)), -EBADMSG);
}

TEST(header_parser_kdump_flags) {
        static uint8_t file[6 * 4096];
        struct kdump_disk_dump_header *dh = (struct kdump_disk_dump_header *) file;
        struct xkd_dump_header h;

        memcpy(dh->signature, KDUMP_SIGNATURE, 8);
        dh->header_version = 6;
        dh->block_size = 4096;
        dh->sub_hdr_size = 1;
        dh->bitmap_blocks = 2;                  /* one block per bitmap */
        dh->status = KDUMP_COMPRESSED_LZO;
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_EQ(h.format, XKD_DUMP_FORMAT_KDUMP);
        ASSERT_STREQ(h.compression, "lzo");
        ASSERT_FALSE(h.truncated);
        ASSERT_FALSE(h.flagged_incomplete);
        dh->status |= KDUMP_INCOMPLETE;
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_TRUE(h.flagged_incomplete);
        /* One page dumped (bitmap 2 in block 3): its descriptor (block 4) must point inside. */
        uint8_t *bitmap2 = file + 3 * 4096;
        struct kdump_page_desc *pd = (struct kdump_page_desc *) (file + 4 * 4096);
        dh->status = KDUMP_COMPRESSED_LZO;
        bitmap2[0] = 1;
        pd->offset = 5 * 4096;
        pd->size = 4096;
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_FALSE(h.truncated);
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file) - 1, &h), 0);
        ASSERT_TRUE(h.truncated);
        pd->offset = 0;                         /* a page the writer never got to */
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_TRUE(h.truncated);
        bitmap2[0] = 2 | 1;                     /* two pages, the second descriptor all zero */
        pd->offset = 5 * 4096;
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_TRUE(h.truncated);
        bitmap2[0] = 0;
        dh->bitmap_blocks = 16;                 /* data would start past the end */
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_TRUE(h.truncated);
        dh->block_size = 3000;                  /* not a power of two */
        ASSERT_EQ(xkd_dump_parse_header_mem(file, sizeof(file), &h), 0);
        ASSERT_TRUE(h.truncated);
        ASSERT_EQ(xkd_dump_parse_header_mem(file, 100, &h), 0);
        ASSERT_TRUE(h.truncated);
}

TEST_MAIN()
