/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-kdump: load, inspect and unload the crash-capture image of a Xen host.
 * A thin dispatcher: every verb lives in its own file and is listed in verbs[].
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "verbs.h"

#ifndef XKD_VERSION
#define XKD_VERSION "0.1"
#endif

static int verb_version(int argc, char **argv) {
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("Usage: xen-kdump version\n\nPrint the version.\n");
                return 0;
        }
        if (argc > 1) {
                log_error("Unexpected argument '%s' to version; it takes none.", argv[1]);
                return 2;
        }
        printf("xen-kdump %s\n", XKD_VERSION);
        return 0;
}

static int verb_help(int argc, char **argv);

static const struct verb verbs[] = {
        VERBS_LIST
        { "version", "Print the version",          verb_version },
        { "help",    "Show this help",             verb_help },
};

/* "help VERB" is "VERB --help". */
static int verb_help(int argc, char **argv) {
        if (argc > 2) {
                log_error("Unexpected argument '%s' to help; write 'xen-kdump help [VERB]'.", argv[2]);
                return 2;
        }
        if (argc == 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0 &&
            strcmp(argv[1], "help") != 0) {
                for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                        if (strcmp(verbs[i].name, argv[1]) == 0 && verbs[i].run != verb_help)
                                return verbs[i].run(2, (char *[]) { argv[1], (char *) "--help", NULL });
                log_error("Unknown verb '%s'; see 'xen-kdump help'.", argv[1]);
                return 2;
        }
        printf("Usage: xen-kdump [-v] [--config FILE] VERB [OPTIONS...]\n\n"
               "Load and inspect the crash-capture image of a Xen host.\n\nVerbs:\n");
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                printf("  %-10s %s\n", verbs[i].name, verbs[i].help);
        return 0;
}

int main(int argc, char **argv) {
        int i = 1;

        log_set_program("xen-kdump");
        while (i < argc && argv[i][0] == '-') {
                if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
                        log_set_max_level(log_get_max_level() + 1);
                else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                        return verb_help(1, (char *[]) { (char *) "help", NULL });
                else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
                        xkd_config_set_path(argv[++i]);
                else if (strcmp(argv[i], "--config") == 0) {
                        log_error("--config needs a FILE; see 'xen-kdump help'.");
                        return 2;
                } else if (strncmp(argv[i], "--config=", 9) == 0)
                        xkd_config_set_path(argv[i] + 9);
                else if (strcmp(argv[i], "--version") == 0)
                        return verb_version(1, (char *[]) { (char *) "version", NULL });
                else {
                        log_error("Unknown option '%s'; see 'xen-kdump help'.", argv[i]);
                        return 2;
                }
                i++;
        }
        if (i >= argc) {
                verb_help(1, (char *[]) { (char *) "help", NULL });
                return 2;
        }

        for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
                if (strcmp(verbs[v].name, argv[i]) == 0) {
                        int r = verbs[v].run(argc - i, argv + i);
                        /* Verbs return an exit status >= 0 or a negative errno. */
                        return r < 0 ? 1 : r;
                }

        log_error("Unknown verb '%s'; see 'xen-kdump help'.", argv[i]);
        return 2;
}
