"""The appliance end to end on the capture side: xen-kdump load arms the
dracut-built capture initramfs; dom0 panics; systemd inside the initramfs runs
xen-kdump-capture.service, which mounts the dump disk by UUID, saves the dump
with the default engine (native: xen-kdump-collect, zstd, level 63, plus the
crash report) under its final name and powers off (final_action)."""
import os

import _appliance

_name = "appliance-capture-local"
DESCRIPTION = "dracut capture initramfs (99xen-kdump) saves to a local ext4 disk; dom0 panics"
ESSENTIAL = False  # appliance-local plays the whole cycle on a Debian dom0
CRASH = "dom0-panic"
# bench/min-region (make bench) lowers it to find the smallest region that still captures.
CRASHKERNEL = os.environ.get("XKD_APPLIANCE_CRASHKERNEL", "512M")
QEMU_ARGS = _appliance.qemu_disk_args(_name)
DOM0_FILES = _appliance.LazyFiles(_name, [
    "target path @MNT@/crash",
    "final_action poweroff",
    "failure_action poweroff",
])
DOM0_SCRIPT = _appliance.DOM0_SCRIPT
CAPTURE_SCRIPT = _appliance.CAPTURE_SCRIPT
TIMEOUTS = {"capture_init": 300, "capture_done": 900}


def check(run):
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the default engine (xen-kdump-collect) never said it saved the dump (see serial.log)")
    with _appliance.mounted_disk(run, _name) as mnt:
        top = os.path.join(mnt, "crash")
        _appliance.check_dump_dir(run, top, min_bytes=1 << 20)
        d = os.path.join(top, os.listdir(top)[0])
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(d, f)), "no %s beside the dump: %s" % (f, os.listdir(d)))
        with open(os.path.join(d, "report.txt"), errors="replace") as f:
            report = f.read()
        run.require("4.17" in report, "report.txt does not name Xen 4.17: %r" % report[:300])
