"""Xen's crash region is too small for the capture image: load names the
region size, the size needed and the crashkernel= to use instead."""
from xkdvm import checks

DESCRIPTION = "crashkernel=64M is too small: the error says how much is needed"
CRASH = "none"
CRASHKERNEL = "64M"

DOM0_SCRIPT = """
rc=0; xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD" > /tmp/o.txt 2>&1 || rc=$?
echo "SMALL-REGION exit=$rc: $(cat /tmp/o.txt)"
# One command per assertion: under sh -e a failing `a && b` list does not stop the script.
no() { echo "SMALL-REGION-WRONG $*"; exit 1; }
[ "$rc" != 0 ] || no "load into a 64 MiB region succeeded"
[ "$(grep -c . /tmp/o.txt)" = 1 ] || no "not one line"
grep -q "crash region is 64 MiB" /tmp/o.txt || no "the error does not name the region's size"
grep -q "crashkernel=" /tmp/o.txt || no "the error does not name the crashkernel= to use"
echo SMALL-REGION-OK
"""


def check(run):
    log = run.text("dom0.log")
    checks.require("SMALL-REGION-OK" in log and "SMALL-REGION-WRONG" not in log,
                   "load into a too small region: %s" % log[-1000:])
