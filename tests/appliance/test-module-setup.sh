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
# This machine's own /etc/xen-kdump hooks are no part of the tests.
XKD_HOOKS_DIR=/nonexistent
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

# Without ssh_known_host, the lines of the pinned file that name the target.
T=$(mktemp -d /tmp/xkd-module-setup.XXXXXX)
initdir=$T/image
mkdir -p "$initdir/etc/xen-kdump"
printf '%s\n' "[backup.lan]:2222 ssh-ed25519 AAAAPINNED" "other ssh-ed25519 AAAAOTHER" \
	"backup.lan ssh-ed25519 AAAAPORT22" > "$T/pinned"
XKD_SSH_KNOWN_HOST= XKD_SSH_KNOWN_HOSTS=$T/pinned XKD_TARGET_HOST=backup.lan XKD_SSH_PORT=2222
xkd_install_known_hosts
expect "known_hosts: the pinned file's line for [host]:port, no other" \
	'[ "$(cat "$initdir/etc/xen-kdump/known_hosts")" = "[backup.lan]:2222 ssh-ed25519 AAAAPINNED" ]'
XKD_TARGET_HOST=elsewhere
errors=
expect "known_hosts: no pinned line for the target fails the build, naming propagate" \
	'! xkd_install_known_hosts && echo "$errors" | grep -q "no host key for \[elsewhere\]:2222 in $T/pinned: run .xen-kdump propagate."'
XKD_SSH_KNOWN_HOST="ssh-ed25519 AAAAKEY" XKD_TARGET_HOST=backup.lan
xkd_install_known_hosts
expect "known_hosts: ssh_known_host wins over the pinned file" \
	'[ "$(cat "$initdir/etc/xen-kdump/known_hosts")" = "[backup.lan]:2222 ssh-ed25519 AAAAKEY" ]'
rm -rf "$T"
unset initdir

xkd_env_loaded=1
systemdutildir=/nonexistent
XKD_TARGET_KIND=path XKD_TARGET_DIR=/var/crash XKD_TARGET_FS= XKD_LOCAL_PATH= UUID=11111111-2222-3333-4444-555555555555
# A disk with nothing under it (storage: test-storage.sh).
lsblk() { echo 'NAME="/dev/sdc1" KNAME="/dev/sdc1" PKNAME="/dev/sdc" TYPE="part" FSTYPE="ext4" UUID="x"'; }
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
# The collector's options, asked at build time: the capture does not run its --help.
printf '#!/bin/sh\necho "usage: --vmcore FILE --output DIR"\necho "  --time-limit S  --prune DIR"\n' > "$T/collector"
chmod +x "$T/collector"
expect "build.env: the collector's options from its --help, each once" \
	'[ "$(xkd_collector_opts "$T/collector")" = "--output --prune --time-limit --vmcore " ]'
expect "build.env: the real collector's include what the capture asks for" \
	'o=$(xkd_collector_opts "$BUILD/xen-kdump-collect") && [[ $o == *"--time-limit "* && $o == *"--evidence "* && $o == *"--prune "* ]]'
xkd_sh_assign XKD_TARGET_SUBDIR "/var/crash" > "$T/build.env"
expect "build.env: plain values stay plain" '[ "$(cat "$T/build.env")" = "XKD_TARGET_SUBDIR='"'/var/crash'"'" ]'
rm -rf "$T"

# The capture unit's backstop follows capture_timeout: never infinite.
XKD_TIMEOUT=120 XKD_CAPTURE_TIMEOUT=600
expect "unit timeout: capture_timeout 600 + timeout 120 + 10 min" '[ "$(xkd_unit_timeout)" = 1320 ]'
XKD_CAPTURE_TIMEOUT=auto
expect "unit timeout: auto is bounded by its 24 h maximum" '[ "$(xkd_unit_timeout)" = 87120 ]'
T=$(mktemp -d /tmp/xkd-module-setup.XXXXXX)
mkdir -p "$T/post.d"
printf '#!/bin/sh\n' > "$T/post.d/10-a" && printf '#!/bin/sh\n' > "$T/post.d/20-b" && chmod +x "$T/post.d/"*
printf 'notes\n' > "$T/post.d/README"
XKD_CAPTURE_TIMEOUT=600
expect "unit timeout: each post.d hook adds its timeout" '[ "$(XKD_HOOKS_DIR=$T xkd_unit_timeout)" = 1560 ]'
rm -rf "$T"
# Hook directories: every executable file of pre.d and post.d goes to the
# same place in the image, nothing else; the directories are 0700.
T=$(mktemp -d /tmp/xkd-module-setup.XXXXXX)
mkdir -p "$T/host/pre.d" "$T/host/post.d" "$T/image"
printf '#!/bin/sh\n' > "$T/host/pre.d/10-net" && chmod +x "$T/host/pre.d/10-net"
printf '#!/bin/sh\n' > "$T/host/post.d/90-mail" && chmod +x "$T/host/post.d/90-mail"
printf 'notes\n' > "$T/host/post.d/README"
mkdir "$T/host/post.d/sub.d"
inst_dir() { mkdir -p "$initdir$1"; }
inst_script() { echo "$1 -> $2" >> "$T/installed"; }
initdir=$T/image
XKD_HOOKS_DIR=$T/host xkd_install_hook_dirs
expect "hooks: executables of pre.d and post.d are installed at the same place in the image" \
	'[ "$(sort "$T/installed" | tr "\n" " ")" = "$T/host/post.d/90-mail -> /etc/xen-kdump/post.d/90-mail $T/host/pre.d/10-net -> /etc/xen-kdump/pre.d/10-net " ]'
expect "hooks: the image's hook directories are 0700" \
	'[ "$(stat -c %a "$T/image/etc/xen-kdump/pre.d")" = 700 ] && [ "$(stat -c %a "$T/image/etc/xen-kdump/post.d")" = 700 ]'
inst_script() { return 1; }
errors=
expect "hooks: one that cannot be installed fails the build, naming it" \
	'! XKD_HOOKS_DIR=$T/host xkd_install_hook_dirs && echo "$errors" | grep -q "pre hook $T/host/pre.d/10-net cannot be installed"'
rm -rf "$T"
# The network files: the plan's, and only the plan's (not the host's copied
# ones); the wait names the interface towards the target; the fallback keeps DHCP.
T=$(mktemp -d /tmp/xkd-module-setup.XXXXXX)
initdir=$T/img systemdutildir=/usr/lib/systemd systemdsystemunitdir=/usr/lib/systemd/system
moddir=$top/initramfs/99xen-kdump
dwarn() { errors="$errors|$*"; }
mkdir -p "$initdir/etc/systemd/network" && echo host > "$initdir/etc/systemd/network/10-host.network"
XKD_TARGET_HOST=backup.example XKD_TIMEOUT=60
getent() { echo "203.0.113.7 STREAM backup.example"; }
export -f getent
if command -v jq > /dev/null; then
	XKD_NET_FIXTURES=$top/tests/appliance/netplan/static-bridge xkd_install_network 2> /dev/null
	expect "network: the plan's files, none of the host's" \
		'[ "$(ls "$initdir/etc/systemd/network" | tr "\n" " ")" = "10-xen-kdump-enp1s0.network 10-xen-kdump-xenbr0.netdev 10-xen-kdump-xenbr0.network " ]'
	expect "network: a target by name is pinned in /etc/hosts" \
		'[ "$(cat "$initdir/etc/hosts")" = "203.0.113.7 backup.example" ]'
	expect "network: wait for xenbr0 routable, bounded by timeout" \
		'grep -q -- "--interface=xenbr0:routable --timeout=60$" "$initdir$systemdsystemunitdir/systemd-networkd-wait-online.service.d/xen-kdump.conf"'
	expect "network: no bonding options without a bond" '[ ! -e "$initdir/etc/modprobe.d/xen-kdump-bonding.conf" ]'
	[ -x $systemdutildir/systemd-networkd ] &&
		expect "network: no dracut DHCP" '[ "$(cat "$initdir/etc/cmdline.d/99xen-kdump.conf")" = "rd.neednet=1" ]'
	# The kernel modules the plan needs, even when the build host has none loaded.
	mods=
	instmods() { mods="$mods $*"; }
	get_dev_module() { :; }
	xkd_load_env() { :; }
	XKD_TARGET_KIND=ssh XKD_LOCAL_PATH=
	XKD_NET_FIXTURES=$top/tests/appliance/netplan/static-bridge installkernel 2> /dev/null
	expect "network: the bridge modules for a bridge" '[ "$mods" = " bridge stp llc" ]'
	mods=
	XKD_NET_FIXTURES=$top/tests/appliance/netplan/vlan-on-bond installkernel 2> /dev/null
	expect "network: bonding and 8021q for a VLAN on a bond" '[ "$mods" = " bonding 8021q" ]'
	rm -rf "$initdir"
	XKD_NET_FIXTURES=$top/tests/appliance/netplan/vlan-on-bond xkd_install_network 2> /dev/null
	expect "network: a bond: bonding makes no bond0 of its own (networkd would keep its mode)" \
		'[ "$(cat "$initdir/etc/modprobe.d/xen-kdump-bonding.conf")" = "options bonding max_bonds=0" ] &&
		 [ -e "$initdir/etc/systemd/network/10-xen-kdump-bond0.netdev" ]'
	rm -rf "$initdir"
	XKD_NET_FIXTURES=$top/tests/appliance/netplan/no-route xkd_install_network 2> /dev/null
	expect "network: no route: DHCP on every port, wait for any" \
		'grep -qx "DHCP=yes" "$initdir/etc/systemd/network/90-xen-kdump.network" &&
		 grep -q -- "--any --timeout=60$" "$initdir$systemdsystemunitdir/systemd-networkd-wait-online.service.d/xen-kdump.conf" &&
		 [ "$(cat "$initdir/etc/cmdline.d/99xen-kdump.conf")" = "rd.neednet=1 ip=dhcp" ]'
else
	fail "network: jq is not installed (apt-get install jq)"
fi
unset -f getent
rm -rf "$T"
finish module-setup
