"""Xen booted without crashkernel=: load says which line to add to Xen's command line."""
from xkdvm import checks

DESCRIPTION = "no crash region: the error names crashkernel= for Xen's command line"
CRASH = "none"
CRASHKERNEL = None

DOM0_SCRIPT = """
rc=0; xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD" > /tmp/o.txt 2>&1 || rc=$?
echo "NO-REGION exit=$rc: $(cat /tmp/o.txt)"
# One command per assertion: under sh -e a failing `a && b` list does not stop the script.
no() { echo "NO-REGION-WRONG $*"; exit 1; }
[ "$rc" != 0 ] || no "load succeeded without a crash region"
[ "$(grep -c . /tmp/o.txt)" = 1 ] || no "not one line"
grep -q "crashkernel=" /tmp/o.txt || no "the error does not name crashkernel="
grep -q "Xen's command line" /tmp/o.txt || no "the error does not say where crashkernel= goes"
echo NO-REGION-OK
"""


def check(run):
    log = run.text("dom0.log")
    checks.require("NO-REGION-OK" in log and "NO-REGION-WRONG" not in log,
                   "load without a crash region: %s" % log[-1000:])
