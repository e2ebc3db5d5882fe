"""Debian dom0 with its dumps on LVM, as the installer's guided LVM leaves a
host: /var/crash is the logical volume xkd-vg/crash (a VG name with a dash,
as Debian's "HOST-vg"), on a second disk (the guest's /dev/vdb), mounted by
fstab; lvm2 activates it at boot.  The capture image must bring the volume up
itself (dracut's lvm module, rd.lvm.lv=xkd-vg/crash), save there and reboot;
the second boot finds the dump in /var/crash as usual.

The volume is made on the host before the VM starts, with no device-mapper
there: the chroot's own lvm2 writes the PV, VG and LV metadata to a loop device
with activation off, and the host's mkfs.ext4 writes the filesystem (fixed
UUID) at the LV's first extent.  The chroot's build sees dom0's disks
through recorded lsblk/findmnt output (_disks.py: disk-lvm/); check() reads
the dump off the disk image at that offset."""
import os

import _appliance
import _debian
import _disks

_name = "appliance-lvm"
_work = os.path.join(_appliance.WORK, _name)
_disk = os.path.join(_work, "disk.img")
_fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "disk-lvm")
_fs_uuid = "c7a5e0b1-2d3f-4a6b-9c8d-7e6f5a4b3c21"
_pv_uuid = "XkdPv0-Test-Disk-Lvm0-Fixd-Uuid-000001"
_lv_mb = 448

# Runs on the host with the chroot ready ($ROOT, lvm2 installed there).
_make_lvm = r"""
XKD_LVM_DISK=%(disk)s
L=$(losetup -f --show "$XKD_LVM_DISK") || { echo "losetup of the LVM disk failed"; exit 1; }
C='global{activation=0} devices{obtain_device_list_from_udev=0 use_devicesfile=0} backup{backup=0 archive=0}'
mkdir -p "$ROOT/run/lock/lvm"
ok=1
chroot "$ROOT" lvm pvcreate --config "$C" -u %(pv)s --norestorefile "$L" &&
chroot "$ROOT" lvm vgcreate --config "$C" xkd-vg "$L" &&
chroot "$ROOT" lvm lvcreate --config "$C" -an -Zn -L %(mb)dM -n crash xkd-vg &&
off=$(chroot "$ROOT" lvm pvs --config "$C" --noheadings --units b --nosuffix -o pe_start "$L" | tr -d ' ') &&
chroot "$ROOT" lvm lvs --config "$C" -o lv_name,seg_pe_ranges xkd-vg || ok=0
losetup -d "$L"
[ $ok = 1 ] && [ -n "$off" ] || { echo "making the LVM volume failed"; exit 1; }
echo "$off" > %(work)s/lv-offset
L=$(losetup -f --show -o "$off" --sizelimit %(bytes)d "$XKD_LVM_DISK") &&
mkfs.ext4 -q -F -U %(fs)s -L xkd-crash "$L" || ok=0
# No lost+found: /var/crash holds dump directories only (the test unit lists them).
M=$(mktemp -d) && mount "$L" "$M" && rmdir "$M/lost+found" && umount "$M" && rmdir "$M" || ok=0
losetup -d "$L"
[ $ok = 1 ] || { echo "mkfs.ext4 on the LV failed"; exit 1; }
mkdir -p "$ROOT/var/crash"
echo "UUID=%(fs)s /var/crash ext4 defaults 0 2" >> "$ROOT/etc/fstab"
"""

_extra_check = r"""findmnt -n -o SOURCE /var/crash > $OUT/boot2-var-crash-source.txt 2>&1
"""


def _script():
    work = _appliance.fresh_work(_name)
    assert work == _work
    _disks.blank_disk(_disk, 512)
    config = (_debian.CONFIG_HEAD + "target path /var/crash\nfinal_action reboot\n" + _debian.CONFIG_HOOKS)
    test = _debian.test_script(True, _extra_check).replace(_debian._TEST_CRASH, _disks.RECORD + _debian._TEST_CRASH)
    setup = _make_lvm % dict(disk=_disk, pv=_pv_uuid, mb=_lv_mb, bytes=_lv_mb << 20, fs=_fs_uuid, work=_work)
    return _debian.rootfs_script(config, test, packages=("lvm2",),
                                 setup=setup + _disks.fixtures_setup(_fixtures))


DESCRIPTION = ("Debian dom0 with /var/crash on an LVM logical volume (guided-LVM style): the capture "
               "image activates it (rd.lvm.lv), saves there, reboot, dump found")
BASE = _debian.appliance(_script, _disks.disk_args(_disk))


class _LvMount:
    """The LV's filesystem on the host: the disk image at the LV's offset (no device-mapper needed)."""

    def __init__(self):
        import tempfile
        with open(os.path.join(_work, "lv-offset")) as f:
            self.off = int(f.read().strip())
        self.mnt = tempfile.mkdtemp(prefix="xkd-lv-")

    def __enter__(self):
        _disks.run(["mount", "-o", "ro,loop,offset=%d,sizelimit=%d" % (self.off, _lv_mb << 20), _disk, self.mnt])
        return self.mnt

    def __exit__(self, *exc):
        _disks.run(["umount", self.mnt])
        os.rmdir(self.mnt)


def check(run):
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the collector never said it saved the dump (see serial.log)")
    _disks.check_boots(run)
    _disks.check_recorded(run, _fixtures)
    src = run.text("boot2-var-crash-source.txt").strip()
    run.require(src == "/dev/mapper/xkd--vg-crash",
                "at boot 2 /var/crash is %r, not the LV: the dump may be on the root fs" % src)
    listed = run.text("boot2-var-crash.txt")
    with _LvMount() as mnt:
        entries = sorted(os.listdir(mnt))
        run.require(len(entries) == 1, "expected one dump on the LV, found %s" % entries)
        _appliance.check_dump_dir(run, mnt, min_bytes=1 << 20)
        _appliance.check_evidence(run, mnt)
        run.require(entries[0] in listed, "the second boot did not see %s in /var/crash" % entries[0])
    run.require(entries[0] in run.text("boot2-list.txt"), "xen-kdump list at boot 2 does not show %s" % entries[0])

