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

int verb_load(int argc, char **argv);
int verb_unload(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_show(int argc, char **argv);
int verb_rebuild(int argc, char **argv);
int verb_estimate(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_info(int argc, char **argv);
int verb_debug(int argc, char **argv);
int verb_setup(int argc, char **argv);
int verb_test(int argc, char **argv);
int verb_propagate(int argc, char **argv);
int verb_announce(int argc, char **argv);

#define VERBS_LIST                                                              \
        { "load",   "Build the crash image and load it into Xen", verb_load },   \
        { "unload", "Unload the crash image from Xen",            verb_unload }, \
        { "status", "Show whether a crash image is loaded",       verb_status }, \
        { "show",   "Show the effective configuration and its origins", verb_show }, \
        { "rebuild", "Build the capture initramfs with dracut",   verb_rebuild }, \
        { "estimate", "Size the crash region: needed vs reserved, and crashkernel=", verb_estimate }, \
        { "list",   "List the saved dumps, oldest first",        verb_list },   \
        { "info",   "Show one saved dump and its crash report",  verb_info },   \
        { "debug",  "Open a saved dump in crash with dom0's debug vmlinux", verb_debug }, \
        { "setup",  "Put crashkernel= on Xen's command line (GRUB) and run update-grub", verb_setup }, \
        { "test",   "Crash the host on purpose to test the capture (asks first)", verb_test }, \
        { "propagate", "Make the ssh key, pin the target's host key, install the key there", verb_propagate }, \
        { "announce", "Log one journal entry per new dump (run at boot by the service)", verb_announce },
