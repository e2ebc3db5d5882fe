"""Xen's debug key C on the serial console triggers the crash dump."""
from _anchor import CRASHKERNEL, DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check  # noqa: F401

DESCRIPTION = "kexec -p + makedumpfile; Xen debug key C (Ctrl-A x3, C)"
ESSENTIAL = True
CRASH = "xen-key"
