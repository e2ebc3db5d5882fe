/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The verb table.  A verb returns an exit status (>= 0) or a negative errno
 * (exit 1); it has already printed its one-line error by then.
 * To add a verb: write verb-NAME.c defining int verb_NAME(int, char **),
 * declare it here and add it to VERBS_LIST.
 */

struct verb {
        const char *name;
        const char *help;
        int (*run)(int argc, char **argv);
};

#define VERBS_LIST
