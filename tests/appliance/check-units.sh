#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze verify on the service (with the built binaries and the man
# pages it names) and on the units inside the capture initramfs; the kernel
# hooks rebuild for the capture kernel only.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/xkd-units.XXXXXX)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/man/man5" "$T/man/man8" "$T/root/usr/lib/xen-kdump" "$T/root/etc/systemd/system"
cp "$top"/docs/*.5 "$T/man/man5/"
cp "$top"/docs/*.8 "$T/man/man8/"
sed "s|@SBINDIR@|$BUILD|g" "$top/units/xen-kdump.service.in" > "$T/xen-kdump.service"
out=$(MANPATH=$T/man systemd-analyze verify "$T/xen-kdump.service" 2>&1)
check "verify xen-kdump.service${out:+: $out}" '[ -z "$out" ]'
check "service: dom0 only, privcmd, load/unload, stays active" \
	'grep -q "control_d" "$T/xen-kdump.service" && grep -q "/dev/xen/privcmd" "$T/xen-kdump.service" &&
	 grep -q "^ExecStart=$BUILD/xen-kdump load$" "$T/xen-kdump.service" &&
	 grep -q "^ExecStop=$BUILD/xen-kdump unload$" "$T/xen-kdump.service" &&
	 grep -q "^RemainAfterExit=yes" "$T/xen-kdump.service"'

check "service: conflicts with the other kdump services (one Xen crash slot)" \
	'grep -q "^Conflicts=kdump-tools.service kdump.service$" "$T/xen-kdump.service"'
check "service: reload rebuilds if stale, then loads" \
	'[ "$(grep "^ExecReload=" "$T/xen-kdump.service")" = "ExecReload=$BUILD/xen-kdump rebuild --if-stale
ExecReload=$BUILD/xen-kdump load" ]'

# verify is not a rubber stamp: a broken copy must fail.
sed 's/^Type=oneshot/Type=oneshoot/' "$T/xen-kdump.service" > "$T/broken.service"
out=$(MANPATH=$T/man systemd-analyze verify "$T/broken.service" 2>&1)
check "verify catches a bad unit" '[ -n "$out" ]'

cp "$top/initramfs/99xen-kdump/xen-kdump-capture.sh" "$T/root/usr/lib/xen-kdump/capture"
chmod 0755 "$T/root/usr/lib/xen-kdump/capture"
cp "$top"/initramfs/99xen-kdump/*.service "$T/root/etc/systemd/system/"
for u in xen-kdump-capture.service xen-kdump-failure.service; do
	out=$(MANPATH=$T/man systemd-analyze verify --root="$T/root" "$T/root/etc/systemd/system/$u" 2>&1)
	check "verify (initramfs) $u${out:+: $out}" '[ -z "$out" ]'
done

# Nothing waits forever: the capture unit has a finite limit (module-setup.sh
# replaces it with one from capture_timeout), and a timed-out capture takes
# its collector with it.
check "capture unit: finite TimeoutStartSec, KillMode=mixed" \
	'grep -q "^TimeoutStartSec=25h 10min$" "$top/initramfs/99xen-kdump/xen-kdump-capture.service" &&
	 ! grep -qi "^TimeoutStartSec=infinity" "$top"/initramfs/99xen-kdump/*.service &&
	 grep -q "^KillMode=mixed$" "$top/initramfs/99xen-kdump/xen-kdump-capture.service"'

# Kernel hooks, with a fake dracut that records its arguments.
cat > "$T/dracut" << 'EOS'
#!/bin/sh
echo "$*" > "$HOOK_LOG"
for last; do :; done
echo image > "$last"
EOS
chmod +x "$T/dracut"
sed "s|@SBINDIR@|$BUILD|g" "$top/units/kernel/postinst.in" > "$T/postinst"
sed "s|@SBINDIR@|$BUILD|g" "$top/units/kernel/postrm.in" > "$T/postrm"
printf 'initrd %s/initrd-%%r.img\n' "$T" > "$T/conf"
run_hook() { XEN_KDUMP_CONF=$T/conf XKD_DRACUT=$T/dracut HOOK_LOG=$T/log sh "$@" 2>&1; }
run_hook "$T/postinst" 6.1.0-99-amd64 > /dev/null
check "postinst: builds the capture initramfs of the new capture kernel" \
	'[ -s "$T/initrd-6.1.0-99-amd64.img" ] && grep -q -- "--kver 6.1.0-99-amd64" "$T/log"'
check "postinst: image is 0600" '[ "$(stat -c %a "$T/initrd-6.1.0-99-amd64.img")" = 600 ]'
run_hook "$T/postrm" 6.1.0-99-amd64
check "postrm: removes it" '[ ! -e "$T/initrd-6.1.0-99-amd64.img" ]'
printf 'kernel /boot/vmlinuz-fixed\ninitrd %s/initrd-%%r.img\n' "$T" > "$T/conf"
rm -f "$T/log"
run_hook "$T/postinst" 6.1.0-99-amd64 > /dev/null
check "postinst: another kernel than the capture kernel is left alone" '[ ! -e "$T/log" ]'
echo "bogus line" > "$T/conf"
out=$(run_hook "$T/postinst" 6.1.0-99-amd64; echo "rc=$?")
check "postinst: a bad config warns but never fails the kernel install" \
	'echo "$out" | grep -q "unknown key" && echo "$out" | grep -q "rc=0"'
finish units
