#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The dracut module's own logic, without dracut: module-setup.sh sourced with
# findmnt, blkid and dracut's helpers stubbed.  Where a local dump directory
# is found, what is refused, the known_hosts line, the dependencies per target.
set -u
. "$(dirname "$0")/lib.sh"
errors=
derror() { errors="$errors|$*"; }
dinfo() { :; }
MOUNT="/dev/sda2 ext4 /"
UUID=11111111-2222-3333-4444-555555555555
findmnt() { echo "$MOUNT"; }
blkid() { [ -n "$UUID" ] && echo "$UUID"; }
# shellcheck disable=SC1091
. "$top/initramfs/99xen-kdump/module-setup.sh"
# module-setup.sh defines dracut's check(); ours is expect().
expect() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

expect "dir on the root filesystem keeps its full path" \
	'[ "$(xkd_local_spec /var/crash)" = "UUID=$UUID ext4 /var/crash /dev/sda2" ]'
MOUNT="/dev/sdb1 xfs /var"
expect "dir on a /var filesystem is relative to it" \
	'[ "$(xkd_local_spec /var/crash)" = "UUID=$UUID xfs /crash /dev/sdb1" ]'
MOUNT="/dev/sdb1 xfs /var/crash"
expect "the mount point itself is /" '[ "$(xkd_local_spec /var/crash)" = "UUID=$UUID xfs / /dev/sdb1" ]'
MOUNT="tmpfs tmpfs /run"
expect "tmpfs is refused with the reason" \
	'! xkd_local_spec /run/dumps > /dev/null && echo "$errors" | grep -q "cannot mount"'
MOUNT="/dev/sdc1 ext4 /"
UUID=
errors=
expect "a filesystem without UUID is refused" \
	'! xkd_local_spec /var/crash > /dev/null && echo "$errors" | grep -q "no filesystem UUID"'

XKD_SSH_KNOWN_HOST="ssh-ed25519 AAAAKEY"
XKD_TARGET_HOST=backup.lan XKD_SSH_PORT=22
expect "known_hosts: plain host on port 22" '[ "$(xkd_known_hosts_line)" = "backup.lan ssh-ed25519 AAAAKEY" ]'
XKD_TARGET_HOST="[fd00::1]" XKD_SSH_PORT=2222
expect "known_hosts: [IPv6]:port" '[ "$(xkd_known_hosts_line)" = "[fd00::1]:2222 ssh-ed25519 AAAAKEY" ]'

xkd_env_loaded=1
systemdutildir=/nonexistent
XKD_TARGET_KIND=path
expect "depends: path needs no network" '[ "$(depends)" = "systemd bash fs-lib" ]'
XKD_TARGET_KIND=ssh
expect "depends: ssh brings the network" '[ "$(depends)" = "systemd bash fs-lib network" ]'
XKD_TARGET_KIND=nfs
expect "depends: nfs brings network and nfs" '[ "$(depends)" = "systemd bash fs-lib network network nfs" ]'
XKD_NO_KERNEL_MODULES=1
XKD_TARGET_KIND=path
expect "depends: a module-less kernel with a local target gets the small image" '[ "$(depends)" = "dash" ]'
XKD_TARGET_KIND=ssh
expect "depends: ... but a network target keeps systemd" '[ "$(depends)" = "systemd bash fs-lib network" ]'
unset XKD_NO_KERNEL_MODULES

# build.env is sourced as root by dash in the capture kernel: any host name
# (quotes, $( ), backquotes, a newline) must come back as the same bytes and run nothing.
T=$(mktemp -d /tmp/xkd-module-setup.XXXXXX)
raw=$'h\'o$(touch '"$T"$'/pwned)`touch '"$T"$'/pwned`\nx\\y\'\''
xkd_sh_assign XKD_HOSTNAME "$raw" > "$T/build.env"
printf '%s' "$raw" > "$T/want"
dash -c '. "$1/build.env" && printf "%s" "$XKD_HOSTNAME" > "$1/got"' sh "$T"
expect "build.env: a hostile host name is data, not code" '[ ! -e "$T/pwned" ] && cmp -s "$T/want" "$T/got"'
xkd_sh_assign XKD_TARGET_SUBDIR "/var/crash" > "$T/build.env"
expect "build.env: plain values stay plain" '[ "$(cat "$T/build.env")" = "XKD_TARGET_SUBDIR='"'/var/crash'"'" ]'
rm -rf "$T"

# The capture unit's backstop follows capture_timeout: never infinite.
XKD_TIMEOUT=120 XKD_CAPTURE_TIMEOUT=600
expect "unit timeout: capture_timeout 600 + timeout 120 + 10 min" '[ "$(xkd_unit_timeout)" = 1320 ]'
XKD_CAPTURE_TIMEOUT=auto
expect "unit timeout: auto is bounded by its 24 h maximum" '[ "$(xkd_unit_timeout)" = 87120 ]'
finish module-setup
