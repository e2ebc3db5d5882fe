"""Xen booted without crashkernel=: load says which line to add to Xen's command line."""
from xkdvm import checks

DESCRIPTION = "no crash region: the error names crashkernel= for Xen's command line"
CRASH = "none"
CRASHKERNEL = None

DOM0_SCRIPT = """
rc=0; xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD" > /tmp/o.txt 2>&1 || rc=$?
echo "NO-REGION exit=$rc: $(cat /tmp/o.txt)"
[ "$rc" != 0 ] && grep -q "crashkernel=" /tmp/o.txt && grep -q "Xen's command line" /tmp/o.txt
echo NO-REGION-OK
"""


def check(run):
    log = run.text("dom0.log")
    checks.require("NO-REGION-OK" in log, "load without a crash region: %s" % log[-1000:])
