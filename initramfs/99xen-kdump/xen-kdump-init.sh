#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the small capture image (module-setup.sh, xkd_small): the minimal
# kernel has every driver built in and devtmpfs makes the device nodes, so no
# systemd, udev or module loading stands between the crash and the capture.
# The capture ends in final_action or failure_action; this never returns.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mkdir -p /run /tmp
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
exec < /dev/console > /dev/console 2>&1
echo "xen-kdump: small capture image, $(cat /proc/uptime | cut -d' ' -f1) s after boot"
if [ -r /proc/vmcore ]; then
    /usr/lib/xen-kdump/capture || /usr/lib/xen-kdump/capture --failure
else
    echo "xen-kdump: no /proc/vmcore: this is not a capture boot"
fi
# Only reached when every action failed: PID 1 must not exit (that panics).
echo b > /proc/sysrq-trigger
sleep 3600
