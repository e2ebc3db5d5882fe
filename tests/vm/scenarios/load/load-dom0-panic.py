"""xen-kdump load (no kexec-tools in dom0); dom0 panics with sysrq c."""
from _loader import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check  # noqa: F401

DESCRIPTION = "xen-kdump load; dom0 panics with sysrq c; notes incl. dom0 VMCOREINFO"
ESSENTIAL = True
CRASH = "dom0-panic"
