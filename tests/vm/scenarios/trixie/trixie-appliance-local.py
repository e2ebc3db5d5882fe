"""The whole appliance on a Debian 13 dom0 (Xen 4.20, Linux 6.12, systemd, trixie's
dracut): the checkout is built and installed *inside* the trixie root fs (its gcc 14
and libxen-dev 4.20; `make all install` in a chroot), the service loads at boot, dom0
panics, the dracut capture image saves to /var/crash and reboots, the second boot
finds the dump complete and private (recipe: _debian.py, as appliance-local)."""
import os

import _debian
from _trixie import DISTRO, check_versions  # noqa: F401

DESCRIPTION = "trixie systemd dom0 (Xen 4.20, Linux 6.12), built inside it: load at boot, panic, capture, reboot, dump found"
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = _debian.CRASH
CRASHKERNEL = os.environ.get("XKD_APPLIANCE_CRASHKERNEL", "512M")
ESSENTIAL = True
# trixie's systemd boot is slower than bookworm's under TCG: on a loaded machine (load
# 15-19 on 2 cores) dom0 reached /init after 293 s and xen.service took > 6 min to
# start, past _debian's 300 s per phase.  TOTAL stays.
TIMEOUTS = dict(_debian.TIMEOUTS, dom0_init=600, load_done=900)

_report_check = r"""grep -q '^Dump: vmcore .*: complete$' "$d/report.txt" && grep -q '4\.20' "$d/report.txt" ||
	{ sync; umount $OUT; say "XKD-FAIL $d/report.txt does not say complete and Xen 4.20"; exit 1; }
"""
_config = """# trixie-appliance-local (tests/vm): the defaults but for the harness's hooks.
""" + _debian.CONFIG_HEAD + """target path /var/crash
final_action reboot
""" + _debian.CONFIG_HOOKS

# Built and installed by the root fs's own toolchain (not the host's .deb, which
# links bookworm's libraries).
_chroot_install = r"""mkdir -p "$ROOT/src"; mount --bind "$REPO" "$ROOT/src"
chroot "$ROOT" sh -c "cd /src && gcc --version | head -n 1 && make -s BUILD=$BUILD all install" > "$ROOT/root/xkd-build.log" 2>&1 ||
	{ cat "$ROOT/root/xkd-build.log"; umount "$ROOT/src"; exit 1; }
cat "$ROOT/root/xkd-build.log"
umount "$ROOT/src"; rmdir "$ROOT/src"
chroot "$ROOT" sh -c 'ldd /usr/local/sbin/xen-kdump' | grep -q 'libxenctrl.so.4.20' ||
	{ echo "the installed xen-kdump does not link trixie's libxenctrl 4.20"; exit 1; }
"""
ROOTFS_SCRIPT = _debian.rootfs_script(_config, _debian.test_script(True, _report_check),
                                      install=_chroot_install)


def check(run):
    check_versions(run)
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the default engine (xen-kdump-collect) never said it saved the dump (see serial.log)")
    _debian.check_boots(run)
    d = _debian.check_local_dump(run)
    with run.rootfs() as root:
        with open(os.path.join(root, "root", "xkd-build.log"), errors="replace") as f:
            build = f.read()
        run.require("gcc (Debian 14." in build, "the checkout was not built by trixie's gcc 14: %r" % build[:200])
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(root, "var", "crash", d, f)), "no %s beside the dump" % f)
        with open(os.path.join(root, "var", "crash", d, "report.txt"), errors="replace") as f:
            report = f.read()
        run.require("4.20" in report, "report.txt does not name Xen 4.20: %r" % report[:300])
