"""kdump-utils' `ext4 UUID=...` on the Debian dom0: the dump goes to an ext4
filesystem on a second disk (the guest's /dev/vdb, made on the host with a
fixed UUID) that dom0 never mounts: `target_fs UUID=...` with `target path
/dumps`, the directory inside it.  The capture image finds that filesystem by
UUID, saves there and reboots; the second boot mounts it by hand and lists the
dump; check() reads it off the disk image.  The chroot's build sees dom0's
disks through recorded lsblk output (_disks.py: disk-other-fs/)."""
import os

import _appliance
import _debian
import _disks

# The cheapest of the disk and network setups (issue 12): in CI.
ESSENTIAL = True

_name = "appliance-other-fs"
_work = os.path.join(_appliance.WORK, _name)
_disk = os.path.join(_work, "disk.img")
_fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "disk-other-fs")
_uuid = "5a1e0d3c-7b2f-4e61-9c8a-0d4f3b2a1c05"

# Boot 2: the filesystem, mounted by hand (dom0's fstab does not name it), holds the dump.
_boot2 = r"""if [ $boot != 1 ]; then
	mkdir -p /mnt/xkd-other
	mount -o ro UUID=%s /mnt/xkd-other ||
		{ sync; umount $OUT; say "XKD-FAIL boot $boot: cannot mount UUID=%s"; exit 1; }
	ls -lR /mnt/xkd-other > $OUT/boot2-other.txt 2>&1
	xen-kdump list --dir /mnt/xkd-other/dumps > $OUT/boot2-list.txt 2>&1
	xen-kdump list > $OUT/boot2-list-default.txt 2>&1
	say "$(sed 's/^/xkd-vm: list: /' $OUT/boot2-list.txt)"
	umount /mnt/xkd-other
fi
""" % (_uuid, _uuid)


def _script():
    work = _appliance.fresh_work(_name)
    _disks.blank_disk(_disk, 512)
    _disks.run(["mkfs.ext4", "-q", "-F", "-U", _uuid, "-L", "xkd-other", _disk])
    config = (_debian.CONFIG_HEAD + "target_fs UUID=%s\ntarget path /dumps\nfinal_action reboot\n" % _uuid
              + _debian.CONFIG_HOOKS)
    test = _debian._TEST_HEAD + _disks.RECORD + _debian._TEST_CRASH + _boot2 + _debian._TEST_END
    assert work == _work
    return _debian.rootfs_script(config, test, setup=_disks.fixtures_setup(_fixtures))


DESCRIPTION = ("Debian dom0: kdump.conf's 'ext4 UUID=...' (target_fs): dump saved on a filesystem "
               "dom0 does not mount, found by UUID, reboot")
BASE = _debian.appliance(_script, _disks.disk_args(_disk))


def check(run):
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the collector never said it saved the dump (see serial.log)")
    _disks.check_boots(run)
    _disks.check_recorded(run, _fixtures)
    with _appliance.mounted_disk(run, _name) as mnt:
        top = os.path.join(mnt, "dumps")
        _appliance.check_dump_dir(run, top, min_bytes=1 << 20)
        _appliance.check_evidence(run, top)
        d = sorted(os.listdir(top))[0]
    run.require(d in run.text("boot2-list.txt"), "xen-kdump list --dir at boot 2 does not show %s" % d)
    # The root fs has no such directory: nothing went to /dumps on dom0's own disk.
    with run.rootfs() as root:
        run.require(not os.path.exists(os.path.join(root, "dumps")),
                    "a /dumps appeared on dom0's root fs: the dump went to the wrong filesystem")
    run.require("which dom0 does not mount there" in run.text("boot2-list-default.txt"),
                "xen-kdump list without --dir does not say the target is on an unmounted filesystem: %s"
                % run.text("boot2-list-default.txt")[:300])
