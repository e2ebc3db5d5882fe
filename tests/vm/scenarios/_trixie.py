"""Shared by the trixie-* scenarios: what proves the VM really ran Debian 13's
Xen 4.20 and Linux 6.12 (and not the Debian 12 pieces the other scenarios use)."""
import re

from xkdvm import checks

DISTRO = "trixie"


def check_versions(run):
    m = re.search(r"\(XEN\) (?:\[[^\]]*\] )?Xen version (\d+)\.(\d+)\S* \(", run.serial)
    checks.require(m, "Xen printed no version line on the serial console")
    checks.require((int(m.group(1)), int(m.group(2))) == (4, 20),
                   "Xen %s.%s booted, expected trixie's 4.20" % (m.group(1), m.group(2)))
    m = re.search(r"Linux version (\d+)\.(\d+)\.\S+", run.serial)
    checks.require(m, "dom0 printed no 'Linux version' line")
    checks.require((int(m.group(1)), int(m.group(2))) == (6, 12),
                   "dom0 runs Linux %s, expected trixie's 6.12" % m.group(0))
