"""LOCAL (writer helper, not committed): xen-kdump load (dom0 VMCOREINFO in the
dump), dom0 panics; the capture kernel times xen-kdump-collect at level 63 vs
makedumpfile -X -d 31 and saves the raw /proc/vmcore."""
from _loader import DOM0_BINARIES, DOM0_SCRIPT  # noqa: F401
from xkdvm import checks

DESCRIPTION = "writer bench 63: our loader, our engine at 63 vs makedumpfile -d 31"
CRASH = "dom0-panic"
CAPTURE_BINARIES = ["/usr/bin/makedumpfile"]
TIMEOUTS = dict(capture_done=1500, TOTAL=2400)

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
echo XKD-PHASE ours_start
xen-kdump-collect --vmcore "$VMCORE" --output /out/ours --host vm --level 63 2>&1 || echo "ours failed"
echo XKD-PHASE ours_done
makedumpfile -c -X -d 31 "$VMCORE" /out/mk-c31 >/dev/null 2>&1 || echo "mk-c31 failed"
echo XKD-PHASE mkc31_done
makedumpfile -l -X -d 31 "$VMCORE" /out/mk-l31 >/dev/null 2>&1 || echo "mk-l31 failed"
echo XKD-PHASE mkl31_done
cat "$VMCORE" > /out/vmcore-raw || echo "raw failed"
echo XKD-PHASE raw_done
ls -lR /out | grep -v serial
"""


def check(run):
    checks.xen_notes(run)
