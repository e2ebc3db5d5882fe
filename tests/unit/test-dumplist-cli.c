/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump list / info / debug as an administrator runs them, on dump
 * directories the collector wrote: the one-line-per-dump output and its JSON,
 * the empty and unreadable cases, the report shown safely, and debug handing
 * crash the right files (a stand-in crash records its arguments).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-run.h"
#include "collect-host.h"
#include "json-mini.h"
#include "save.h"
#include "test.h"

static char cli[4096], out[1 << 20];
static uid_t run_as;            /* 0: as we are */

static void setup(void) {
        cli_path(cli, sizeof(cli));
        /* No stray config: each test names its own. */
        setenv("XEN_KDUMP_CONF", "/nonexistent/xen-kdump.conf", 1);
}

/* Runs xen-kdump with args (NULL-terminated); stdout and stderr into out[]; the exit status. */
CLI_DEFINE_RUN(run, cli, run_as, out)

/* Two dumps in h->out: 1 complete, 2 incomplete (no CPU notes). */
static void two_dumps(struct host *h, char *p1, char *p2) {
        struct xkd_collect_options o;
        struct xkd_collect_result res;
        struct host bad;

        make_host(h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .crashing_cpu = 1 });
        o = host_opts(h);
        o.now = 1795856400;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        strcpy(p1, res.path);
        make_host(&bad, 17, FREE_XSA402, (struct vmgen_config) { .no_cpu_notes = true });
        o.vmcore = bad.vmcore;
        o.now += 3600;
        ASSERT_TRUE(xkd_collect(&o, &res) < 0);
        strcpy(p2, res.path);
        free_host(&bad);
}

TEST(list_empty_and_unreadable) {
        char dir[] = "/tmp/xkd-dlcli-XXXXXX", missing[64];

        setup();
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        ASSERT_EQ(run("list", "--dir", dir, NULL), 0);
        ASSERT_TRUE(strstr(out, "No dumps in ") != NULL);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_EQ(run("list", "--dir", dir, "--json", NULL), 0);
        struct json *j = json_parse(out);
        ASSERT_TRUE(j != NULL);
        ASSERT_STREQ(json_get_string(j, "dir"), dir);
        ASSERT_EQ(json_get(j, "dumps")->type, JSON_ARRAY);
        ASSERT_EQ(json_get(j, "dumps")->n, 0);
        json_free(j);

        snprintf(missing, sizeof(missing), "%s/nope", dir);
        ASSERT_EQ(run("list", "--dir", missing, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_TRUE(strstr(out, missing) != NULL);
        ASSERT_EQ(run("list", "--dir", dir, "extra", NULL), 2);
        rmdir(dir);
}

/* A dump directory named in no particular encoding still gives valid UTF-8
 * JSON: well-formed characters kept, other bytes U+FFFD, controls escaped. */
TEST(list_json_of_an_odd_directory_name_is_valid_utf8) {
        char base[] = "/tmp/xkd-dlcli-XXXXXX", dir[128], want[128];

        setup();
        ASSERT_TRUE(mkdtemp(base) != NULL);
        snprintf(dir, sizeof(dir), "%s/caf\xc3\xa9-\xff\xc0\xaf-\x1b[31m", base);
        snprintf(want, sizeof(want), "%s/caf\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd-\x1b[31m", base);
        ASSERT_EQ(mkdir(dir, 0700), 0);
        ASSERT_EQ(run("list", "--dir", dir, "--json", NULL), 0);
        ASSERT_TRUE(strstr(out, "\\u001b[31m") != NULL);
        struct json *j = json_parse(out);
        ASSERT_TRUE(j != NULL);
        ASSERT_STREQ(json_get_string(j, "dir"), want);
        json_free(j);
        rmdir(dir);
        rmdir(base);
}

TEST(list_text_and_json) {
        struct host h;
        char p1[PATH_MAX], p2[PATH_MAX];

        setup();
        two_dumps(&h, p1, p2);
        ASSERT_EQ(run("list", "--dir", h.out, NULL), 0);
        ASSERT_EQ(count_lines(out), 3);
        char *l1 = strchr(out, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
        l1[-1] = l2[-1] = '\0';        /* each line on its own */
        ASSERT_TRUE(strncmp(out, "  #  TIME", 9) == 0);
        ASSERT_TRUE(strncmp(l1, "  1  ", 5) == 0);
        ASSERT_TRUE(strstr(l1, " COMPLETE ") != NULL && strstr(l1, "INCOMPLETE") == NULL);
        ASSERT_TRUE(strstr(l1, " dom0 ") && strstr(l1, " kdump-zstd ") && strstr(l1, " 4.17"));
        ASSERT_TRUE(strstr(l1, strrchr(p1, '/') + 1) != NULL);
        ASSERT_TRUE(strncmp(l2, "  2  ", 5) == 0);
        ASSERT_TRUE(strstr(l2, " INCOMPLETE ") != NULL);
        ASSERT_TRUE(strstr(l2, strrchr(p2, '/') + 1) != NULL);

        ASSERT_EQ(run("list", "--dir", h.out, "--json", NULL), 0);
        struct json *j = json_parse(out);
        ASSERT_TRUE(j != NULL);
        ASSERT_EQ(json_get(j, "dumps")->n, 2);
        ASSERT_STREQ(json_get_string(j, "dumps[0].state"), "COMPLETE");
        ASSERT_EQ(json_get(j, "dumps[0].complete")->boolean, true);
        ASSERT_TRUE(json_is_null(j, "dumps[0].incomplete_reason"));
        ASSERT_STREQ(json_get_string(j, "dumps[0].path"), p1);
        ASSERT_STREQ(json_get_string(j, "dumps[0].what"), "dom0");
        ASSERT_STREQ(json_get_string(j, "dumps[0].format"), "kdump-zstd");
        ASSERT_STREQ(json_get_string(j, "dumps[0].dom0_release"), "6.1.0-vmgen-amd64");
        ASSERT_STREQ(json_get_string(j, "dumps[0].file"), "vmcore");
        double v;
        ASSERT_TRUE(json_get_number(j, "dumps[0].crashing_cpu", &v) && v == 1);
        ASSERT_TRUE(json_get_number(j, "dumps[0].size", &v) && v > 4096);
        ASSERT_STREQ(json_get_string(j, "dumps[1].state"), "INCOMPLETE");
        ASSERT_EQ(json_get(j, "dumps[1].complete")->boolean, false);
        ASSERT_TRUE(strstr(json_get_string(j, "dumps[1].incomplete_reason"), "lacks ELF notes") != NULL);
        ASSERT_STREQ(json_get_string(j, "dumps[1].file"), "vmcore.incomplete");
        json_free(j);

        /* The config's target path is the default directory. */
        char conf[PATH_MAX], text[PATH_MAX + 32];
        snprintf(conf, sizeof(conf), "%s/xen-kdump.conf", h.dir);
        snprintf(text, sizeof(text), "target path %s\n", h.out);
        FILE *f = fopen(conf, "we");
        fputs(text, f);
        fclose(f);
        ASSERT_EQ(run("--config", conf, "list", NULL), 0);
        ASSERT_EQ(count_lines(out), 3);
        ASSERT_TRUE(strstr(out, strrchr(p2, '/') + 1) != NULL);
        /* A network target without local_path: nothing local to list, and it says so. */
        f = fopen(conf, "we");
        fputs("target ssh dump@backup.example:/srv/crash\n", f);
        fclose(f);
        ASSERT_EQ(run("--config", conf, "list", NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_TRUE(strstr(out, "--dir") != NULL);
        /* A path inside a filesystem dom0 does not mount: never the same path on /. */
        f = fopen(conf, "we");
        fprintf(f, "target path %s\ntarget_fs UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69\n", h.out);
        fclose(f);
        ASSERT_EQ(run("--config", conf, "list", NULL), 1);
        ASSERT_TRUE(strstr(out, "UUID=0f3c2a7e-5b1d-4c8e-9a6f-1e2d3c4b5a69, which dom0 does not mount") != NULL);
        ASSERT_TRUE(strstr(out, "--dir MOUNTPOINT") != NULL);
        free_host(&h);
}

/* Whether an unprivileged user can run the binary at all (a checkout under /root cannot). */
static bool nobody_can_run_cli(void) {
        int status;
        pid_t pid = fork();
        if (pid == 0)
                _exit(setgid(65534) == 0 && setuid(65534) == 0 && access(cli, X_OK) == 0 ? 0 : 1);
        return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(list_as_non_root_says_root_only) {
        struct host h;
        char p1[PATH_MAX], p2[PATH_MAX];

        setup();
        if (geteuid() != 0 || !nobody_can_run_cli()) {
                TEST_SKIP("needs root, and a build directory user nobody can reach");
        }
        two_dumps(&h, p1, p2);
        ASSERT_EQ(chmod(h.dir, 0755), 0);
        run_as = 65534;
        ASSERT_EQ(run("list", "--dir", h.out, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_TRUE(strstr(out, "root") != NULL);
        ASSERT_EQ(chmod(h.out, 0755), 0);       /* parent open, each dump still 0700 */
        ASSERT_EQ(run("list", "--dir", h.out, NULL), 0);
        ASSERT_TRUE(strstr(out, "UNREADABLE") != NULL);
        ASSERT_TRUE(strstr(out, " COMPLETE ") == NULL);
        ASSERT_TRUE(strstr(out, "run as root") != NULL);
        run_as = 0;
        free_host(&h);
}

TEST(info_shows_facts_and_a_safe_report) {
        struct host h;
        char p1[PATH_MAX], p2[PATH_MAX];

        setup();
        two_dumps(&h, p1, p2);
        ASSERT_EQ(run("info", "--dir", h.out, NULL), 0);        /* latest = 2 */
        ASSERT_TRUE(strstr(out, "Dump 2: ") != NULL);
        ASSERT_TRUE(strstr(out, "State:        INCOMPLETE - INCOMPLETE marker: ") != NULL);
        ASSERT_TRUE(strstr(out, "vmcore.incomplete") != NULL);
        ASSERT_TRUE(strstr(out, "Xen crash report") != NULL);
        ASSERT_EQ(run("info", "--dir", h.out, "1", NULL), 0);
        ASSERT_TRUE(strstr(out, "State:        COMPLETE\n") != NULL);
        ASSERT_TRUE(strstr(out, "mode 0600") != NULL);
        ASSERT_TRUE(strstr(out, "dom0 Linux:   6.1.0-vmgen-amd64") != NULL);
        ASSERT_TRUE(strstr(out, "WARNING") == NULL);
        ASSERT_EQ(run("info", p1, "--json", NULL), 0);
        struct json *j = json_parse(out);
        ASSERT_TRUE(j != NULL);
        ASSERT_STREQ(json_get_string(j, "state"), "COMPLETE");
        json_free(j);

        /* Terminal escapes in a report from a damaged disk are not passed through. */
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/report.txt", p1);
        FILE *f = fopen(p, "we");
        fputs("Xen crash report\n\033]2;owned\007\033[2J end\n", f);
        fclose(f);
        ASSERT_EQ(run("info", p1, NULL), 0);
        ASSERT_TRUE(strchr(out, '\033') == NULL && strchr(out, '\007') == NULL);
        ASSERT_TRUE(strstr(out, "?]2;owned??[2J end") != NULL);
        /* A directory the report would be corrupt for: still listed, report marked corrupt. */
        snprintf(p, sizeof(p), "%s/report.json", p1);
        f = fopen(p, "we");
        fputs("{\"format\": \"xen-kdump-report\", \"xen\": {\"version\": ", f);
        fclose(f);
        ASSERT_EQ(run("info", p1, NULL), 0);
        ASSERT_TRUE(strstr(out, "report.json is corrupt") != NULL);
        ASSERT_TRUE(strstr(out, "Xen:          unknown") != NULL);
        ASSERT_EQ(run("info", "--dir", h.out, "7", NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        free_host(&h);
}

/* A Linux 6.12 dom0 dump needs crash >= 8.0.6: an older crash is not run,
 * one line says what to install; 8.0.6 runs; --force runs the old one. */
static int debug_with_crash(struct host *h, const char *version, bool force, char *vmlinux) {
        char bin[PATH_MAX], fake[PATH_MAX + 16], path_env[PATH_MAX * 2];
        snprintf(bin, sizeof(bin), "%s/bin", h->dir);
        mkdir(bin, 0700);
        snprintf(fake, sizeof(fake), "%s/crash", bin);
        FILE *f = fopen(fake, "we");
        fprintf(f, "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'crash %s'; exit 0; }\nexit 7\n", version);
        fclose(f);
        chmod(fake, 0700);
        char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        snprintf(path_env, sizeof(path_env), "%s:%s", bin, old_path);
        setenv("PATH", path_env, 1);
        int r = force ? run("debug", "--dir", h->out, "--vmlinux", vmlinux, "--force", NULL)
                      : run("debug", "--dir", h->out, "--vmlinux", vmlinux, NULL);
        setenv("PATH", old_path, 1);
        free(old_path);
        return r;
}

TEST(debug_linux_6_12_needs_crash_8_0_6) {
        struct host h;
        struct xkd_collect_options o;
        struct xkd_collect_result res;
        char vmlinux[PATH_MAX + 16];

        setup();
        make_host(&h, 20, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .crashing_cpu = 1,
                                                               .dom0_osrelease = "6.12.118+deb13-amd64" });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", h.dir);
        FILE *f = fopen(vmlinux, "we");
        fputs("not really ELF", f);
        fclose(f);
        ASSERT_EQ(debug_with_crash(&h, "8.0.2", false, vmlinux), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_CONTAINS(out, "crash 8.0.2 cannot open a Linux 6.12 dom0 dump: install crash 8.0.6 or newer");
        ASSERT_EQ(debug_with_crash(&h, "8.0.6", false, vmlinux), 7);
        ASSERT_EQ(debug_with_crash(&h, "9.0.0", false, vmlinux), 7);
        ASSERT_EQ(debug_with_crash(&h, "8.0.2", true, vmlinux), 7);
        free_host(&h);
}

TEST(debug_runs_crash_or_says_what_is_missing) {
        struct host h;
        char p1[PATH_MAX], p2[PATH_MAX], bin[PATH_MAX], fake[PATH_MAX + 16], vmlinux[PATH_MAX + 16],
             args[PATH_MAX + 16], path_env[PATH_MAX * 2];

        setup();
        two_dumps(&h, p1, p2);
        /* Incomplete: refused unless forced. */
        ASSERT_EQ(run("debug", "--dir", h.out, NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_TRUE(strstr(out, "INCOMPLETE") && strstr(out, "--force"));
        /* No debug vmlinux for the dump's own dom0 release: names the package. */
        ASSERT_EQ(run("debug", "--dir", h.out, "1", NULL), 1);
        ASSERT_EQ(count_lines(out), 1);
        ASSERT_TRUE(strstr(out, "linux-image-6.1.0-vmgen-amd64-dbg") != NULL);

        /* A stand-in crash that records what it was given. */
        snprintf(bin, sizeof(bin), "%s/bin", h.dir);
        ASSERT_EQ(mkdir(bin, 0700), 0);
        snprintf(fake, sizeof(fake), "%s/crash", bin);
        snprintf(args, sizeof(args), "%s/crash-args", h.dir);
        FILE *f = fopen(fake, "we");
        fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\nexit 7\n", args);
        fclose(f);
        ASSERT_EQ(chmod(fake, 0700), 0);
        snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux-6.1.0-vmgen-amd64", h.dir);
        f = fopen(vmlinux, "we");
        fputs("not really ELF", f);
        fclose(f);
        snprintf(path_env, sizeof(path_env), "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        setenv("PATH", path_env, 1);

        ASSERT_EQ(run("debug", "--dir", h.out, "--vmlinux", vmlinux, "1", "--", "-s", NULL), 7);
        char want[3 * PATH_MAX];
        snprintf(want, sizeof(want), "-s\n%s\n%s/vmcore\n", vmlinux, p1);
        ASSERT_TRUE(file_contains(h.dir, "crash-args", want));
        unlink(args);
        ASSERT_EQ(run("debug", "--dir", h.out, "--vmlinux", vmlinux, NULL), 1);   /* latest is incomplete */
        ASSERT_FALSE(exists_at(h.dir, "crash-args"));
        ASSERT_EQ(run("debug", "--dir", h.out, "--vmlinux", vmlinux, "--force", "2", NULL), 7);
        snprintf(want, sizeof(want), "%s\n%s/vmcore.incomplete\n", vmlinux, p2);
        ASSERT_TRUE(file_contains(h.dir, "crash-args", want));
        ASSERT_TRUE(strstr(out, "--force") != NULL);   /* the warning */
        ASSERT_EQ(run("debug", "--dir", h.out, "1", "stray", NULL), 2);
        setenv("PATH", old_path, 1);
        free(old_path);
        free_host(&h);
}

/* A dump directory's name off the disk reaches the terminal only defused. */
TEST(debug_shows_a_hostile_directory_name_defused) {
        struct host h;
        struct xkd_collect_options o;
        struct xkd_collect_result res;
        char evil[PATH_MAX + 64], bin[PATH_MAX], fake[PATH_MAX + 128], vmlinux[PATH_MAX + 16], path_env[PATH_MAX * 2],
             moved[PATH_MAX + 96];

        setup();
        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true });
        o = host_opts(&h);
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(evil, sizeof(evil), "%s/evil\033]2;owned\007\033[2J-20261205-000000", h.out);
        ASSERT_EQ(rename(res.path, evil), 0);

        snprintf(bin, sizeof(bin), "%s/bin", h.dir);
        ASSERT_EQ(mkdir(bin, 0700), 0);
        snprintf(fake, sizeof(fake), "%s/crash", bin);
        FILE *f = fopen(fake, "we");
        fputs("#!/bin/sh\nexit 7\n", f);
        fclose(f);
        ASSERT_EQ(chmod(fake, 0700), 0);
        snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", h.dir);
        f = fopen(vmlinux, "we");
        fputs("not really ELF", f);
        fclose(f);
        char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        snprintf(path_env, sizeof(path_env), "%s:%s", bin, old_path);
        setenv("PATH", path_env, 1);

        /* crash runs; nothing printed on the way carries the escapes. */
        ASSERT_EQ(run("debug", "--vmlinux", vmlinux, evil, NULL), 7);
        ASSERT_TRUE(strchr(out, '\033') == NULL && strchr(out, '\007') == NULL);
        /* No vmcore inside: the error names the directory, defused too. */
        snprintf(fake, sizeof(fake), "%s/%s", evil, XKD_SAVE_VMCORE);
        snprintf(moved, sizeof(moved), "%s/elsewhere", h.dir);
        ASSERT_EQ(rename(fake, moved), 0);
        ASSERT_EQ(run("debug", "--vmlinux", vmlinux, evil, NULL), 1);
        ASSERT_CONTAINS(out, "evil?]2;owned??[2J-20261205-000000");
        ASSERT_TRUE(strchr(out, '\033') == NULL && strchr(out, '\007') == NULL);
        setenv("PATH", old_path, 1);
        free(old_path);
        free_host(&h);
}

TEST_MAIN()
