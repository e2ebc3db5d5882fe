"""The crash report on a dom0 panic: Xen version, crashing CPU, dom0, consoles."""
import re

from _report import DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT, CAPTURE_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "xen-kdump load + collect; dom0 panics; report vs serial console"
CRASH = "dom0-panic"
ESSENTIAL = True


def check(run):
    rep = check_common(run, "Hardware Dom0 crashed")
    log = rep["dom0"]["log_tail"]
    assert "sysrq" in log.lower(), "dom0's log tail does not show the sysrq crash"
    assert "sysrq triggered crash" in (rep["crash"]["dom0_panic"] or ""), "crash.dom0_panic %r" % rep["crash"]["dom0_panic"]
    # dom0's panicking vCPU (Linux CPU N = vCPU N on PV) is the one loaded on the crashing CPU.
    m = re.findall(r"CPU: (\d+) PID: \d+ Comm:", run.serial)
    assert m, "dom0 printed no 'CPU: N PID:' line"
    cpu = rep["crash"]["crashing_cpu"]
    assert rep["cpus"][cpu]["running"] == "d0v" + m[-1], "CPU%d ran %r, dom0 panicked on vCPU %s" % (
        cpu, rep["cpus"][cpu]["running"], m[-1])
