"""Shared by the loader scenarios: dom0 has no kexec-tools at all; xen-kdump
load arms the crash image; the capture kernel's /proc/vmcore must carry every
Xen note, dom0's VMCOREINFO and the XEN_KDUMP load-info note.  The capture
script also tries what dom0's VMCOREINFO should unlock in makedumpfile
(--dump-dmesg and -d 31 without a debug vmlinux); results land in /out."""
from xkdvm import checks

DOM0_BINARIES = []
CAPTURE_BINARIES = ["/usr/bin/makedumpfile"]

DOM0_SCRIPT = """
if command -v kexec >/dev/null; then echo "kexec-tools must not be in this dom0"; exit 1; fi
rc=0; xen-kdump status || rc=$?
[ "$rc" = 3 ] || { echo "status before load exited $rc, expected 3"; exit 1; }
t0=$(cut -d' ' -f1 /proc/uptime)
xen-kdump -v load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"
t1=$(cut -d' ' -f1 /proc/uptime)
echo "XKD-TIMING xen-kdump-load $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')"
xen-kdump status
xen-kdump status --json > /out/status.json
cat /sys/kernel/vmcoreinfo > /out/dom0-vmcoreinfo-addr
"""

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
up() { cut -d' ' -f1 /proc/uptime; }
t0=$(up)
if makedumpfile --dump-dmesg "$VMCORE" /out/dom0-dmesg.txt > /out/makedumpfile-dmesg.log 2>&1; then
	echo "XKD-RESULT dump-dmesg ok $(wc -l < /out/dom0-dmesg.txt) lines"
else
	echo "XKD-RESULT dump-dmesg failed rc=$?"
fi
t1=$(up)
if makedumpfile -c -X -d 31 "$VMCORE" /out/dump-d31 > /out/makedumpfile-d31.log 2>&1; then
	echo "XKD-RESULT d31 ok $(stat -c %s /out/dump-d31) bytes"
else
	echo "XKD-RESULT d31 failed rc=$?"
fi
t2=$(up)
echo "XKD-TIMING dump-dmesg $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') d31 $(echo "$t1 $t2" | awk '{printf "%.2f", $2 - $1}')"
tail -5 /out/makedumpfile-dmesg.log /out/makedumpfile-d31.log
"""


def check(run):
    core = checks.xen_notes(run)
    vi = core.vmcoreinfo("VMCOREINFO")
    checks.require(vi is not None, "no dom0 VMCOREINFO note in /proc/vmcore; notes: %s" % core.summary())
    checks.require("OSRELEASE" in vi and "SYMBOL(init_uts_ns)" in vi,
                   "dom0's VMCOREINFO lacks OSRELEASE/SYMBOL(init_uts_ns): %s" % sorted(vi)[:20])
    li = core.vmcoreinfo("XEN_KDUMP")
    checks.require(li is not None, "no XEN_KDUMP load-info note; notes: %s" % core.summary())
    for key in ("XKD_VERSION", "LOAD_TIME", "XEN_CMDLINE", "DOM0_VMCOREINFO", "SYMBOL(conring)"):
        checks.require(key in li, "the XEN_KDUMP note lacks %s: %s" % (key, sorted(li)))
    cmdline = run.text("capture-cmdline")
    checks.require("console=ttyS0,115200" in cmdline and "hvc0" not in cmdline,
                   "capture command line lacks the serial console from Xen's com1: %r" % cmdline)
    checks.serial_has(run, "xen-kdump purgatory: digest ok")


def refusal(tag, what, greps):
    """(DOM0_SCRIPT, check) for a load that must be refused in one line: the
    script asserts a non-zero exit, one line, and each (pattern, why) in greps,
    one command per assertion (under sh -e a failing `a && b` list does not
    stop the script); check() wants TAG-OK and no TAG-WRONG."""
    lines = ['rc=0; xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD" > /tmp/o.txt 2>&1 || rc=$?',
             'echo "%s exit=$rc: $(cat /tmp/o.txt)"' % tag,
             'no() { echo "%s-WRONG $*"; exit 1; }' % tag,
             '[ "$rc" != 0 ] || no "%s"' % what,
             '[ "$(grep -c . /tmp/o.txt)" = 1 ] || no "not one line"']
    lines += ['grep -q "%s" /tmp/o.txt || no "%s"' % (pattern, why) for pattern, why in greps]
    lines.append("echo %s-OK" % tag)

    def check(run):
        log = run.text("dom0.log")
        checks.require("%s-OK" % tag in log and "%s-WRONG" % tag not in log, "%s: %s" % (what, log[-1000:]))
    return "\n" + "\n".join(lines) + "\n", check
