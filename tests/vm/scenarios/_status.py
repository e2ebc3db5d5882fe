"""The status cycle, shared by status-cycle (alone) and load-bad-input (the same
boot then goes on to the bad inputs and the crash): xen-kdump status tells the
truth across load, reload, unload and a second unload, although Xen's status op
flips on every one of them (xen-kexec-abi.md).  Ends with no image loaded."""
from xkdvm import checks

CYCLE = """
st() {
	rc=0; xen-kdump status > /tmp/st.txt 2>&1 || rc=$?
	op=$(xen-kdump status --json | sed -n 's/.*"xen_status_op":\\([a-z]*\\).*/\\1/p')
	echo "STATUS $1 exit=$rc xen_op=$op"
	cat /tmp/st.txt
	[ "$rc" = "$2" ] || { echo "STATUS-WRONG $1: exit $rc, expected $2"; exit 1; }
}
st before-load 3
xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"
st after-load 0
xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"
st after-second-load 0
xen-kdump unload
st after-unload 3
xen-kdump unload
st after-second-unload 3
echo STATUS-CYCLE-OK
"""


def check(run):
    log = run.text("dom0.log")
    checks.require("STATUS-CYCLE-OK" in log and "STATUS-WRONG" not in log,
                   "status cycle did not complete; dom0.log:\n" + log[-2000:])
    ops = [line.split("xen_op=")[1] for line in log.splitlines() if line.startswith("STATUS ")]
    # Xen's own op must show its known flip, or the test proves nothing about the cross-check.
    checks.require(len(ops) == 5 and ("false" in ops[1:3] or "true" in ops[3:]),
                   "Xen's status op never disagreed: %s" % ops)
