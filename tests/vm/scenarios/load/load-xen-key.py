"""xen-kdump load; Xen's debug key C on the serial console triggers the crash."""
from _loader import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check  # noqa: F401

DESCRIPTION = "xen-kdump load; Xen debug key C"
CRASH = "xen-key"
