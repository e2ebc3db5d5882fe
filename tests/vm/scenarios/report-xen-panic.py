"""The crash report on a real hypervisor panic (an NMI with nmi=fatal)."""
from _report import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "xen-kdump load + collect; Xen panics; report reason vs serial console"
CRASH = "xen-panic"


def check(run):
    rep = check_common(run, "Panic on CPU")
    assert "FATAL TRAP" in (rep["crash"]["reason"] or ""), "crash.reason %r" % rep["crash"]["reason"]
