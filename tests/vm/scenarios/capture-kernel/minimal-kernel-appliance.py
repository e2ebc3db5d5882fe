"""The minimal capture kernel with its real capture initramfs: `xen-kdump
rebuild` builds the small dracut image (no kernel modules, no systemd) for the
module-less kernel; in dom0 a bare `xen-kdump load` picks the installed minimal
kernel and that image by itself; dom0 panics; the image saves the dump to an
ext4 disk in a 64 MiB crash region (XKD_CRASHKERNEL overrides the size and
XKD_FIND_MIN=1 lets load arm below the estimate, as in minimal-kernel-64M)."""
import os

import _appliance
import _minimal

_name = "minimal-kernel-appliance"
DESCRIPTION = "minimal kernel + its dracut image (no modules) save to an ext4 disk at crashkernel=64M"
ESSENTIAL = True
CRASH = "dom0-panic"
CRASHKERNEL = os.environ.get("XKD_CRASHKERNEL", "64M")
QEMU_ARGS = _appliance.qemu_disk_args(_name)
DOM0_FILES = _minimal.LazyMinimalFiles(_name, [
    "target path @MNT@/crash",
    "final_action poweroff",
    "failure_action poweroff",
])
DOM0_SCRIPT = _minimal.appliance_dom0_script()
CAPTURE_SCRIPT = _appliance.CAPTURE_SCRIPT
TIMEOUTS = {"capture_init": 300, "capture_done": 600}


def check(run):
    show = run.text("show.txt")
    run.require("%s" % _minimal.MINIMAL_KERNEL_IN_DOM0 in show and "minimal kernel is installed" in show,
                "show does not say the installed minimal kernel was chosen: %s" % show[:600])
    run.require(_minimal.MINIMAL_INITRD_IN_DOM0 in show, "show does not pick the minimal image: %s" % show[:600])
    run.require("small capture image" in run.serial,
                "the capture kernel did not boot the small image's /init (see serial.log)")
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the collector never said it saved the dump (see serial.log)")
    with _appliance.mounted_disk(run, _name) as mnt:
        top = os.path.join(mnt, "crash")
        _appliance.check_dump_dir(run, top, min_bytes=1 << 20)
        d = os.path.join(top, os.listdir(top)[0])
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(d, f)), "no %s beside the dump: %s" % (f, os.listdir(d)))
    initrd = os.path.join(_appliance.WORK, _name, "initrd.img")
    with open(os.path.join(run.out, "image-size.txt"), "w") as f:
        f.write("%d\n" % os.path.getsize(initrd))
