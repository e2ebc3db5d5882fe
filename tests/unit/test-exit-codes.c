/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exit codes, verb by verb, against the man page: every verb of `xen-kdump
 * help` is in the table below (and nothing else is); each one exits 2 on an
 * unknown option, on an option missing its argument and on an argument it
 * does not take; docs/xen-kdump.8's EXIT STATUS states the common codes and
 * has an entry for exactly the verbs that return more.  The codes themselves
 * (status 3 and 4, test's 2) are exercised in test-cli and test-verb-test.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-run.h"
#include "json-mini.h"
#include "loader-fixtures.h"
#include "test.h"

struct verb_codes {
        const char *name;
        const char *option_with_argument;       /* NULL: the verb has none */
        int max_args;                           /* positional arguments; -1: any (passed on) */
        const char *extra_codes;                /* beyond 0/1/2, each a digit, as the man page says */
        bool man_entry;                         /* has its own entry in EXIT STATUS */
};

static const struct verb_codes table[] = {
        { "load",     "--kernel", 0,  "",   false },
        { "unload",   NULL,       0,  "",   false },
        { "status",   NULL,       0,  "34", true },
        { "show",     "--kver",   0,  "",   false },
        { "rebuild",  "--kver",   -1, "",   false },     /* the rest goes to dracut */
        { "estimate", "--kernel", 0,  "",   false },
        { "list",     "--dir",    0,  "",   false },
        { "info",     "--dir",    1,  "",   false },
        { "debug",    "--dir",    1,  "",   true },      /* then crash's own status */
        { "setup",    "--size",   0,  "",   false },
        { "propagate", "--config", 0, "",   false },
        { "announce", "--dir",    0,  "",   false },
        { "test",     NULL,       0,  "2",  true },      /* 2 also: no --yes and no terminal */
        { "version",  NULL,       0,  "",   false },
        { "help",     NULL,       1,  "",   false },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

static char cli[4096], out[65536];

/* Nothing a verb could reach is real: a simulated hypervisor with no config,
 * a fake dom0 tree, a private state dir, a grub updater that does nothing. */
static void setup(void) {
        static char dir[64];

        if (dir[0])
                return;
        cli_path(cli, sizeof(cli));
        snprintf(dir, sizeof(dir), "/tmp/xkd-exit-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        char v[128];
        snprintf(v, sizeof(v), "sim:%s/no-such-sim.conf", dir);
        setenv("XKD_HV", v, 1);
        snprintf(v, sizeof(v), "%s/state", dir);
        setenv("XKD_STATE_DIR", v, 1);
        setenv("XKD_SYSROOT", fake_sysroot(), 1);
        setenv("XKD_UPDATE_GRUB", "false", 1);
}

static int run_argv(const char *const *argv) {
        return cli_run_argv(cli, 0, out, sizeof(out), argv);
}

static const struct verb_codes *find(const char *name) {
        for (size_t i = 0; i < N_TABLE; i++)
                if (strcmp(table[i].name, name) == 0)
                        return &table[i];
        return NULL;
}

TEST(every_verb_of_help_is_in_the_table_and_back) {
        char verbs[2048] = "";
        bool seen[N_TABLE] = {};

        setup();
        ASSERT_EQ(run_argv((const char *[]) { "help", NULL }), 0);
        /* "  NAME       description" after "Verbs:" */
        const char *p = strstr(out, "Verbs:\n");
        ASSERT_TRUE(p);
        for (p = strchr(p, '\n') + 1; *p == ' '; p = strchr(p, '\n') + 1) {
                char name[32];
                ASSERT_EQ(sscanf(p, " %31s", name), 1);
                const struct verb_codes *v = find(name);
                if (!v)
                        TEST_FAIL_("verb '%s' of 'xen-kdump help' has no row in this test's table", name);
                seen[v - table] = true;
                strncat(verbs, name, sizeof(verbs) - strlen(verbs) - 2);
                strcat(verbs, " ");
        }
        for (size_t i = 0; i < N_TABLE; i++)
                if (!seen[i])
                        TEST_FAIL_("table row '%s' is not a verb of 'xen-kdump help' (%s)", table[i].name, verbs);
}

TEST(usage_errors_exit_2_for_every_verb) {
        setup();
        for (size_t i = 0; i < N_TABLE; i++) {
                const struct verb_codes *v = &table[i];
                int r;

                r = run_argv((const char *[]) { v->name, "--no-such-option", NULL });
                if (r != 2)
                        TEST_FAIL_("'%s --no-such-option' exits %d, not 2: %s", v->name, r, out);
                if (!out[0])
                        TEST_FAIL_("'%s --no-such-option' exits 2 without a word", v->name);
                if (v->option_with_argument) {
                        r = run_argv((const char *[]) { v->name, v->option_with_argument, NULL });
                        if (r != 2)
                                TEST_FAIL_("'%s %s' (no argument) exits %d, not 2: %s", v->name,
                                           v->option_with_argument, r, out);
                }
                if (v->max_args >= 0) {
                        const char *argv[8] = { v->name };
                        for (int k = 0; k <= v->max_args; k++)
                                argv[1 + k] = "extra";
                        r = run_argv(argv);
                        if (r != 2)
                                TEST_FAIL_("'%s' with %d arguments exits %d, not 2: %s", v->name,
                                           v->max_args + 1, r, out);
                }
                r = run_argv((const char *[]) { v->name, "--help", NULL });
                if (r != 0)
                        TEST_FAIL_("'%s --help' exits %d, not 0: %s", v->name, r, out);
                if (strcmp(v->name, "help") != 0 && strcmp(v->name, "version") != 0) {
                        r = run_argv((const char *[]) { "help", v->name, NULL });
                        if (r != 0 || !strstr(out, "Usage: xen-kdump "))
                                TEST_FAIL_("'help %s' exits %d without the verb's usage: %s", v->name, r, out);
                }
        }
}

TEST(global_usage_errors_exit_2) {
        setup();
        ASSERT_EQ(run_argv((const char *[]) { NULL }), 2);
        ASSERT_EQ(run_argv((const char *[]) { "no-such-verb", NULL }), 2);
        ASSERT_EQ(run_argv((const char *[]) { "--no-such-option", "status", NULL }), 2);
        ASSERT_EQ(run_argv((const char *[]) { "--config", NULL }), 2);
        ASSERT_CONTAINS(out, "--config needs a FILE");
        ASSERT_EQ(run_argv((const char *[]) { "help", "no-such-verb", NULL }), 2);
}

/* The man page section between ".SH EXIT STATUS" and the next ".SH". */
static char *exit_status_section(void) {
        FILE *f = fopen("docs/xen-kdump.8", "re");
        static char text[262144];
        size_t n;

        if (!f)
                return NULL;
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        char *s = strstr(text, "\n.SH EXIT STATUS\n");
        if (!s)
                return NULL;
        s += strlen("\n.SH EXIT STATUS\n");
        char *end = strstr(s, "\n.SH ");
        if (end)
                end[1] = '\0';
        return s;
}

TEST(man_page_documents_each_verbs_codes) {
        char *sec = exit_status_section();

        if (!sec)
                TEST_FAIL_("no EXIT STATUS section in docs/xen-kdump.8 (run from the source tree)");
        ASSERT_CONTAINS(sec, "0 on success");
        ASSERT_CONTAINS(sec, "1 on failure");
        ASSERT_CONTAINS(sec, "2 on a usage error");

        /* Each ".TP\n.B VERB\n" entry: a verb that returns more, naming each extra code. */
        bool entry[N_TABLE] = {};
        for (char *p = strstr(sec, ".TP\n.B "); p; p = strstr(p + 1, ".TP\n.B ")) {
                char name[32];
                ASSERT_EQ(sscanf(p + 7, "%31s", name), 1);
                const struct verb_codes *v = find(name);
                if (!v || !v->man_entry)
                        TEST_FAIL_("EXIT STATUS has an entry for '%s', which returns only 0/1/2 here", name);
                entry[v - table] = true;
                char *end = strstr(p + 1, ".TP\n");
                size_t len = end ? (size_t) (end - p) : strlen(p);
                for (const char *c = v->extra_codes; *c; c++) {
                        bool found = false;
                        for (size_t k = 0; k < len; k++)
                                if (p[k] == *c && (k == 0 || !isalnum((unsigned char) p[k - 1])) &&
                                    !isalnum((unsigned char) p[k + 1]))
                                        found = true;
                        if (!found)
                                TEST_FAIL_("EXIT STATUS entry for '%s' does not name exit code %c", name, *c);
                }
        }
        for (size_t i = 0; i < N_TABLE; i++)
                if (table[i].man_entry && !entry[i])
                        TEST_FAIL_("EXIT STATUS has no entry for '%s', which returns more than 0/1/2",
                                   table[i].name);
}

TEST_MAIN()
