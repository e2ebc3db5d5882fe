/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* What the capture kernel always gets besides the console and elfcorehdr=:
 * one CPU (the others are halted by Xen), interrupts polled and devices
 * reset because nobody shut them down, reboot 10 s after a capture panic. */
#define XKD_CAPTURE_BASE_ARGS "nr_cpus=1 maxcpus=1 irqpoll reset_devices panic=10 no_timer_check"

/*
 * The serial console Xen itself uses, as a Linux console= argument:
 * "console=com1 com1=115200,8n1" -> "console=ttyS0,115200"; com2 -> ttyS1.
 * Writes "" when Xen has no serial console.  Never hvc0: after a crash there
 * is no Xen console for the capture kernel to talk to.
 */
int xkd_serial_console_from_xen(const char *xen_cmdline, char *buf, size_t size);

/* The I/O port of that UART (0x3f8 com1, 0x2f8 com2), 0 when none. */
uint16_t xkd_serial_port_from_xen(const char *xen_cmdline);

/*
 * The whole capture command line: console, XKD_CAPTURE_BASE_ARGS,
 * elfcorehdr=<KiB>K, then the user's additions.  A console= in append wins
 * over ours; console=hvc0 in append is dropped with a warning.
 */
int xkd_capture_cmdline(const char *xen_cmdline, uint64_t elfcorehdr_maddr, const char *append,
                        char *buf, size_t size);
