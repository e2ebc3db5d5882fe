"""The minimal capture kernel (crashkernel/, `make crashkernel`) captures with
our loader and collector in a 64 MiB crash region (XKD_CRASHKERNEL overrides
the size, for crashkernel/find-min-vm)."""
import os

from _minimal import CAPTURE_SCRIPT, check, dom0_script, minimal_kernel  # noqa: F401

_kernel = minimal_kernel()

DESCRIPTION = "minimal capture kernel (make crashkernel) + collector at crashkernel=64M"
ESSENTIAL = True
CRASH = "dom0-panic"
CRASHKERNEL = os.environ.get("XKD_CRASHKERNEL", "64M")
DOM0_FILES = {"/boot/xkd-vmlinuz": _kernel} if _kernel else {}
DOM0_SCRIPT = dom0_script("/boot/xkd-vmlinuz")
