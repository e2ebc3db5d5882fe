#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The smallest Xen crashkernel= at which the appliance (dracut capture
# initramfs, Debian's kernel) still captures: plays appliance-local with
# smaller and smaller regions.  Usage: tests/appliance/bench-crashkernel.sh [MiB...]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
sizes=${*:-384 256 192 160 128}
smallest=
for mb in $sizes; do
	start=$(date +%s)
	if XKD_APPLIANCE_CRASHKERNEL=${mb}M "$top/tests/vm/run" appliance-local > "/tmp/xkd-bench-ck-$mb.log" 2>&1; then
		result=captured
		smallest=$mb
	else
		result="FAILED ($(grep -m1 -o 'vm: FAIL.*' "/tmp/xkd-bench-ck-$mb.log" | cut -c1-120))"
	fi
	echo "crashkernel=${mb}M: $result ($(($(date +%s) - start)) s)"
	[ "$result" = captured ] || break
done
echo "smallest crashkernel= that captured: ${smallest:-none}M"
