"""Debian's kernel as the capture kernel, with our loader and collector, in a
crash region of XKD_CRASHKERNEL (default 128M): the other half of the
minimum search (crashkernel/find-min-vm)."""
import os

from _minimal import CAPTURE_SCRIPT, check, dom0_script  # noqa: F401

DESCRIPTION = "Debian's kernel + collector at crashkernel=$XKD_CRASHKERNEL (default 128M)"
CRASH = "dom0-panic"
CRASHKERNEL = os.environ.get("XKD_CRASHKERNEL", "128M")
DOM0_SCRIPT = dom0_script("$CAPTURE_KERNEL")
