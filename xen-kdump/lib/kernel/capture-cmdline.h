/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* What the capture kernel always gets besides the console and elfcorehdr=:
 * interrupts polled and devices reset because nobody shut them down, reboot
 * 10 s after a capture panic. */
#define XKD_CAPTURE_BASE_ARGS "irqpoll reset_devices panic=10 no_timer_check"
/* And one CPU (the others are halted by Xen), unless append sets nr_cpus= or
 * maxcpus= itself: the kernel takes the smallest nr_cpus it is given, so an
 * nr_cpus=2 after ours could not raise it. */
#define XKD_CAPTURE_CPU_ARGS "nr_cpus=1 maxcpus=1"

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
 * The whole capture command line: console, XKD_CAPTURE_CPU_ARGS,
 * XKD_CAPTURE_BASE_ARGS, elfcorehdr=<KiB>K, then the user's additions.  A
 * console=, nr_cpus= or maxcpus= in append wins over ours; console=hvc0 in
 * append is dropped with a warning.
 */
int xkd_capture_cmdline(const char *xen_cmdline, uint64_t elfcorehdr_maddr, const char *append,
                        char *buf, size_t size);
