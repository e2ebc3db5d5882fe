"""Our loader on Debian 13: xen-kdump (built inside the trixie root fs against
libxen 4.20) loads the capture image into Xen 4.20; dom0 (Linux 6.12) panics.
/proc/vmcore must carry every Xen note, dom0's VMCOREINFO and the XEN_KDUMP note,
the same checks load-dom0-panic makes on Xen 4.17.  The capture also keeps an ELF
dump (makedumpfile -E -X -d 1): a real Xen 4.20 + Linux 6.12 vmcore for the collector."""
import os

import _loader
from _trixie import DISTRO, check_versions  # noqa: F401
from xkdvm import checks

DESCRIPTION = "trixie (Xen 4.20, Linux 6.12): xen-kdump load; dom0 panics; notes incl. dom0 VMCOREINFO"
CRASH = "dom0-panic"
DOM0_BINARIES = _loader.DOM0_BINARIES
CAPTURE_BINARIES = _loader.CAPTURE_BINARIES
DOM0_SCRIPT = _loader.DOM0_SCRIPT
CAPTURE_SCRIPT = _loader.CAPTURE_SCRIPT + """
makedumpfile -E -X -d 1 "$VMCORE" "$DUMP" > /out/makedumpfile-elf.log 2>&1
ls -l "$DUMP"
"""
TIMEOUTS = {"capture_done": 900, "TOTAL": 1500}
# XKD_TRIXIE_FULL_VMCORE=1: also copy the whole /proc/vmcore (~1.9 GB) to vmcore-full, an
# unfiltered Xen 4.20 + Linux 6.12 input for the collector's filters and bench.
if os.environ.get("XKD_TRIXIE_FULL_VMCORE") == "1":
    CAPTURE_SCRIPT += 'cat "$VMCORE" > /out/vmcore-full\nls -l /out/vmcore-full\n'


def check(run):
    check_versions(run)
    _loader.check(run)
    vi = run.core().vmcoreinfo("VMCOREINFO")
    checks.require(vi.get("OSRELEASE", "").startswith("6.12."),
                   "dom0's VMCOREINFO says OSRELEASE=%r, expected 6.12.*" % vi.get("OSRELEASE"))
    checks.dump_written(run, "dump")
