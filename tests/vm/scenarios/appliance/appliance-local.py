"""The whole appliance cycle on a real Debian 12 dom0 running systemd (the
recipe: _debian.py): the config saves to /var/crash on the root fs; after the
capture and the reboot the test unit finds the dump there, complete and
private, and check() reads it off the disk.
"""
import os

import _debian

DESCRIPTION = "Debian 12 systemd dom0: service loads at boot, dom0 panics, capture to /var/crash, reboot, dump found"
ESSENTIAL = True
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = _debian.CRASH
# bench/min-region (make bench) lowers it to find the smallest region that still captures.
CRASHKERNEL = os.environ.get("XKD_APPLIANCE_CRASHKERNEL", "512M")
TIMEOUTS = _debian.TIMEOUTS

_report_check = r"""grep -q '^Dump: vmcore .*: complete$' "$d/report.txt" && grep -q '4\.17' "$d/report.txt" ||
	{ sync; umount $OUT; say "XKD-FAIL $d/report.txt does not say complete and Xen 4.17"; exit 1; }
"""
_config = """# appliance-local (tests/vm): the defaults but for the harness's hooks.
""" + _debian.CONFIG_HEAD + """target path /var/crash
final_action reboot
""" + _debian.CONFIG_HOOKS
# Capture-kernel arguments to measure (bench experiments), as the config's append.
if os.environ.get("XKD_APPLIANCE_APPEND"):
    _config += "append %s\n" % os.environ["XKD_APPLIANCE_APPEND"]
ROOTFS_SCRIPT = _debian.rootfs_script(_config, _debian.test_script(True, _report_check))


def check(run):
    d = _debian.check_local_capture(run)
    with run.rootfs() as root:
        with open(os.path.join(root, "var", "crash", d, "report.txt"), errors="replace") as f:
            report = f.read()
        run.require("4.17" in report, "report.txt does not name Xen 4.17: %r" % report[:300])
