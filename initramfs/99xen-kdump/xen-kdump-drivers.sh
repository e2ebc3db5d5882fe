#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel modules a capture kernel needs to reach the dump target, read
# from the running host when the image is built: the disk's controller and
# the block layers above it (sd, dm, md and its level), the filesystem, or
# the NICs on the way to a network target with the bridge, bond, VLAN and
# IPv6 support dom0 uses there.  'xen-kdump rebuild' compares them with the
# minimal kernel's built-in drivers (vmlinuz-minimal.modules) and captures
# with the distribution kernel when one is missing, saying which; a host that
# needs a driver the minimal kernel lacks must never find out at crash time.
#
# Usage: XEN_KDUMP_ENV_FILE=F [XEN_KDUMP_NETPLAN=P] xen-kdump-drivers.sh
#   F: the validated config as sh assignments ('xen-kdump show --shell');
#   P: the network plan (xen-kdump-netplan.sh's output) for a network target.
# Prints "MODULE WHAT" lines (module names with '_', each once).  A device
# whose driver cannot be told (no driver/module link: built into the host's
# kernel) is a warning, not a guess.
# XKD_SYSFS_ROOT=DIR reads DIR/sys instead of /sys; XKD_BLOCK_FIXTURES as in
# xen-kdump-storage.sh (the tests).
set -u
export LC_ALL=C

dwarn() { echo "xen-kdump: warning: ${*#xen-kdump: }" >&2; }
derror() { echo "xen-kdump: ${*#xen-kdump: }" >&2; }

# shellcheck source=xen-kdump-storage.sh
. "$(dirname "${BASH_SOURCE[0]}")/xen-kdump-storage.sh"

env=${XEN_KDUMP_ENV_FILE:?usage: XEN_KDUMP_ENV_FILE=F xen-kdump-drivers.sh}
# shellcheck disable=SC1090
. "$env" || exit 1
sys=${XKD_SYSFS_ROOT:-}/sys

# The modules of the drivers bound to DEVDIR (a sysfs device) and to every
# device above it up to the root complex: the disk (sd), its SCSI host, the
# PCI function (megaraid_sas); or the virtio device and virtio_pci.
xkd_device_modules() {
    local d=$1 what=$2 found=
    d=$(readlink -f "$d") || return 0
    while [[ $d == "$sys/devices/"* ]]; do
        if [[ -L $d/driver/module ]]; then
            echo "$(basename "$(readlink -f "$d/driver/module")" | tr - _) $what"
            found=1
        fi
        d=${d%/*}
    done
    [[ $found ]] || dwarn "cannot tell which driver serves $what (no driver module in sysfs): the minimal kernel is not checked for it"
}

# A block device from the storage chain: "KNAME TYPE".
xkd_block_modules() {
    local kname=${1##*/} type=$2 what=$3
    case $type in
        disk) xkd_device_modules "$sys/class/block/$kname/device" "disk $kname ($what)" ;;
        lvm) echo "dm_mod LVM volume $kname ($what)" ;;
        raid0 | raid1 | raid10 | linear) echo "md_mod md RAID $kname ($what)"; echo "$type md RAID $kname ($what)" ;;
        raid4 | raid5 | raid6) echo "md_mod md RAID $kname ($what)"; echo "raid456 md RAID $kname ($what)" ;;
    esac
}

# DIR UUID=... FSTYPE SUBDIR SOURCE (xkd_for_each_local): its filesystem and block layers.
xkd_local_modules_of() {
    local dir=$1 fstype=$3 src=$5 name kname pkname type fsty uuid
    case $fstype in
        ext2 | ext3 | ext4) echo "ext4 the $fstype filesystem of $dir" ;;
        *) echo "$fstype the $fstype filesystem of $dir" ;;
    esac
    while read -r name kname pkname type fsty uuid; do
        [[ $kname ]] && xkd_block_modules "$kname" "$type" "under $dir"
    done < <(xkd_blk_chain "$src" "$(xkd_blk_table)")
    return 0
}

# The network plan's interfaces: a .netdev file is a bridge, bond or VLAN;
# a .network file without one is a NIC.
xkd_net_modules() {
    local plan=$1 line name kind= ipv6= target
    target=$(awk '$1 == "target" { print $2; exit }' <<< "$plan")
    [[ $target == *:* ]] && ipv6="the target $target is IPv6"
    while IFS= read -r line; do
        case $line in
            "file 10-xen-kdump-"*.netdev) name=${line#file 10-xen-kdump-} name=${name%.netdev} kind=netdev ;;
            "file 10-xen-kdump-"*.network) name=${line#file 10-xen-kdump-} name=${name%.network} kind=network
                grep -qx "file 10-xen-kdump-$name.netdev" <<< "$plan" ||
                    xkd_device_modules "$sys/class/net/$name/device" "NIC $name (the way to $target)" ;;
            Kind=bridge) [[ $kind == netdev ]] && echo "bridge bridge $name (the way to $target)" ;;
            Kind=bond) [[ $kind == netdev ]] && echo "bonding bond $name (the way to $target)" ;;
            Kind=vlan) [[ $kind == netdev ]] && echo "8021q VLAN $name (the way to $target)" ;;
            Address=*:* | DHCP=yes | DHCP=ipv6 | IPv6AcceptRA=yes) [[ $ipv6 ]] || ipv6="$name uses IPv6" ;;
        esac
    done <<< "$plan"
    [[ $ipv6 ]] && echo "ipv6 $ipv6"
    return 0
}

{
    case $XKD_TARGET_KIND in
        nfs) echo "nfs the NFS target" ;;
    esac
    if [[ $XKD_TARGET_KIND == ssh || $XKD_TARGET_KIND == nfs ]]; then
        [[ ${XEN_KDUMP_NETPLAN:-} && -r $XEN_KDUMP_NETPLAN ]] &&
            xkd_net_modules "$(cat "$XEN_KDUMP_NETPLAN")"
    fi
    xkd_for_each_local xkd_local_modules_of || exit 1
} | awk '!seen[$1]++'
exit "${PIPESTATUS[0]}"
