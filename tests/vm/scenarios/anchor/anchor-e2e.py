"""The end-to-end anchor of make bench: kexec-tools loads Debian's kernel, dom0
panics, and makedumpfile saves the dump the way Debian's kdump-tools does
(-c: zlib, -d 31: no zero, cache, user or free pages, -X: Xen's own filter).
bench/run sets the crash-to-dump-saved time of each appliance against this one."""
from _anchor import CRASHKERNEL, DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT  # noqa: F401
from xkdvm import checks

DESCRIPTION = "kexec -p + makedumpfile -c -X -d 31; dom0 panics with sysrq c (the bench's end-to-end anchor)"
CRASH = "dom0-panic"

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
makedumpfile -c -X -d 31 "$VMCORE" "$DUMP"
ls -l "$DUMP"
"""


def check(run):
    checks.xen_notes(run)
    checks.dump_written(run, "dump", min_bytes=1 << 20, elf=False)
    with open(run.path("dump"), "rb") as f:
        checks.require(f.read(8) == b"KDUMP   ", "makedumpfile -c did not write a kdump-compressed file")
    checks.require("elfcorehdr=" in run.text("capture-cmdline"),
                   "kexec-tools put no elfcorehdr= on the capture command line")
