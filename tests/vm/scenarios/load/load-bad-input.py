"""Bad input against the real hypervisor: each refused with one line and a
non-zero exit, before any hypercall where possible -- and the image loaded
before keeps working: the crash afterwards is captured by it.  The same boot
first plays status-cycle's load/unload cycle (one VM run for both in make check)."""
import _status
from _loader import CAPTURE_BINARIES  # noqa: F401
from xkdvm import checks

DESCRIPTION = "status cycle; bad kernels/initrds/privcmd refused; the earlier image still captures"
CRASH = "dom0-panic"
ESSENTIAL = True
# Two loads, two unloads and ten refusals before the crash: dom0 /init -> loaded took 31 s
# without the status cycle (load ~6) and 138 s with it beside a kernel build and other VMs
# (load 11), so more room than the default 240 s.
TIMEOUTS = {"load_done": 480}

DOM0_SCRIPT = _status.CYCLE + r"""
xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"
K="$CAPTURE_KERNEL"; I="$CAPTURE_INITRD"; NO_STATUS=
head -c 100000 "$K" > /tmp/truncated
cp "$K" /tmp/corrupt; printf 'XXXX' | dd of=/tmp/corrupt bs=1 seek=514 conv=notrunc 2>/dev/null
cp "$K" /tmp/nonreloc; printf '\000' | dd of=/tmp/nonreloc bs=1 seek=564 conv=notrunc 2>/dev/null
truncate -s 3G /tmp/huge-initrd
truncate -s 1900M /tmp/region-sized-initrd
mkfifo /tmp/fifo
: > /tmp/empty-initrd
bad() {
	name=$1; shift
	rc=0; timeout 60 xen-kdump load "$@" > /tmp/bad.txt 2>&1 || rc=$?
	[ "$rc" != 124 ] && [ "$rc" != 143 ] || { echo "BAD-WRONG $name: still waiting after 60 s"; exit 1; }
	echo "BAD $name exit=$rc: $(cat /tmp/bad.txt)"
	[ "$rc" != 0 ] || { echo "BAD-WRONG $name was accepted"; exit 1; }
	[ "$(grep -c . /tmp/bad.txt)" = 1 ] || { echo "BAD-WRONG $name: not one line"; exit 1; }
	[ -z "$NO_STATUS" ] || return 0   # status needs privcmd/dom0 too: checked after restoring
	still_loaded $name
}
still_loaded() {
	name=$1
	rc=0; xen-kdump status > /dev/null || rc=$?
	[ "$rc" = 0 ] || { echo "BAD-WRONG after $name: status exit $rc, the earlier image must stay loaded"; exit 1; }
	echo "BAD-OK $name"
}
bad truncated-kernel --kernel /tmp/truncated --initrd "$I"
bad corrupt-kernel --kernel /tmp/corrupt --initrd "$I"
bad non-relocatable-kernel --kernel /tmp/nonreloc --initrd "$I"
bad not-a-bzimage --kernel /bin/busybox --initrd "$I"
bad missing-kernel --kernel /nonexistent --initrd "$I"
bad missing-initrd --kernel "$K" --initrd /nonexistent
bad empty-initrd --kernel "$K" --initrd /tmp/empty-initrd
bad oversized-initrd --kernel "$K" --initrd /tmp/huge-initrd
grep -q "The crash region is" /tmp/bad.txt && echo "BAD-WRONG oversized-initrd: the size limit must come first" && exit 1
bad region-oversized-initrd --kernel "$K" --initrd /tmp/region-sized-initrd
grep -q "The crash region is .* MiB but this capture image needs" /tmp/bad.txt || { echo "BAD-WRONG region-oversized-initrd: not refused for the crash region"; exit 1; }
bad fifo-kernel --kernel /tmp/fifo --initrd "$I"
grep -q "is a FIFO, not a regular file" /tmp/bad.txt || { echo "BAD-WRONG fifo-kernel: wrong message"; exit 1; }
bad fifo-initrd --kernel "$K" --initrd /tmp/fifo
grep -q "is a FIFO, not a regular file" /tmp/bad.txt || { echo "BAD-WRONG fifo-initrd: wrong message"; exit 1; }
# No privcmd: hide the device node (the module cannot be removed while xenfs holds it).
mv /dev/xen/privcmd /dev/xen/privcmd.hidden
NO_STATUS=1; bad no-privcmd --kernel "$K" --initrd "$I"; NO_STATUS=
mv /dev/xen/privcmd.hidden /dev/xen/privcmd
still_loaded no-privcmd
# Not dom0: what a domU's /proc/xen/capabilities says (empty).
echo > /tmp/domu-caps
mount -o bind /tmp/domu-caps /proc/xen/capabilities
NO_STATUS=1; bad not-dom0 --kernel "$K" --initrd "$I"; NO_STATUS=
umount /proc/xen/capabilities
still_loaded not-dom0
echo BAD-INPUT-OK
"""

CAPTURE_SCRIPT = """
echo capture ran
"""


def check(run):
    _status.check(run)
    log = run.text("dom0.log")
    checks.require("BAD-INPUT-OK" in log, "bad-input run did not complete; dom0.log:\n" + log[-2000:])
    for name in ("truncated-kernel", "corrupt-kernel", "non-relocatable-kernel", "not-a-bzimage",
                 "missing-kernel", "missing-initrd", "empty-initrd", "oversized-initrd",
                 "region-oversized-initrd", "fifo-kernel", "fifo-initrd",
                 "no-privcmd", "not-dom0"):
        checks.require("BAD-OK " + name in log, "no BAD-OK for %s" % name)
    checks.xen_notes(run)  # the image loaded before the bad attempts captured the crash
