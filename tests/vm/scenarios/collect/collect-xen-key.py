"""The crash report when Xen's debug key C asks for a dump (4 CPUs, Xen console timestamps)."""
import re

from _report import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "xen-kdump load + collect; Xen debug key C; 4 CPUs; report vs serial console"
CRASH = "xen-key"
ESSENTIAL = True
SMP = 4
XEN_ARGS = "console_timestamps=datems"


def check(run):
    rep = check_common(run, "'C' pressed -> triggering crashdump")
    assert len(rep["cpus"]) == 4, "report lists %d CPUs, want 4" % len(rep["cpus"])
    # The time Xen stamped on the line announcing the jump, as the serial console shows it.
    m = re.findall(r"\(XEN\) \[([^\]]+)\] Executing kexec image on cpu", run.serial)
    assert m, "Xen printed no timestamped kexec line"
    assert rep["crash"]["time"] == m[-1], "crash.time %r, serial %r (%r)" % (
        rep["crash"]["time"], m[-1], rep["missing"].get("crash.time"))
