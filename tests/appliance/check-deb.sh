#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-deb: the .deb 'make deb' built — its paths, modes, conffiles, unit
# and maintainer scripts, hardened binaries, lintian without errors — then a
# real dpkg installs, removes and purges it in a scratch root (dpkg --root, the
# maintainer scripts run chrootless with $DPKG_ROOT, as deb-systemd-helper
# supports): the unit is enabled and not started, an administrator's config
# edit survives remove, and the dumps under /var/crash survive purge.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/xkd-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
deb=$BUILD/deb/xen-kdump_${version}_amd64.deb
if [ ! -f "$deb" ]; then
	fail "no $deb: run 'make deb' first"
	finish deb
	exit 1
fi
ok "built $(basename "$deb")"

dpkg-deb -x "$deb" "$T/x"
dpkg-deb -e "$deb" "$T/ctl"
mode() { stat -c %a "$T/x$1" 2>/dev/null; }

check "binaries in /usr/sbin, 0755" '[ "$(mode /usr/sbin/xen-kdump)" = 755 ] && [ "$(mode /usr/sbin/xen-kdump-collect)" = 755 ]'
check "xen-kdump version is the package's ($version)" \
	'[ "$("$T/x/usr/sbin/xen-kdump" version)" = "xen-kdump $version" ]'
unit=$T/x/lib/systemd/system/xen-kdump.service
check "unit 0644 in /lib/systemd/system, running /usr/sbin/xen-kdump" \
	'[ "$(mode /lib/systemd/system/xen-kdump.service)" = 644 ] &&
	 grep -q "^ExecStart=/usr/sbin/xen-kdump load$" "$unit" && grep -q "^ExecStop=/usr/sbin/xen-kdump unload$" "$unit"'
check "config 0644 and a conffile, with the kernel hooks" \
	'[ "$(mode /etc/xen-kdump.conf)" = 644 ] && grep -qx /etc/xen-kdump.conf "$T/ctl/conffiles" &&
	 grep -qx /etc/kernel/postinst.d/zz-xen-kdump "$T/ctl/conffiles" &&
	 [ "$(mode /etc/kernel/postinst.d/zz-xen-kdump)" = 755 ]'
check "dracut module, man pages (compressed)" \
	'[ -x "$T/x/usr/lib/dracut/modules.d/99xen-kdump/module-setup.sh" ] &&
	 [ -f "$T/x/usr/share/man/man8/xen-kdump.8.gz" ] && [ -f "$T/x/usr/share/man/man5/xen-kdump.conf.5.gz" ] &&
	 [ -f "$T/x/usr/share/man/man8/xen-kdump-collect.8.gz" ]'
check "state directory 0700, no /var/crash shipped (dumps are never the package's)" \
	'[ "$(mode /var/lib/xen-kdump)" = 700 ] && [ ! -e "$T/x/var/crash" ]'
check "nothing of the build tree leaks in (no $top path)" '! grep -rqs "$top" "$T/x/etc" "$T/x/lib"'
check "bash completion installed, 0644" \
	'[ "$(mode /usr/share/bash-completion/completions/xen-kdump)" = 644 ] &&
	 cmp -s "$top/completion/xen-kdump.bash" "$T/x/usr/share/bash-completion/completions/xen-kdump"'
if k=$("$top/crashkernel/build" --path 2>/dev/null); then
	check "minimal capture kernel shipped (make crashkernel cached it)" \
		'[ "$(mode /usr/lib/xen-kdump/vmlinuz-minimal)" = 644 ] && cmp -s "$k" "$T/x/usr/lib/xen-kdump/vmlinuz-minimal"'
	check "its built-in drivers shipped beside it (vmlinuz-minimal.modules)" \
		'[ "$(mode /usr/lib/xen-kdump/vmlinuz-minimal.modules)" = 644 ] &&
		 grep -qx megaraid_sas "$T/x/usr/lib/xen-kdump/vmlinuz-minimal.modules"'
else
	echo "# minimal capture kernel not cached ('make crashkernel'): the package has none"
	check "no minimal kernel when none was built" \
		'[ ! -e "$T/x/usr/lib/xen-kdump/vmlinuz-minimal" ] && [ ! -e "$T/x/usr/lib/xen-kdump/vmlinuz-minimal.modules" ]'
fi

# dpkg-buildflags' hardening reached compiler and linker (and -Werror stayed).
for b in xen-kdump xen-kdump-collect; do
	check "$b hardened: BIND_NOW, PIE, stack protector, fortify" \
		'readelf -W -d "$T/x/usr/sbin/$b" | grep -q "FLAGS.*BIND_NOW\|(BIND_NOW)\|FLAGS_1.*NOW" &&
		 readelf -W -h "$T/x/usr/sbin/$b" | grep -q "Type:.*DYN" &&
		 readelf -W --dyn-syms "$T/x/usr/sbin/$b" | grep -q __stack_chk_fail &&
		 readelf -W --dyn-syms "$T/x/usr/sbin/$b" | grep -Eq "__[a-z]+_chk@"'
done
check "package built with -Wall -Wextra -Werror and dpkg-buildflags' CPPFLAGS" \
	'grep -q -- "-Werror .*-D_FORTIFY_SOURCE=2 .*-fstack-protector-strong" "$BUILD/deb/build.log"'

check "postinst enables the unit, never starts it" \
	'grep -q "deb-systemd-helper enable .xen-kdump.service" "$T/ctl/postinst" &&
	 ! grep -q "deb-systemd-invoke.*start" "$T/ctl/postinst"'

# Found by the VM scenario appliance-purge: --no-start also drops the stop on removal,
# which left the image loaded and the unit active with its binary gone.
check "prerm stops the unit on remove (its ExecStop unloads the image), not on upgrade" \
	'grep -q "^if \[ \"\$1\" = remove \] .*; then" "$T/ctl/prerm" &&
	 grep -q "deb-systemd-invoke stop xen-kdump.service" "$T/ctl/prerm"'

out=$(lintian --fail-on error "$deb" 2>&1); rc=$?
echo "$out" | sed 's/^/# lintian: /'
check "lintian: no errors" '[ $rc -eq 0 ] && ! echo "$out" | grep -q "^E: "'

# --- install, remove, purge in a scratch root ---------------------------------
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc/systemd/system" "$R/var/crash"
: > "$R/var/lib/dpkg/status"
: > "$R/var/lib/dpkg/available"
host_wants=/etc/systemd/system/multi-user.target.wants/xen-kdump.service
host_had=no; [ -e "$host_wants" ] || [ -L "$host_wants" ] && host_had=yes
xdpkg() { dpkg --root="$R" --force-script-chrootless --force-depends --log=/dev/null "$@" > "$T/dpkg.log" 2>&1; }

xdpkg -i "$deb"; rc=$?
check "dpkg -i (rc $rc)" '[ $rc -eq 0 ] && [ -x "$R/usr/sbin/xen-kdump" ]'
check "installed: unit enabled in the root, not on this host" \
	'[ -L "$R/etc/systemd/system/multi-user.target.wants/xen-kdump.service" ] &&
	 { [ $host_had = yes ] || { [ ! -e "$host_wants" ] && [ ! -L "$host_wants" ]; }; }'
check "installed: state directory 0700" '[ "$(stat -c %a "$R/var/lib/xen-kdump")" = 700 ]'

# What a host has after a crash and a while of use.
dump=$R/var/crash/dom0-20261205-030000
mkdir -m 0700 "$dump"
printf 'KDUMP   the vmcore' > "$dump/vmcore"
printf 'report\n' > "$dump/report.txt"
chmod 0600 "$dump/vmcore" "$dump/report.txt"
sum=$(cat "$dump"/* | md5sum)
echo "state" > "$R/var/lib/xen-kdump/state"
echo "initrd" > "$R/var/lib/xen-kdump/initrd-6.1.0-99-amd64.img"
echo "# the administrator's edit" >> "$R/etc/xen-kdump.conf"

xdpkg -r xen-kdump; rc=$?
check "dpkg -r (rc $rc): programs gone, edited config kept" \
	'[ $rc -eq 0 ] && [ ! -e "$R/usr/sbin/xen-kdump" ] && grep -q "the administrator" "$R/etc/xen-kdump.conf"'
check "removed: kernel hooks kept as conffiles exit quietly without the program" \
	'sh "$R/etc/kernel/postinst.d/zz-xen-kdump" 6.1.0-99-amd64 > /dev/null 2>&1'
check "removed: dumps intact" '[ "$(cat "$dump"/* | md5sum)" = "$sum" ]'

xdpkg -P xen-kdump; rc=$?
check "dpkg -P (rc $rc): config, hooks, state and enable link gone" \
	'[ $rc -eq 0 ] && [ ! -e "$R/etc/xen-kdump.conf" ] && [ ! -e "$R/etc/kernel/postinst.d/zz-xen-kdump" ] &&
	 [ ! -e "$R/var/lib/xen-kdump" ] && [ ! -L "$R/etc/systemd/system/multi-user.target.wants/xen-kdump.service" ]'
check "purged: the dump under /var/crash stays, same bytes, 0600 in 0700" \
	'[ "$(cat "$dump"/* | md5sum)" = "$sum" ] && [ "$(stat -c %a "$dump")" = 700 ] &&
	 [ "$(stat -c %a "$dump/vmcore")" = 600 ]'
check "dpkg knows nothing of it any more" '! dpkg --root="$R" -s xen-kdump > /dev/null 2>&1'
[ $failed -eq 0 ] || sed 's/^/# dpkg: /' "$T/dpkg.log"
finish deb
