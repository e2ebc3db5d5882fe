#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Which kernel modules the capture needs to reach the dump target
# (initramfs/99xen-kdump/xen-kdump-drivers.sh): from a made-up sysfs tree
# (XKD_SYSFS_ROOT) with the driver links a real host has, the recorded
# lsblk/findmnt of tests/appliance/storage/ and the network plan of
# tests/appliance/netplan/bridge-vlan-bond.  'xen-kdump rebuild' compares
# this list with the minimal kernel's built-in drivers (test-initrd.c).
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/xkd-drivers.XXXXXX)
trap 'rm -rf "$T"' EXIT
drivers=$top/initramfs/99xen-kdump/xen-kdump-drivers.sh
sys=$T/root/sys

# A driver bound to a device, with its module link as the kernel makes it.
bind() {        # DEVPATH DRIVER-DIR MODULE
	mkdir -p "$sys/devices/$1" "$sys/$2" "$sys/module/$3"
	ln -sfn "$sys/module/$3" "$sys/$2/module"
	ln -sfn "$sys/$2" "$sys/devices/$1/driver"
}
pci=pci0000:00/0000:00:02.0/0000:03:00.0
# sda and sdb behind a MegaRAID controller, as sd disks.
for d in sda:0:2:0:0 sdb:0:2:1:0; do
	name=${d%%:*} hctl=${d#*:}
	bind "$pci/host0/target0:2:${hctl:4:1}/$hctl" bus/scsi/drivers/sd sd_mod
	mkdir -p "$sys/class/block/$name"
	ln -sfn "$sys/devices/$pci/host0/target0:2:${hctl:4:1}/$hctl" "$sys/class/block/$name/device"
done
bind "$pci" bus/pci/drivers/megaraid_sas megaraid_sas
# Two Intel E810 ports (ice) for the bond.
for n in 0 1; do
	bind "pci0000:00/0000:00:03.0/0000:5e:00.$n" bus/pci/drivers/ice ice
	mkdir -p "$sys/class/net/ens1f$n"
	ln -sfn "$sys/devices/pci0000:00/0000:00:03.0/0000:5e:00.$n" "$sys/class/net/ens1f$n/device"
done

env_file() {    # KIND DIR
	cat > "$T/env" << EOF
XKD_TARGET_KIND='$1'
XKD_TARGET_DIR='$2'
XKD_TARGET_FS=''
XKD_LOCAL_PATH=''
EOF
}
run() {
	XKD_SYSFS_ROOT=$T/root XEN_KDUMP_ENV_FILE=$T/env "$drivers" > "$T/out" 2> "$T/err"
}
has() { grep -q "^$1 " "$T/out"; }
lines() { awk '{ print $1 }' "$T/out" | tr '\n' ' ' | sed 's/ $//'; }

export XKD_BLOCK_FIXTURES=$top/tests/appliance/storage/md-raid1
env_file path /srv/dumps/host1
check "md RAID1 on two MegaRAID disks: ext4, md_mod, raid1, sd_mod, megaraid_sas, each once" \
	'run && [ "$(lines)" = "ext4 md_mod raid1 sd_mod megaraid_sas" ] && [ ! -s "$T/err" ]'
check "each module says what needs it" \
	'grep -qx "megaraid_sas disk sda (under /srv/dumps/host1)" "$T/out" &&
	 grep -qx "raid1 md RAID md0 (under /srv/dumps/host1)" "$T/out"'

export XKD_BLOCK_FIXTURES=$top/tests/appliance/storage/guided-lvm
env_file path /var/crash
check "guided LVM: dm_mod for the LV, and the disk's drivers" \
	'run && has dm_mod && has megaraid_sas && has sd_mod && has ext4'
env_file path /boot/crash
check "an ext2 /boot needs ext4 (which serves ext2), no dm_mod" \
	'run && has ext4 && ! has ext2 && ! has dm_mod && has megaraid_sas'

rm "$sys/devices/$pci/driver"
env_file path /boot/crash
check "a controller without a driver module in sysfs is a warning, not a guess" \
	'run && ! has megaraid_sas && has sd_mod && [ ! -s "$T/err" ]'
rm "$sys/devices/$pci/host0/target0:2:0/0:2:0:0/driver"
check "a disk with no driver module at all: the warning names it" \
	'run && grep -q "cannot tell which driver serves disk sda" "$T/err"'
bind "$pci/host0/target0:2:0/0:2:0:0" bus/scsi/drivers/sd sd_mod
bind "$pci" bus/pci/drivers/megaraid_sas megaraid_sas

env_file path /srv/nowhere-mounted
export XKD_BLOCK_FIXTURES=$T/nofs
mkdir -p "$T/nofs"
: > "$T/nofs/lsblk.txt"
: > "$T/nofs/findmnt.txt"
check "a directory whose filesystem cannot be found fails, with the reason" \
	'! run && [ -s "$T/err" ]'

# ssh over the bridge on a VLAN on a bond of two ice ports, with the save-local
# fallback on the MegaRAID md array.
export XKD_BLOCK_FIXTURES=$top/tests/appliance/storage/md-raid1
XKD_NET_FIXTURES=$top/tests/appliance/netplan/bridge-vlan-bond \
	"$top/initramfs/99xen-kdump/xen-kdump-netplan.sh" "$(cat "$top/tests/appliance/netplan/bridge-vlan-bond/host")" \
	> "$T/plan" 2> /dev/null
env_file ssh ''
echo "XKD_LOCAL_PATH='/srv/dumps/host1'" >> "$T/env"
export XEN_KDUMP_NETPLAN=$T/plan
check "bridge, bond and VLAN on the way; the bond's ice ports; the local fallback's disks" \
	'run && has bridge && has bonding && has 8021q && has ice && has raid1 && has megaraid_sas && ! has ipv6'
check "the NIC names the interface and the target" \
	'grep -qx "ice NIC ens1f0 (the way to 192.0.2.99)" "$T/out"'
sed -i 's|^Address=172.16.200.8/24$|Address=2001:db8:200::8/64|' "$T/plan"
check "a static IPv6 address on the way needs ipv6" 'run && has ipv6'
env_file nfs ''
check "an NFS target needs nfs" 'run && has nfs && has bridge'
unset XEN_KDUMP_NETPLAN

finish test-drivers
