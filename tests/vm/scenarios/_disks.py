"""Shared by the storage scenarios on the Debian dom0 (appliance-other-fs,
appliance-lvm): the dump disk is a second virtio disk (the guest's /dev/vdb)
made on the host before the VM starts, with fixed names and filesystem UUIDs.

The kernel hook builds the capture image in the chroot on the build machine,
which cannot see the VM's disks (nor has device-mapper), and rebuilding at
boot under TCG takes too long; so, as appliance-ssh-static-bridge does with
the network, the chroot's build reads dom0's disks from lsblk/findmnt output
recorded in this very dom0 (the scenario's fixture directory, given to the
dracut module as XKD_BLOCK_FIXTURES).  Every boot records the live output
(lsblk-bootN.txt, findmnt-bootN.txt in the run's out/), and check() requires
each fixture line in boot 1's: the image was built for the disks dom0 has."""
import os
import subprocess

import _debian

LSBLK = "lsblk -P -p -o NAME,KNAME,PKNAME,TYPE,FSTYPE,UUID"
FINDMNT = "findmnt -rn -o SOURCE,FSTYPE,TARGET"
# In the test unit, after the 9p share is mounted ($OUT, $boot).
RECORD = r"""%s > $OUT/lsblk-boot$boot.txt 2>&1
%s > $OUT/findmnt-boot$boot.txt 2>&1
""" % (LSBLK, FINDMNT)


def disk_args(path):
    """QEMU arguments for the dump disk: after the root fs, so the guest's /dev/vdb."""
    return ("-drive", "file=%s,if=virtio,format=raw,cache=unsafe" % path)


def blank_disk(path, mb):
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(mb << 20)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stdout[-2000:]))
    return r.stdout


def fixtures_setup(fixtures):
    """setup (sh) for _debian.rootfs_script: the fixture files in the chroot,
    and XKD_BLOCK_FIXTURES for the kernel hook's rebuild."""
    s = 'mkdir -p "$ROOT/tmp/xkd-disks"\n'
    for f in sorted(os.listdir(fixtures)):
        s += 'cp %s "$ROOT/tmp/xkd-disks/%s"\n' % (os.path.join(fixtures, f), f)
    return s + "export XKD_BLOCK_FIXTURES=/tmp/xkd-disks\n"


def check_recorded(run, fixtures):
    """Every line of the fixture is in what boot 1's dom0 showed."""
    for name in ("lsblk", "findmnt"):
        fx = os.path.join(fixtures, name + ".txt")
        if not os.path.exists(fx):
            continue
        rec = "%s-boot1.txt" % name
        run.require(run.exists(rec), "the test unit recorded no %s" % rec)
        live = set(run.text(rec).splitlines())
        with open(fx) as f:
            missing = [l for l in f.read().splitlines() if l and l not in live]
        run.require(not missing, "dom0's %s at boot 1 does not show what the image was built from (%s): "
                    "missing %s; see %s" % (name, fx, missing, rec))


def check_boots(run):
    _debian.check_boots(run)
