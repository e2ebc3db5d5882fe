#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the small capture image (module-setup.sh, xkd_small): devtmpfs
# makes the device nodes and blkid finds the disk, so no systemd or udev
# stands between the crash and the capture.  The minimal kernel has every
# driver built in; a distribution kernel's drivers are loaded here: the dump
# target's by name (etc/xen-kdump/modules), then those of the devices present
# by their modalias, twice (a controller's driver makes its disks appear).
# The capture ends in final_action or failure_action; this never returns.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mkdir -p /run /tmp
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
exec < /dev/console > /dev/console 2>&1
echo "xen-kdump: small capture image, $(cut -d' ' -f1 /proc/uptime) s after boot"
if [ -r /etc/xen-kdump/modules ]; then
    # One modprobe for all (each exec costs); one each only to name a failure.
    # shellcheck disable=SC2046
    modprobe -q -a $(cat /etc/xen-kdump/modules) ||
        for m in $(cat /etc/xen-kdump/modules); do
            modprobe -q "$m" || echo "xen-kdump: warning: kernel module $m did not load"
        done
    for _ in 1 2; do
        # shellcheck disable=SC2046
        modprobe -q -a $(cat /sys/bus/*/devices/*/modalias 2> /dev/null | sort -u) 2> /dev/null
    done
    echo "xen-kdump: drivers loaded, $(cut -d' ' -f1 /proc/uptime) s after boot"
fi
if [ -r /proc/vmcore ]; then
    /usr/lib/xen-kdump/capture || /usr/lib/xen-kdump/capture --failure
else
    echo "xen-kdump: no /proc/vmcore: this is not a capture boot"
fi
# Only reached when every action failed: PID 1 must not exit (that panics).
echo b > /proc/sysrq-trigger
sleep 3600
