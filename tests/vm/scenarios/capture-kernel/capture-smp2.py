"""Issue 14's nr_cpus=2 trial: can the capture kernel bring up a second CPU
after Xen's crash shootdown (each other CPU saved its registers, turned its
local APIC and VMX off and halted), and does compressing on two CPUs pay?
The loader appends nr_cpus=2 maxcpus=2; in the capture kernel the collector
saves the same /proc/vmcore twice to tmpfs, first pinned to CPU 0 (inline),
then on both CPUs, and both dumps must be byte for byte the same after block 0
(one at a time: the 256M region's tmpfs does not hold two)."""
import re

from _report import DOM0_BINARIES, CAPTURE_BINARIES  # noqa: F401
from xkdvm import checks

DESCRIPTION = "trial: the capture kernel with nr_cpus=2 after Xen's shootdown; collector on 1 vs 2 CPUs"
CRASH = "dom0-panic"

DOM0_SCRIPT = """
xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD" --append "nr_cpus=2 maxcpus=2"
"""

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
echo "XKD-SMP online=$(cat /sys/devices/system/cpu/online)"
for run in 1 2; do
	mkdir -p /tmp/c
	if [ $run = 1 ]; then pin="taskset 1"; else pin=""; fi
	s=$(cut -d' ' -f1 /proc/uptime)
	$pin xen-kdump-collect --output /tmp/c --host vmhost --quiet || echo "XKD-FAIL collector run $run rc=$?"
	e=$(cut -d' ' -f1 /proc/uptime)
	echo "XKD-SMP run=$run start=$s end=$e"
	# Block 0 holds the time of writing; the rest must not depend on the threads.
	f=$(ls /tmp/c/*/vmcore)
	echo "XKD-SMP run=$run bytes=$(stat -c %s $f) md5=$(tail -c +4097 $f | md5sum | cut -d' ' -f1)"
	rm -rf /tmp/c
done
"""


def check(run):
    log = run.text("capture.log")
    m = re.search(r"XKD-SMP online=(\S+)", log)
    checks.require(m, "the capture script did not run: %s" % log[-300:])
    checks.require(m.group(1) == "0-1", "the capture kernel has CPUs %s online, not 0-1" % m.group(1))
    times = {int(r): float(e) - float(s) for r, s, e in re.findall(r"XKD-SMP run=(\d) start=(\S+) end=(\S+)", log)}
    checks.require(len(times) == 2, "the collector did not run twice: %s" % log[-400:])
    sums = set(re.findall(r"XKD-SMP run=\d bytes=(\d+) md5=(\w+)", log))
    checks.require(len(sums) == 1, "the two dumps differ after block 0: %s" % sums)
    checks.require("XKD-FAIL" not in log, "a collector run failed: %s" % log[-400:])
    print("capture-smp2: collector pinned to one CPU %.2f s, on two %.2f s (%.2fx)"
          % (times[1], times[2], times[2] / times[1]))
