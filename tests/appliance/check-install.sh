#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install` into a scratch DESTDIR: every piece where the system looks for
# it, with the right modes, paths substituted, and an existing config kept.
set -u
. "$(dirname "$0")/lib.sh"
D=$(mktemp -d /tmp/xkd-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
inst() { ${MAKE:-make} -s -C "$top" --no-print-directory install BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr > "$D.log" 2>&1; }

inst
check "make install DESTDIR=... PREFIX=/usr succeeds" '[ $? -eq 0 ] || { cat "$D.log"; false; }'
mode() { stat -c %a "$D$1" 2> /dev/null; }
check "binary /usr/sbin/xen-kdump" '[ "$(mode /usr/sbin/xen-kdump)" = 755 ]'
check "unit /lib/systemd/system/xen-kdump.service names /usr/sbin" \
	'[ "$(mode /lib/systemd/system/xen-kdump.service)" = 644 ] && grep -q "^ExecStart=/usr/sbin/xen-kdump load$" "$D/lib/systemd/system/xen-kdump.service"'
check "kernel hooks, executable, naming /usr/sbin" \
	'[ "$(mode /etc/kernel/postinst.d/zz-xen-kdump)" = 755 ] && [ "$(mode /etc/kernel/postrm.d/zz-xen-kdump)" = 755 ] && grep -q "^xkd=/usr/sbin/xen-kdump$" "$D/etc/kernel/postinst.d/zz-xen-kdump"'
m=/usr/lib/dracut/modules.d/99xen-kdump
check "dracut module in $m" \
	'[ "$(mode $m/module-setup.sh)" = 755 ] && [ "$(mode $m/xen-kdump-capture.sh)" = 755 ] && [ "$(mode $m/xen-kdump-capture.service)" = 644 ] && [ -f "$D$m/xen-kdump-failure.service" ] && [ "$(mode $m/xen-kdump-capture-lib.sh)" = 644 ]'
check "small image /init of the dracut module" '[ "$(mode $m/xen-kdump-init.sh)" = 755 ]'
check "network plan script of the dracut module" '[ "$(mode $m/xen-kdump-netplan.sh)" = 755 ]'
check "driver check script of the dracut module" '[ "$(mode $m/xen-kdump-drivers.sh)" = 755 ]'
check "storage functions of the dracut module (sourced)" '[ "$(mode $m/xen-kdump-storage.sh)" = 644 ]'
# The minimal kernel ships when it is built (make crashkernel), and never otherwise.
check "minimal kernel in /usr/lib/xen-kdump when built, else absent" \
	'if k=$("$top/crashkernel/build" --path 2> /dev/null); then cmp -s "$k" "$D/usr/lib/xen-kdump/vmlinuz-minimal"; else [ ! -e "$D/usr/lib/xen-kdump/vmlinuz-minimal" ]; fi'
# Its built-in drivers beside it, by module name (awk here, sed in crashkernel/build.mk):
# the loader reads them to tell whether the minimal kernel drives the host's disk and NICs.
builtin_names() { awk -F/ '{ n = $NF; sub(/[.]ko$/, "", n); gsub(/-/, "_", n); print n }' "$1" | LC_ALL=C sort -u; }
mods=/usr/lib/xen-kdump/vmlinuz-minimal.modules
if b=$("$top/crashkernel/build" --modules-path 2> /dev/null); then
	check "$mods: modules.builtin's names, one a line, '-' as '_', sorted, 0644" \
		'[ "$(mode $mods)" = 644 ] && builtin_names "$b" | cmp -s - "$D$mods"'
	# The drivers crashkernel/README.md promises for server hardware and dom0's networks.
	for n in nvme ahci megaraid_sas mpt3sas smartpqi hpsa virtio_blk virtio_scsi virtio_net \
		e1000e igb ixgbe i40e ice bnxt_en mlx5_core tg3 dm_mod raid1 bonding bridge 8021q ipv6; do
		grep -qx "$n" "$D$mods" || missing="${missing:-} $n"
	done
	check "$mods names every server driver (missing:${missing:- none})" '[ -z "${missing:-}" ]'
else
	check "no $mods without a minimal kernel" '[ ! -e "$D$mods" ]'
fi
check "default config /etc/xen-kdump.conf, every line a comment" \
	'[ "$(mode /etc/xen-kdump.conf)" = 644 ] && ! grep -v "^#\|^$" "$D/etc/xen-kdump.conf" | grep -q .'
check "man pages" '[ -f "$D/usr/share/man/man8/xen-kdump.8" ] && [ -f "$D/usr/share/man/man5/xen-kdump.conf.5" ] && [ -f "$D/usr/share/man/man8/xen-kdump-collect.8" ]'
check "/var/lib/xen-kdump is 0700" '[ "$(mode /var/lib/xen-kdump)" = 700 ]'
check "the installed default config parses" 'XEN_KDUMP_CONF=$D/etc/xen-kdump.conf "$XKD" show > /dev/null'

echo "keep 2" > "$D/etc/xen-kdump.conf"
inst
check "reinstall keeps the administrator's config" '[ "$(cat "$D/etc/xen-kdump.conf")" = "keep 2" ] && grep -q "keeping the existing" "$D.log"'
rm -f "$D.log"
finish install
