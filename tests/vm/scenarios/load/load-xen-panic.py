"""xen-kdump load; a real hypervisor panic (nmi=fatal + an NMI from the QEMU monitor)."""
from _loader import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check  # noqa: F401

DESCRIPTION = "xen-kdump load; Xen panics on an NMI"
CRASH = "xen-panic"
