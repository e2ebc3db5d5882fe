"""The crash report on a dom0 panic: Xen version, crashing CPU, dom0, consoles."""
from _report import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "xen-kdump load + collect; dom0 panics; report vs serial console"
CRASH = "dom0-panic"


def check(run):
    rep = check_common(run, "Hardware Dom0 crashed")
    log = rep["dom0"]["log_tail"]
    assert "sysrq" in log.lower(), "dom0's log tail does not show the sysrq crash"
