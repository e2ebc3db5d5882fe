#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the small capture image (module-setup.sh, xkd_small): devtmpfs
# makes the device nodes and blkid finds the disk, so no systemd or udev
# stands between the crash and the capture.  The minimal kernel has every
# driver built in; a distribution kernel's drivers are loaded here by name
# (etc/xen-kdump/modules: the dump's disk's driver chain, worked out on the
# host), and only when that list is empty by the devices' modalias too: those
# passes cost 0.35-0.45 s on one CPU and the disk does not need them.  When
# the disk is late all the same (a driver the host did not name), the capture
# script's find_uuid loads the devices' drivers by modalias then
# (capture-lib.sh: load_drivers, load_present; XKD_MODALIAS says which).
# Each exec costs 20-40 ms under TCG: the times come from the shell's read.
# The capture ends in final_action or failure_action; this never returns.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
# module-setup.sh puts both into the image: mkdir only if they are missing.
[ -d /run ] && [ -d /tmp ] || mkdir -p /run /tmp
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
exec < /dev/console > /dev/console 2>&1
read -r up _ < /proc/uptime
echo "xen-kdump: small capture image, $up s after boot"
if [ -r /etc/xen-kdump/modules ]; then
    # dash exits when '.' cannot read its file: PID 1 must not (a panic).
    lib=/usr/lib/xen-kdump/capture-lib.sh
    # shellcheck source=xen-kdump-capture-lib.sh
    if [ -r "$lib" ] && . "$lib"; then
        load_drivers /etc/xen-kdump/modules
        read -r up _ < /proc/uptime
        if [ "$XKD_MODALIAS" = late ]; then
            echo "xen-kdump: drivers loaded ($NAMED named; the other devices' only if the dump's disk is late), $up s after boot"
        else
            echo "xen-kdump: drivers loaded (none named: those of the devices present, by modalias), $up s after boot"
        fi
    else
        echo "xen-kdump: no capture-lib.sh: no drivers loaded"
    fi
fi
if [ -r /proc/vmcore ]; then
    /usr/lib/xen-kdump/capture || /usr/lib/xen-kdump/capture --failure
else
    echo "xen-kdump: no /proc/vmcore: this is not a capture boot"
fi
# Only reached when every action failed: PID 1 must not exit (that panics).
echo b > /proc/sysrq-trigger
sleep 3600
