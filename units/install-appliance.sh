#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the appliance parts beside the programs (run by 'make install'):
# the service, the kernel hooks, the dracut module, the default config (never
# over an existing one), the man pages and the initramfs directory.
# Usage: units/install-appliance.sh GENDIR  (generated units/hooks), with
#        DESTDIR SYSCONFDIR UNITDIR MANDIR DRACUTMODDIR in the environment.
set -eu
gen=${1:?usage: units/install-appliance.sh GENDIR}
: "${DESTDIR=}" "${SYSCONFDIR:=/etc}" "${UNITDIR:=/lib/systemd/system}"
: "${MANDIR:=/usr/local/share/man}" "${DRACUTMODDIR:=/usr/lib/dracut/modules.d}"
top=$(cd "$(dirname "$0")/.." && pwd)

install -d -m 0755 "$DESTDIR$UNITDIR" "$DESTDIR$SYSCONFDIR/kernel/postinst.d" \
	"$DESTDIR$SYSCONFDIR/kernel/postrm.d" "$DESTDIR$DRACUTMODDIR/99xen-kdump" \
	"$DESTDIR$MANDIR/man5" "$DESTDIR$MANDIR/man8"
install -m 0644 "$gen/xen-kdump.service" "$DESTDIR$UNITDIR/xen-kdump.service"
install -m 0755 "$gen/postinst" "$DESTDIR$SYSCONFDIR/kernel/postinst.d/zz-xen-kdump"
install -m 0755 "$gen/postrm" "$DESTDIR$SYSCONFDIR/kernel/postrm.d/zz-xen-kdump"

mod=$top/initramfs/99xen-kdump
install -m 0755 "$mod/module-setup.sh" "$mod/xen-kdump-capture.sh" "$mod/xen-kdump-init.sh" "$mod/xen-kdump-netplan.sh" "$mod/xen-kdump-drivers.sh" \
	"$DESTDIR$DRACUTMODDIR/99xen-kdump/"
install -m 0644 "$mod/xen-kdump-capture.service" "$mod/xen-kdump-failure.service" "$mod/xen-kdump-capture-lib.sh" \
	"$mod/xen-kdump-storage.sh" \
	"$DESTDIR$DRACUTMODDIR/99xen-kdump/"

# An administrator's config is theirs: install the default only where there is none.
if [ -e "$DESTDIR$SYSCONFDIR/xen-kdump.conf" ]; then
	echo "install: keeping the existing $DESTDIR$SYSCONFDIR/xen-kdump.conf"
else
	install -m 0644 "$top/xen-kdump/xen-kdump.conf" "$DESTDIR$SYSCONFDIR/xen-kdump.conf"
fi

for page in "$top"/docs/*.[58]; do
	install -m 0644 "$page" "$DESTDIR$MANDIR/man${page##*.}/"
done

# The capture initramfs may hold the ssh identity.
install -d -m 0700 "$DESTDIR/var/lib/xen-kdump"
