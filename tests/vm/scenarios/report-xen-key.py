"""The crash report when Xen's debug key C asks for a dump (4 CPUs)."""
from _report import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "xen-kdump load + collect; Xen debug key C; 4 CPUs; report vs serial console"
CRASH = "xen-key"
SMP = 4


def check(run):
    rep = check_common(run, "'C' pressed -> triggering crashdump")
    assert len(rep["cpus"]) == 4, "report lists %d CPUs, want 4" % len(rep["cpus"])
