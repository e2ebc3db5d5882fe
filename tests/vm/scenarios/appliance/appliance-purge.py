"""Removing and purging the Debian package never costs a dump (_debian.py's
Debian 12 dom0, the .deb installed with apt): after a real crash, capture and
reboot, the second boot runs `apt-get remove` (the service is stopped: the image
unloaded) and `apt-get purge xen-kdump`; the dump in /var/crash stays, complete
and private, while the package's own files (state directory with the capture
initramfs, the conffiles, the unit) are gone."""
import os
import re

import _debian

DESCRIPTION = "Debian 12 dom0, .deb: crash, capture, reboot, apt-get remove + purge: the dump stays, the package's files go"
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = _debian.CRASH
CRASHKERNEL = os.environ.get("XKD_APPLIANCE_CRASHKERNEL", "512M")
TIMEOUTS = _debian.TIMEOUTS

# Boot 2, $d the dump: remove, then purge, recording what is left after each.
_purge = r"""sha256sum "$d/vmcore" > $OUT/vmcore-before.sha
export DEBIAN_FRONTEND=noninteractive
apt-get -y remove xen-kdump > $OUT/remove.txt 2>&1; echo $? > $OUT/remove.rc
systemctl is-active xen-kdump.service > $OUT/after-remove.txt 2>&1
[ -f /etc/xen-kdump.conf ] && echo "conffile kept" >> $OUT/after-remove.txt
apt-get -y purge xen-kdump > $OUT/purge.txt 2>&1; echo $? > $OUT/purge.rc
dpkg-query -W -f '${Status}\n' xen-kdump > $OUT/after-purge-status.txt 2>&1
ls -lR /var/crash > $OUT/after-purge-var-crash.txt 2>&1
sha256sum "$d/vmcore" > $OUT/vmcore-after.sha 2>&1
say "$(sed 's/^/xkd-vm: after purge: /' $OUT/after-purge-var-crash.txt)"
[ -s "$d/vmcore" ] || { sync; umount $OUT; say "XKD-FAIL the purge lost $d/vmcore"; exit 1; }
"""
_config = """# appliance-purge (tests/vm): the defaults but for the harness's hooks.
""" + _debian.CONFIG_HEAD + """target path /var/crash
final_action reboot
""" + _debian.CONFIG_HOOKS
ROOTFS_SCRIPT = _debian.rootfs_script(_config, _debian.test_script(True, _purge))


def check(run):
    _debian.check_boots(run)
    for step in ("remove", "purge"):
        run.require(run.text(step + ".rc").strip() == "0",
                    "apt-get %s xen-kdump failed: %s" % (step, run.text(step + ".txt")[-800:]))
    after_remove = run.text("after-remove.txt")
    run.require(after_remove.startswith("inactive") or after_remove.startswith("unknown"),
                "xen-kdump.service still active after apt-get remove: %s" % after_remove[:300])
    run.require("conffile kept" in after_remove, "apt-get remove took the conffile /etc/xen-kdump.conf")
    run.require(run.text("vmcore-before.sha").split()[0] == run.text("vmcore-after.sha").split()[0],
                "the dump's vmcore changed across remove and purge")
    status = run.text("after-purge-status.txt")
    run.require("install ok installed" not in status and "config-files" not in status,
                "dpkg still knows xen-kdump after the purge: %s" % status)
    d = _debian.check_local_dump(run)   # one dump, complete and private, the one boot 2 saw
    with run.rootfs() as root:
        for gone in ("var/lib/xen-kdump", "etc/xen-kdump.conf", "etc/kernel/postinst.d/zz-xen-kdump",
                     "usr/sbin/xen-kdump", "lib/systemd/system/xen-kdump.service",
                     "etc/systemd/system/multi-user.target.wants/xen-kdump.service"):
            run.require(not os.path.lexists(os.path.join(root, gone)), "/%s is still there after the purge" % gone)
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(root, "var", "crash", d, f)), "the purge took %s" % f)
        with open(os.path.join(root, "var", "lib", "dpkg", "status")) as fh:
            run.require(not re.search(r"^Package: xen-kdump$", fh.read(), re.M), "xen-kdump still in dpkg's status")
