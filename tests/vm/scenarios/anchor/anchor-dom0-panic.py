"""dom0 panics (sysrq c); Xen jumps to the image kexec-tools loaded."""
from _anchor import CRASHKERNEL, DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check  # noqa: F401

DESCRIPTION = "kexec -p + makedumpfile; dom0 panics with sysrq c"
ESSENTIAL = True
CRASH = "dom0-panic"
