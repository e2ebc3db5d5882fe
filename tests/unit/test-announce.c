/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen-kdump announce: one journal entry per dump the collector really wrote,
 * sent to a datagram socket standing in for journald's ($XKD_JOURNAL_SOCKET),
 * never twice for the same dump; a refused entry is not recorded and is sent
 * the next time; without journald the line is printed.  status shows the
 * last crash and its dump's state. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli-run.h"
#include "collect-host.h"
#include "collect.h"
#include "json-mini.h"
#undef XKD_PAGE_SIZE
#include "dump-announce.h"
#include "loader-fixtures.h"
#include "test.h"

static char cli[4096], out[65536], dir[64], sock[96];

CLI_DEFINE_RUN(run, cli, 0, out)

/* A simulated host whose dumps go to dumps_dir, and a fresh "journald" socket. */
static int host(const char *dumps_dir) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        cli_path(cli, sizeof(cli));
        sim_host_env("xkd-announce", dumps_dir, dir, sizeof(dir));

        snprintf(sock, sizeof(sock), "%s/journal.sock", dir);
        setenv("XKD_JOURNAL_SOCKET", sock, 1);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                abort();
        return fd;
}

/* The entries "journald" received since the last call, concatenated; how many. */
static unsigned received(int fd, char *buf, size_t size) {
        size_t used = 0;
        unsigned n = 0;
        ssize_t k;

        buf[0] = '\0';
        while (used + 1 < size && (k = recv(fd, buf + used, size - used - 1, 0)) > 0) {
                used += (size_t) k;
                buf[used] = '\0';
                n++;
        }
        return n;
}

/* The value of KEY= in one entry (the first with needle in it). */
static const char *value_in(const char *entries, const char *needle, const char *key) {
        static char v[1024];
        const char *e = strstr(entries, needle);
        char k[64];

        v[0] = '\0';
        if (!e)
                return v;
        /* back to the start of this entry: entries begin with MESSAGE_ID= */
        while (e > entries && strncmp(e, "MESSAGE_ID=", 11) != 0)
                e--;
        snprintf(k, sizeof(k), "\n%s=", key);
        const char *next = strstr(e + 1, "MESSAGE_ID=");
        const char *p = strstr(e, k);
        if (p && (!next || p < next)) {
                p += strlen(k);
                snprintf(v, sizeof(v), "%.*s", (int) strcspn(p, "\n"), p);
        }
        return v;
}

TEST(announces_each_dump_once) {
        struct host h, bad;
        struct xkd_collect_options o;
        struct xkd_collect_result res, res_bad, res2;
        char got[65536], p[4200];
        struct stat st;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true, .crashing_cpu = 1 });
        make_host(&bad, 17, FREE_XSA402, (struct vmgen_config) { .no_cpu_notes = true });
        o = host_opts(&h);
        o.vmcore = bad.vmcore;
        o.now = 1795856400;
        ASSERT_TRUE(xkd_collect(&o, &res_bad) < 0);
        o.vmcore = h.vmcore;
        o.now += 3600;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        int fd = host(h.out);

        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_EQ(received(fd, got, sizeof(got)), 2);
        ASSERT_CONTAINS(got, "MESSAGE_ID=" XKD_DUMP_MESSAGE_ID "\n");
        ASSERT_STREQ(value_in(got, res.path, "DUMP_STATE"), "COMPLETE");
        ASSERT_STREQ(value_in(got, res.path, "PRIORITY"), "2");
        ASSERT_STREQ(value_in(got, res.path, "DUMP_FILE"), "vmcore");
        ASSERT_STREQ(value_in(got, res.path, "XEN_VERSION")[0] ? "set" : "", "set");
        ASSERT_CONTAINS(value_in(got, res.path, "MESSAGE"), "Crash dump of ");
        ASSERT_CONTAINS(value_in(got, res.path, "MESSAGE"), " COMPLETE");
        snprintf(p, sizeof(p), "DUMP_DIR=%s\n", res.path);
        ASSERT_CONTAINS(got, p);
        ASSERT_STREQ(value_in(got, res_bad.path, "DUMP_STATE"), "INCOMPLETE");
        ASSERT_TRUE(value_in(got, res_bad.path, "DUMP_WHY")[0] != '\0');
        /* Every value is one line: no field but the ones sent. */
        for (const char *l = got; *l; l = strchr(l, '\n') + 1)
                ASSERT_TRUE(strchr(l, '=') != NULL && strchr(l, '=') < strchr(l, '\n'));
        snprintf(p, sizeof(p), "%s/state/announced", dir);
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(st.st_mode & 0777, 0600);

        /* The next boot: nothing new, nothing sent. */
        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_EQ(received(fd, got, sizeof(got)), 0);

        /* Another crash: only its dump. */
        o.now += 3600;
        ASSERT_EQ(xkd_collect(&o, &res2), 0);
        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_EQ(received(fd, got, sizeof(got)), 1);
        snprintf(p, sizeof(p), "DUMP_DIR=%s\n", res2.path);
        ASSERT_CONTAINS(got, p);

        /* status: the last crash is the newest dump, with its state. */
        run("status", NULL);
        ASSERT_CONTAINS(out, "  Last crash:     ");
        ASSERT_CONTAINS(out, res2.path);
        ASSERT_CONTAINS(out, " COMPLETE");
        run("status", "--json", NULL);
        struct json *j = json_parse(out);
        ASSERT_TRUE(j != NULL);
        ASSERT_STREQ(json_get_string(j, "last_crash.dump"), res2.path);
        ASSERT_STREQ(json_get_string(j, "last_crash.state"), "COMPLETE");
        json_free(j);
        close(fd);
        free_host(&bad);
        free_host(&h);
}

TEST(refused_entry_is_sent_next_time_and_no_journald_prints) {
        struct host h;
        struct xkd_collect_options o;
        struct xkd_collect_result res;
        char got[65536], stream[96];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .loadinfo = true });
        o = host_opts(&h);
        o.now = 1795856400;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        int fd = host(h.out);

        /* A socket that refuses datagrams: the entry is not recorded. */
        snprintf(stream, sizeof(stream), "%s/stream.sock", dir);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stream);
        ASSERT_TRUE(s >= 0 && bind(s, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(s, 1) == 0);
        setenv("XKD_JOURNAL_SOCKET", stream, 1);
        ASSERT_EQ(run("announce", NULL), 1);
        ASSERT_CONTAINS(out, "The journal refused the entry for ");
        setenv("XKD_JOURNAL_SOCKET", sock, 1);
        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_EQ(received(fd, got, sizeof(got)), 1);
        ASSERT_STREQ(value_in(got, res.path, "DUMP_STATE"), "COMPLETE");

        /* No journald at all: printed, and counted as announced. */
        close(fd);
        rm_rf(dir);
        fd = host(h.out);
        unlink(sock);
        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_CONTAINS(out, "Crash dump of ");
        ASSERT_CONTAINS(out, res.path);
        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_FALSE(strstr(out, "Crash dump of "));

        /* No dump directory yet: nothing to do, no error. */
        close(fd);
        fd = host("/nonexistent/xkd-dumps");
        ASSERT_EQ(run("announce", NULL), 0);
        ASSERT_EQ(received(fd, got, sizeof(got)), 0);
        ASSERT_EQ(run("announce", "--bogus", NULL), 2);
        close(fd);
        close(s);
        free_host(&h);
}
TEST_MAIN()
