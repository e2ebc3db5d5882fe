"""The crash report on a real hypervisor panic (an NMI with nmi=fatal), Xen's console stamped with
seconds since boot."""
import re

from _report import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "xen-kdump load + collect; Xen panics; report reason and time vs serial console"
CRASH = "xen-panic"
ESSENTIAL = True
XEN_ARGS = "console_timestamps=boot"


def check(run):
    rep = check_common(run, "Panic on CPU")
    # The reason is the text between "Panic on CPU N:" and the closing asterisks, as Xen printed it.
    lines = re.findall(r"\(XEN\) \[[^\]]*\] Panic on CPU \d+:\n(?:\[[^\]]*\] )?\(XEN\) \[[^\]]*\] ([^\n]*)", run.serial)
    assert lines, "no timestamped panic on the serial console"
    assert rep["crash"]["reason"] == "Xen panic: " + lines[-1].strip(), "crash.reason %r, serial %r" % (
        rep["crash"]["reason"], lines[-1])
    m = re.findall(r"\(XEN\) \[([^\]]+)\] Executing kexec image on cpu", run.serial)
    assert m and rep["crash"]["time"] == m[-1].strip(), "crash.time %r, serial %r" % (rep["crash"]["time"], m)
    assert "since Xen booted" in rep["crash"]["time_source"], rep["crash"]["time_source"]
