/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Retention (keep) never destroys evidence: it runs only after the new dump
 * is complete, deletes only this host's complete dumps that xen-kdump wrote
 * (recognised by xen-kdump.id, not by the name), never counts incomplete
 * ones, and says what it deleted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect-host.h"
#include "collect.h"
#include "log.h"
#include "save.h"
#include "test.h"

static void put(const char *dir, const char *name, const char *text) {
        char p[PATH_MAX];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                abort();
        close(fd);
}

/* DIR/NAME as xen-kdump leaves a dump: id file for host, vmcore, reports;
 * incomplete adds the marker and keeps the vmcore's temporary name. */
static void fake_dump(const char *dir, const char *name, const char *host, bool incomplete) {
        char p[PATH_MAX], id[200];

        mkdir(dir, 0700);
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        if (mkdir(p, 0700) < 0)
                abort();
        snprintf(id, sizeof(id), XKD_SAVE_ID_MAGIC "host %s\n", host);
        put(p, XKD_SAVE_ID, id);
        put(p, incomplete ? XKD_SAVE_VMCORE_PARTIAL : XKD_SAVE_VMCORE, "KDUMP   ");
        put(p, "report.txt", "report\n");
        put(p, "report.json", "{}\n");
        if (incomplete)
                put(p, XKD_SAVE_MARKER, "stopped\n");
}

static unsigned count_dirs(const char *dir) {
        char cmd[PATH_MAX + 64];
        FILE *f;
        unsigned n = 0;

        snprintf(cmd, sizeof(cmd), "find '%s' -mindepth 1 -maxdepth 1 -type d | wc -l", dir);
        f = popen(cmd, "r");
        if (!f || fscanf(f, "%u", &n) != 1)
                abort();
        pclose(f);
        return n;
}

/* Run fn with stderr captured into buf. */
static int with_stderr(char *buf, size_t size, int (*fn)(void *), void *arg) {
        FILE *tmp = tmpfile();
        int saved = dup(2), r;
        size_t n;

        fflush(stderr);
        dup2(fileno(tmp), 2);
        r = fn(arg);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(tmp);
        n = fread(buf, 1, size - 1, tmp);
        buf[n] = '\0';
        fclose(tmp);
        return r;
}

struct collect_call {
        struct xkd_collect_options o;
        struct xkd_collect_result res;
};

static int call_collect(void *arg) {
        struct collect_call *c = arg;
        return xkd_collect(&c->o, &c->res);
}

/* A makedumpfile that fails: the collection ends incomplete. */
static char *failing_makedumpfile(const char *dir) {
        char p[PATH_MAX], path[4096];
        char *old = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        FILE *f;

        snprintf(p, sizeof(p), "%s/bin", dir);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/bin/makedumpfile", dir);
        f = fopen(p, "w");
        fputs("#!/bin/sh\nexit 1\n", f);
        fclose(f);
        chmod(p, 0755);
        snprintf(path, sizeof(path), "%s/bin:%s", dir, old);
        setenv("PATH", path, 1);
        return old;
}

TEST(the_collector_writes_an_id_file_naming_the_host) {
        struct host h;
        struct xkd_collect_result res;
        struct xkd_collect_options o;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        o = host_opts(&h);
        o.host = "node'7\n../x";
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        ASSERT_EQ(mode_of(res.path, XKD_SAVE_ID), 0600);
        /* The cleaned name, the same as the directory's. */
        ASSERT_TRUE(file_contains(res.path, XKD_SAVE_ID, XKD_SAVE_ID_MAGIC "host node_7_.._x\n"));
        ASSERT_TRUE(strstr(res.path, "/node_7_.._x-") != NULL);
        free_host(&h);
}

TEST(refused_and_failed_captures_delete_nothing) {
        struct host h;
        struct collect_call c;
        char log[8192], *old_path;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        fake_dump(h.out, "unit-20200101-000000", "unit", false);
        fake_dump(h.out, "unit-20200102-000000", "unit", false);
        c.o = host_opts(&h);
        c.o.keep = 1;

        /* Below the reserve: refused before writing, and nothing else happens. */
        c.o.reserve_bytes = UINT64_C(1) << 60;
        ASSERT_EQ(with_stderr(log, sizeof(log), call_collect, &c), -ENOSPC);
        ASSERT_CONTAINS(log, "no old dump is deleted to make room");
        ASSERT_TRUE(strstr(log, "Deleted") == NULL);
        ASSERT_EQ(count_dirs(h.out), 2);

        /* A crash loop: three captures that end incomplete, keep 1. */
        c.o.reserve_bytes = 0;
        c.o.engine = XKD_ENGINE_MAKEDUMPFILE;
        old_path = failing_makedumpfile(h.dir);
        for (int i = 1; i <= 3; i++) {
                c.o.now = 86400 * i;
                ASSERT_TRUE(with_stderr(log, sizeof(log), call_collect, &c) < 0);
                ASSERT_TRUE(exists_at(c.res.path, XKD_SAVE_MARKER));
                ASSERT_TRUE(strstr(log, "Deleted") == NULL);
        }
        setenv("PATH", old_path, 1);
        free(old_path);
        ASSERT_TRUE(exists_at(h.out, "unit-20200101-000000/vmcore"));
        ASSERT_TRUE(exists_at(h.out, "unit-20200102-000000/vmcore"));
        ASSERT_EQ(count_dirs(h.out), 5);

        /* The first complete capture applies keep 1: the old complete dumps go,
         * the incomplete ones are neither counted nor deleted. */
        c.o.engine = XKD_ENGINE_NATIVE;
        c.o.now = 86400 * 10;
        ASSERT_EQ(with_stderr(log, sizeof(log), call_collect, &c), 0);
        ASSERT_TRUE(exists_at(c.res.path, XKD_SAVE_VMCORE));
        ASSERT_FALSE(exists_at(h.out, "unit-20200101-000000"));
        ASSERT_FALSE(exists_at(h.out, "unit-20200102-000000"));
        ASSERT_EQ(count_dirs(h.out), 4);
        ASSERT_CONTAINS(log, "Deleted old dump ");
        ASSERT_CONTAINS(log, "/unit-20200101-000000: keep 1 keeps this host's 1 newest complete dumps");
        ASSERT_CONTAINS(log, "/unit-20200102-000000: keep 1");
        free_host(&h);
}

TEST(only_this_hosts_own_complete_dumps_are_candidates) {
        char dir[] = "/tmp/xkd-retention-XXXXXX", p[PATH_MAX], elsewhere[PATH_MAX];

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        /* This host's complete dumps, oldest first. */
        fake_dump(dir, "unit-20200101-000000", "unit", false);
        fake_dump(dir, "unit-20200102-000000", "unit", false);
        fake_dump(dir, "unit-20200103-000000", "unit", false);
        /* Another host's, on a shared target. */
        fake_dump(dir, "other-20190101-000000", "other", false);
        fake_dump(dir, "unit-x-20190101-000000", "unit-x", false);
        /* This host's name, but the id file says someone else wrote it. */
        fake_dump(dir, "unit-20190102-000000", "other", false);
        /* Look-alikes: no id file at all. */
        snprintf(p, sizeof(p), "%s/unit-20190103-000000", dir);
        mkdir(p, 0700);
        put(p, "vmcore", "mine, not a dump");
        /* Incomplete: the marker, or the vmcore's temporary name. */
        fake_dump(dir, "unit-20190104-000000", "unit", true);
        fake_dump(dir, "unit-20190107-000000", "unit", false);     /* renamed, marker not yet gone */
        snprintf(p, sizeof(p), "%s/unit-20190107-000000", dir);
        put(p, XKD_SAVE_MARKER, "stopped\n");
        /* A dump someone added notes to. */
        fake_dump(dir, "unit-20190105-000000", "unit", false);
        snprintf(p, sizeof(p), "%s/unit-20190105-000000", dir);
        put(p, "analysis.txt", "do not lose");
        /* A symlink with a dump's name, to a real dump elsewhere. */
        snprintf(elsewhere, sizeof(elsewhere), "%s/keep-me", dir);
        fake_dump(elsewhere, "unit-20180101-000000", "unit", false);
        snprintf(p, sizeof(p), "%s/unit-20190106-000000", dir);
        snprintf(elsewhere, sizeof(elsewhere), "%s/keep-me/unit-20180101-000000", dir);
        ASSERT_EQ(symlink(elsewhere, p), 0);
        /* The new one, with a stamp older than all (a capture kernel's clock). */
        fake_dump(dir, "unit-19700101-000000", "unit", false);

        ASSERT_EQ(xkd_save_apply_retention(dir, "unit", 0, "unit-19700101-000000"), 0);
        ASSERT_EQ(xkd_save_apply_retention(dir, "unit", 2, "unit-19700101-000000"), 2);
        ASSERT_TRUE(exists_at(dir, "unit-19700101-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "unit-20200103-000000/vmcore"));
        ASSERT_FALSE(exists_at(dir, "unit-20200102-000000"));
        ASSERT_FALSE(exists_at(dir, "unit-20200101-000000"));
        ASSERT_TRUE(exists_at(dir, "other-20190101-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "unit-x-20190101-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "unit-20190102-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "unit-20190103-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "unit-20190104-000000/" XKD_SAVE_VMCORE_PARTIAL));
        ASSERT_TRUE(exists_at(dir, "unit-20190107-000000/" XKD_SAVE_VMCORE));
        ASSERT_TRUE(exists_at(dir, "unit-20190105-000000/analysis.txt"));
        ASSERT_TRUE(exists_at(dir, "unit-20190105-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "unit-20190106-000000/vmcore"));
        ASSERT_TRUE(exists_at(dir, "keep-me/unit-20180101-000000/vmcore"));

        /* keep 1: only the new one of this host's complete dumps remains. */
        ASSERT_EQ(xkd_save_apply_retention(dir, "unit", 1, "unit-19700101-000000"), 1);
        ASSERT_TRUE(exists_at(dir, "unit-19700101-000000/vmcore"));
        ASSERT_FALSE(exists_at(dir, "unit-20200103-000000"));
        ASSERT_EQ(xkd_save_apply_retention(dir, "unit", 1, "unit-19700101-000000"), 0);
        rm_rf(dir);
}

TEST(collision_suffixes_order_numerically) {
        char dir[] = "/tmp/xkd-retention-XXXXXX";

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        fake_dump(dir, "unit-20200101-000000", "unit", false);
        fake_dump(dir, "unit-20200101-000000.2", "unit", false);
        fake_dump(dir, "unit-20200101-000000.10", "unit", false);
        fake_dump(dir, "unit-20200101-000000.x", "unit", false);   /* not a suffix we write */
        ASSERT_EQ(xkd_save_apply_retention(dir, "unit", 1, NULL), 2);
        ASSERT_TRUE(exists_at(dir, "unit-20200101-000000.10"));
        ASSERT_FALSE(exists_at(dir, "unit-20200101-000000.2"));
        ASSERT_FALSE(exists_at(dir, "unit-20200101-000000"));
        ASSERT_TRUE(exists_at(dir, "unit-20200101-000000.x"));
        rm_rf(dir);
}

TEST_MAIN()
