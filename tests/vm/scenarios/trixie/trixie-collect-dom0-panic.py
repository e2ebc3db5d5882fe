"""Our collector on Debian 13: xen-kdump load + xen-kdump-collect (built inside the
trixie root fs) on Xen 4.20 with a Linux 6.12 dom0 that panics.  The report's Xen
version and crashing CPU must equal the serial console's, dom0's panic must be in
the report's dom0 log, and trixie's crash 8.0.6 (run inside the trixie root fs with
dom0's debug vmlinux) must open the collector's dump: sys, bt, log."""
import glob
import os
import re

import _report
from _trixie import DISTRO, check_versions  # noqa: F401
from xkdvm import checks, distro

DESCRIPTION = "trixie (Xen 4.20, Linux 6.12): xen-kdump load + collect; dom0 panics; crash 8.0.6 opens it"
CRASH = "dom0-panic"
ESSENTIAL = True
DOM0_BINARIES = _report.DOM0_BINARIES
CAPTURE_BINARIES = _report.CAPTURE_BINARIES
DOM0_SCRIPT = _report.DOM0_SCRIPT
CAPTURE_SCRIPT = _report.CAPTURE_SCRIPT
TIMEOUTS = {"capture_done": 900, "TOTAL": 1500}


def crash_opens(run, dump):
    p = distro.profile(DISTRO)
    m = re.search(r"Linux version (\S+)", run.serial)
    vmlinux = distro.debug_vmlinux(p, m.group(1))
    r = distro.chroot_run(p, ["crash", "-s", "--no_scroll", vmlinux, dump],
                          binds=[os.path.dirname(vmlinux), os.path.dirname(dump)],
                          input="sys\nbt\nlog\nquit\n", timeout=900)
    out = r.stdout + r.stderr
    with open(run.path("crash.txt"), "w") as f:
        f.write(out)
    os.chmod(run.path("crash.txt"), 0o600)
    ver = distro.chroot_run(p, ["crash", "--version"], timeout=60).stdout
    checks.require("8.0.6" in ver, "the trixie root fs's crash is not 8.0.6: %r" % ver[:200])
    checks.require('PANIC: "Kernel panic - not syncing: sysrq triggered crash"' in out,
                   "crash 8.0.6's sys does not show the sysrq panic (crash.txt: %s)" % out.strip()[-300:])
    checks.require("RELEASE: " + m.group(1) in out, "crash's sys names another release (crash.txt)")
    checks.require(re.search(r"PID: \d+\s+TASK: \S+\s+CPU: \d+\s+COMMAND: \"[^\"]*\"\n\s*#0 \[", out)
                   and "sysrq_handle_crash" in out, "crash's bt shows no sysrq_handle_crash frame (crash.txt)")
    checks.require(re.search(r"\] Kernel panic - not syncing: sysrq triggered crash", out),
                   "crash's log lacks the panic line (crash.txt)")
    checks.require("dom0 marker: xen-kdump report scenario" in out, "crash's log lacks dom0's marker (crash.txt)")


def check(run):
    check_versions(run)
    # crash first: it does not depend on the report, so a report defect does not hide it.
    dumps = sorted(glob.glob(os.path.join(run.out, "collect", "vmhost-*", "vmcore")))
    checks.require(dumps, "xen-kdump-collect wrote no collect/vmhost-*/vmcore")
    crash_opens(run, dumps[-1])
    rep = _report.check_common(run, "Hardware Dom0 crashed")
    checks.require(rep["xen"]["version"].startswith("4.20"), "report says Xen %r" % rep["xen"]["version"])
    log = rep["dom0"]["log_tail"]
    checks.require("sysrq triggered crash" in log, "dom0's log tail lacks the panic: ...%r" % log[-300:])
