"""Bench: xen-kdump load vs Debian's kexec -p, same kernel, initramfs and VM run.
Each is timed 3 times, alternating, unloading in between; dom0's /proc/uptime
(10 ms resolution) brackets each command.  Lines: XKD-BENCH <tool> <seconds>."""
from xkdvm import checks

DESCRIPTION = "bench: xen-kdump load vs kexec -p (3 runs each)"
CRASH = "none"
DOM0_BINARIES = ["/usr/sbin/kexec"]

DOM0_SCRIPT = """
up() { cut -d' ' -f1 /proc/uptime; }
el() { echo "$1 $2" | awk '{printf "%.2f", $2 - $1}'; }
for i in 1 2 3; do
	t0=$(up); xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD" > /dev/null; t1=$(up)
	echo "XKD-BENCH xen-kdump-load $(el $t0 $t1)"
	xen-kdump unload > /dev/null
	t0=$(up); kexec -p "$CAPTURE_KERNEL" --initrd="$CAPTURE_INITRD" --append="$CAPTURE_CMDLINE"; t1=$(up)
	echo "XKD-BENCH kexec-p $(el $t0 $t1)"
	kexec -p -u
done
"""


def check(run):
    log = run.text("dom0.log")
    for tool in ("xen-kdump-load", "kexec-p"):
        times = [float(line.split()[2]) for line in log.splitlines() if line.startswith("XKD-BENCH " + tool)]
        checks.require(len(times) == 3, "expected 3 timings of %s, got %s" % (tool, times))
