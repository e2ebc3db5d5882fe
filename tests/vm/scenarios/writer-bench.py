"""LOCAL (writer helper, not committed): kexec -p loads, dom0 panics; the capture
kernel times xen-kdump-collect vs makedumpfile and saves the raw /proc/vmcore."""
from _anchor import DOM0_BINARIES, DOM0_SCRIPT  # noqa: F401
from xkdvm import checks

DESCRIPTION = "writer bench: raw vmcore + our engine vs makedumpfile in the capture kernel"
CRASH = "dom0-panic"
CAPTURE_BINARIES = ["/usr/bin/makedumpfile"]
TIMEOUTS = dict(capture_done=1500, TOTAL=2400)

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
echo XKD-PHASE ours_start
xen-kdump-collect --vmcore "$VMCORE" --output /out/ours --host vm --level 33 2>&1 || echo "ours failed"
echo XKD-PHASE ours_done
makedumpfile -c -X -d 1 "$VMCORE" /out/mk-c >/dev/null 2>&1 || echo "mk-c failed"
echo XKD-PHASE mkc_done
makedumpfile -l -X -d 1 "$VMCORE" /out/mk-l >/dev/null 2>&1 || echo "mk-l failed"
echo XKD-PHASE mkl_done
makedumpfile -E -X -d 1 "$VMCORE" /out/mk-E >/dev/null 2>&1 || echo "mk-E failed"
echo XKD-PHASE mkE_done
cat "$VMCORE" > /out/vmcore-raw || echo "raw failed"
echo XKD-PHASE raw_done
ls -lR /out | grep -v serial
"""


def check(run):
    checks.xen_notes(run)
