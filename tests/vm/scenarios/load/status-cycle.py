"""xen-kdump status tells the truth across load, reload, unload and a second
unload, although Xen's status op flips on every one of them (xen-kexec-abi.md).
load-bad-input (essential) plays the same cycle in its own boot first."""
import _status

DESCRIPTION = "status before/after load, second load, unload, second unload"
CRASH = "none"

DOM0_SCRIPT = _status.CYCLE
check = _status.check
