#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the dracut module finds under the dump's filesystem, from recorded
# lsblk/findmnt output (storage/*/, the XKD_BLOCK_FIXTURES seam): plain
# partitions, Debian's guided LVM, md RAID1, LVM on md, a thin LV, a disk dom0
# does not mount (target_fs); what it refuses (encrypted) and why; the dracut
# modules, kernel modules and command line the image gets; the small flavour
# giving way to the systemd one, saying why.
set -u
. "$(dirname "$0")/lib.sh"
# What the module says, kept in files: most of it is said in subshells.
T=$(mktemp -d /tmp/xkd-storage.XXXXXX)
trap 'rm -rf "$T"' EXIT
derror() { echo "$*" >> "$T/errors"; }
dwarn() { echo "$*" >> "$T/warnings"; }
dinfo() { :; }
# No real disk of this machine is looked at: any call to these fails the test.
lsblk() { echo "lsblk called" >&2; return 1; }
findmnt() { echo "findmnt called" >&2; return 1; }
blkid() { echo "blkid called" >&2; return 1; }
# shellcheck disable=SC1091
. "$top/initramfs/99xen-kdump/module-setup.sh"
expect() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
fx=$top/tests/appliance/storage
xkd_env_loaded=1
systemdutildir=/nonexistent
XKD_TARGET_KIND=path XKD_TARGET_FS= XKD_LOCAL_PATH=
lines() { tr '\n' ' ' | sed 's/ $//'; }

export XKD_BLOCK_FIXTURES=$fx/guided-lvm
expect "LVM: the dm name decodes to VG/LV, doubled dashes and all" \
	'[ "$(xkd_lvm_name /dev/mapper/debian--vg-swap_1)" = "debian-vg/swap_1" ] &&
	 [ "$(xkd_lvm_name /dev/mapper/a--b--c-d--e-tpool)" = "a-b-c/d-e" ] && [ -z "$(xkd_lvm_name /dev/mapper/plain)" ]'
XKD_TARGET_DIR=/var/crash
expect "guided LVM: /var/crash is /crash on the var LV" \
	'[ "$(xkd_local_spec /var/crash)" = "UUID=9e8d7c6b-5a49-4382-b716-05f4e3d2c1b0 ext4 /crash /dev/mapper/debian--vg-var" ]'
expect "guided LVM: the plan is that LV" '[ "$(xkd_storage)" = "lvm debian-vg/var" ]'
expect "guided LVM: dracut's lvm module" '[ "$(depends)" = "systemd bash fs-lib lvm" ]'
expect "guided LVM: rd.lvm.lv of exactly that LV" '[ "$(xkd_storage | xkd_storage_cmdline)" = "rd.lvm.lv=debian-vg/var" ]'
expect "guided LVM: dm_mod whether or not the build host has it loaded" '[ "$(xkd_storage | xkd_storage_kmods)" = dm_mod ]'
XKD_TARGET_DIR=/boot/crash
expect "a plain partition needs nothing assembled" '[ -z "$(xkd_storage)" ] && [ "$(depends)" = "systemd bash fs-lib" ]'
XKD_TARGET_DIR=/var/tmp/ram/x
: > "$T/errors"
expect "tmpfs under /var is still refused" '! xkd_storage > /dev/null && cat "$T/errors" | grep -q "cannot mount"'

export XKD_BLOCK_FIXTURES=$fx/md-raid1
XKD_TARGET_DIR=/srv/dumps/host1
expect "md RAID1: the array's UUID from its members, and its level" \
	'[ "$(xkd_storage)" = "md 3d6b1c2a-4e5f-6a7b-8c9d-0e1f2a3b4c5d raid1" ]'
expect "md RAID1: dracut's mdraid module" '[ "$(depends)" = "systemd bash fs-lib mdraid" ]'
expect "md RAID1: rd.md.uuid, md_mod and raid1" \
	'[ "$(xkd_storage | xkd_storage_cmdline)" = "rd.md.uuid=3d6b1c2a-4e5f-6a7b-8c9d-0e1f2a3b4c5d" ] &&
	 [ "$(xkd_storage | xkd_storage_kmods | lines)" = "md_mod raid1" ]'
expect "md RAID1: the filesystem is the array's, not a member's" \
	'[ "$(xkd_local_spec /srv/dumps/host1)" = "UUID=d0c1b2a3-9485-4677-a869-5b4c3d2e1f00 ext4 /host1 /dev/md0" ]'
XKD_TARGET_DIR=/var/crash
expect "md RAID1: the root partition beside it needs nothing" '[ -z "$(xkd_storage)" ]'

export XKD_BLOCK_FIXTURES=$fx/lvm-on-md
XKD_TARGET_DIR=/var/crash
expect "LVM on md: the LV and the array under it" \
	'[ "$(xkd_storage | lines)" = "lvm xen-vg/var md bbbbbbbb-cccc-dddd-eeee-ffffffffffff raid1" ]'
expect "LVM on md: both dracut modules" '[ "$(depends)" = "systemd bash fs-lib lvm mdraid" ]'
expect "LVM on md: both on the command line, the other array (/) not" \
	'[ "$(xkd_storage | xkd_storage_cmdline | lines)" = "rd.lvm.lv=xen-vg/var rd.md.uuid=bbbbbbbb-cccc-dddd-eeee-ffffffffffff" ]'
# save-local beside a network target: its storage too.
XKD_TARGET_KIND=ssh XKD_LOCAL_PATH=/crash
expect "save-local's directory is assembled too (network target)" \
	'[ "$(xkd_storage)" = "md 11111111-2222-3333-4444-555555555555 raid1" ]'
XKD_TARGET_KIND=path XKD_LOCAL_PATH=

export XKD_BLOCK_FIXTURES=$fx/thin
expect "thin LV: the LV and its pool, not the pool's hidden parts" \
	'[ "$(xkd_storage | xkd_storage_cmdline | lines)" = "rd.lvm.lv=vg0/crash rd.lvm.lv=vg0/pool0" ]'

export XKD_BLOCK_FIXTURES=$fx/luks-lvm
: > "$T/errors"
expect "encrypted: refused when the image is built, saying why" \
	'! xkd_storage > /dev/null && cat "$T/errors" | grep -q "is on the encrypted device /dev/mapper/sda5_crypt: the capture kernel has no key"'
: > "$T/errors"
expect "encrypted: depends fails (no image that cannot save)" '! depends > /dev/null && [ -s "$T/errors" ]'

export XKD_BLOCK_FIXTURES=$T/loop
mkdir -p "$XKD_BLOCK_FIXTURES"
echo 'NAME="/dev/loop0" KNAME="/dev/loop0" PKNAME="" TYPE="loop" FSTYPE="ext4" UUID="abcdabcd-1111-4222-8333-444444444444"' > "$XKD_BLOCK_FIXTURES/lsblk.txt"
echo '/dev/loop0 ext4 /srv/img' > "$XKD_BLOCK_FIXTURES/findmnt.txt"
XKD_TARGET_DIR=/srv/img/crash
: > "$T/warnings"
expect "loop: built, with a warning that only a disk is found by UUID" \
	'[ -z "$(xkd_storage)" ] && grep -q "is the loop device /dev/loop0: the capture kernel sets up no loop devices" "$T/warnings"'

# kdump-utils' 'ext4 UUID=...': a filesystem dom0 does not mount.
export XKD_BLOCK_FIXTURES=$fx/other-disk
XKD_TARGET_DIR=/dumps XKD_TARGET_FS=UUID=5a1e0d3c-7b2f-4e61-9c8a-0d4f3b2a1c05
expect "target_fs: found by UUID, the path inside it" \
	'[ "$(xkd_local_spec /dumps "$XKD_TARGET_FS")" = "UUID=5a1e0d3c-7b2f-4e61-9c8a-0d4f3b2a1c05 ext4 /dumps /dev/vdb1" ]'
XKD_TARGET_FS=UUID=00000000-1111-4222-8333-444444444444
: > "$T/errors"
expect "target_fs: an unknown UUID fails the build, saying so" \
	'! xkd_storage > /dev/null && cat "$T/errors" | grep -q "target_fs UUID=00000000-1111-4222-8333-444444444444: no filesystem with that UUID"'
export XKD_BLOCK_FIXTURES=$fx/md-raid1
XKD_TARGET_FS=UUID=3d6b1c2a-4e5f-6a7b-8c9d-0e1f2a3b4c5d
: > "$T/errors"
expect "target_fs: an md member's UUID is no filesystem" '! xkd_storage > /dev/null'
XKD_TARGET_FS=UUID=d0c1b2a3-9485-4677-a869-5b4c3d2e1f00
expect "target_fs: the array's filesystem, assembled" \
	'[ "$(xkd_storage)" = "md 3d6b1c2a-4e5f-6a7b-8c9d-0e1f2a3b4c5d raid1" ]'
XKD_TARGET_FS=

# The image: build.env names the filesystem, cmdline.d what dracut assembles.
initdir=$T/img
mkdir -p "$initdir/etc/xen-kdump"
export XKD_BLOCK_FIXTURES=$fx/lvm-on-md
XKD_TARGET_DIR=/var/crash
xkd_install_local TARGET /var/crash && xkd_install_storage
expect "image: build.env names the LV's filesystem and the directory in it" \
	'grep -qx "XKD_TARGET_DEVICE='"'UUID=12345678-9abc-4def-8123-456789abcdef'"'" "$initdir/etc/xen-kdump/build.env" &&
	 grep -qx "XKD_TARGET_SUBDIR='"'/crash'"'" "$initdir/etc/xen-kdump/build.env"'
expect "image: cmdline.d assembles the LV and the array" \
	'[ "$(cat "$initdir/etc/cmdline.d/90xen-kdump-storage.conf")" = "rd.lvm.lv=xen-vg/var rd.md.uuid=bbbbbbbb-cccc-dddd-eeee-ffffffffffff" ]'
rm -rf "$initdir"
mkdir -p "$initdir"
export XKD_BLOCK_FIXTURES=$fx/guided-lvm
XKD_TARGET_DIR=/boot/crash
xkd_install_storage
expect "image: nothing to assemble, no cmdline.d file" '[ ! -e "$initdir/etc/cmdline.d/90xen-kdump-storage.conf" ]'
rm -rf "$initdir"
unset initdir

# The kernel modules: the storage's, even with none loaded on the build host.
mods=
instmods() { mods="$mods $*"; }
get_dev_module() { :; }
export XKD_BLOCK_FIXTURES=$fx/lvm-on-md
XKD_TARGET_DIR=/var/crash
installkernel
expect "installkernel: the filesystem's and the stack's modules" '[ "$mods" = " xfs dm_mod md_mod raid1" ]'

# The small flavour (minimal kernel) has no udev, lvm or mdadm: the systemd
# image instead, and rebuild's output says why.
XKD_NO_KERNEL_MODULES=1
: > "$T/warnings"
expect "small flavour: LVM/md falls back to the systemd image" '[ "$(depends)" = "systemd bash fs-lib lvm mdraid" ]'
depends > /dev/null
expect "small flavour: ... and says why" \
	'cat "$T/warnings" | grep -q "is on lvm xen-vg/var md bbbbbbbb-cccc-dddd-eeee-ffffffffffff raid1: the small image (no udev, no lvm or mdadm) cannot assemble it; building the systemd image"'
export XKD_BLOCK_FIXTURES=$fx/guided-lvm
XKD_TARGET_DIR=/boot/crash
: > "$T/warnings"
expect "small flavour: a plain partition keeps it, silently" '[ "$(depends)" = dash ] && [ ! -s "$T/warnings" ]'
unset XKD_NO_KERNEL_MODULES

# check(): the tools dracut's modules need, named with their package.
require_binaries() { [ "$1" != lvm ] && [ "$1" != mdadm ]; }
XKD_ENGINE=makedumpfile
export XKD_BLOCK_FIXTURES=$fx/guided-lvm
XKD_TARGET_DIR=/var/crash
: > "$T/errors"
check > /dev/null 2>&1
expect "check: LVM without lvm says apt-get install lvm2" '[ $? = 1 ] && cat "$T/errors" | grep -q "apt-get install lvm2"'
export XKD_BLOCK_FIXTURES=$fx/md-raid1
XKD_TARGET_DIR=/srv/dumps
: > "$T/errors"
check > /dev/null 2>&1
expect "check: md without mdadm says apt-get install mdadm" '[ $? = 1 ] && cat "$T/errors" | grep -q "apt-get install mdadm"'

# Live (no fixtures): lsblk's rows, and blkid where lsblk has no udev database.
unset XKD_BLOCK_FIXTURES
lsblk() { cat "$fx/md-raid1/lsblk.txt" | sed 's/FSTYPE="[^"]*" UUID="[^"]*"/FSTYPE="" UUID=""/'; }
blkid() { case "$*" in *TYPE*/dev/md0) echo ext4 ;; *UUID*/dev/md0) echo d0c1b2a3-9485-4677-a869-5b4c3d2e1f00 ;; *) return 2 ;; esac; }
expect "live: without udev, blkid fills in what lsblk lacks" \
	'xkd_blk_table | grep -q "^/dev/md0 /dev/md0 /dev/sdb1 raid1 ext4 d0c1b2a3-9485-4677-a869-5b4c3d2e1f00$" &&
	 xkd_blk_table | grep -q "^/dev/sda /dev/sda - disk - -$"'
finish storage
