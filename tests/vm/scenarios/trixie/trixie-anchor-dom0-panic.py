"""The anchor on Debian 13: trixie's kexec-tools 2.0.29 loads the capture kernel
into Xen 4.20, dom0 (Linux 6.12) panics, trixie's makedumpfile 1.7.6 saves the dump."""
import _anchor
from _trixie import DISTRO, check_versions  # noqa: F401
from xkdvm import checks

DESCRIPTION = "trixie (Xen 4.20, Linux 6.12): kexec -p + makedumpfile 1.7.6; dom0 panics"
CRASH = "dom0-panic"
DOM0_BINARIES = _anchor.DOM0_BINARIES
CAPTURE_BINARIES = _anchor.CAPTURE_BINARIES
DOM0_SCRIPT = "kexec --version > /out/kexec.version\n" + _anchor.DOM0_SCRIPT
CAPTURE_SCRIPT = "makedumpfile -v > /out/makedumpfile.version 2>&1 || true\n" + _anchor.CAPTURE_SCRIPT


def check(run):
    check_versions(run)
    checks.require("2.0.29" in run.text("kexec.version"),
                   "dom0's kexec is not trixie's 2.0.29: %r" % run.text("kexec.version"))
    checks.require("1.7.6" in run.text("makedumpfile.version"),
                   "the capture's makedumpfile is not trixie's 1.7.6: %r" % run.text("makedumpfile.version")[:200])
    _anchor.check(run)
