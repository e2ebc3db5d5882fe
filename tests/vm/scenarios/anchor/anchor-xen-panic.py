"""A real hypervisor panic(): Xen boots with nmi=fatal and QEMU injects an NMI."""
from _anchor import CRASHKERNEL, DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check as _check  # noqa: F401
from xkdvm import checks

DESCRIPTION = "kexec -p + makedumpfile; Xen panic() on an NMI (nmi=fatal)"
ESSENTIAL = True
CRASH = "xen-panic"


def check(run):
    _check(run)
    checks.serial_has(run, "Panic on CPU")
