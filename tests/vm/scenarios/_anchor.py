"""The anchor: Debian's kexec-tools loads the capture kernel, makedumpfile saves
the dump.  The baseline every xen-kdump figure is compared with (make bench)."""
import os

from xkdvm import checks

# bench/min-region lowers it to find the smallest region the anchor captures in
# (the harness's default, 256M, when unset).
CRASHKERNEL = os.environ.get("XKD_ANCHOR_CRASHKERNEL", "256M")

DOM0_BINARIES = ["/usr/sbin/kexec"]
CAPTURE_BINARIES = ["/usr/bin/makedumpfile"]

DOM0_SCRIPT = """
kexec -p "$CAPTURE_KERNEL" --initrd="$CAPTURE_INITRD" --append="$CAPTURE_CMDLINE"
echo "kexec -p loaded the capture kernel"
"""

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
makedumpfile -E -X -d 1 "$VMCORE" "$DUMP"
ls -l "$DUMP"
"""


def check(run):
    checks.xen_notes(run)            # CRASH_INFO, NT_PRSTATUS x SMP, CRASH_REGS, VMCOREINFO_XEN
    checks.dump_written(run, "dump")  # makedumpfile -E wrote an ELF core of non-trivial size
    checks.require("elfcorehdr=" in run.text("capture-cmdline"),
                   "kexec-tools put no elfcorehdr= on the capture command line")
