"""appliance-local with engine native: xen-kdump-collect inside the dracut
capture initramfs writes the zstd kdump file and the crash report."""
import os

import _appliance

_name = "appliance-local-native"
DESCRIPTION = "dracut capture initramfs, engine native (xen-kdump-collect): dump + report on a local disk"
CRASH = "dom0-panic"
CRASHKERNEL = "512M"
QEMU_ARGS = _appliance.qemu_disk_args(_name)
DOM0_FILES = _appliance.LazyFiles(_name, [
    "target path @MNT@/crash",
    "engine native",
    "final_action poweroff",
    "failure_action poweroff",
])
DOM0_SCRIPT = _appliance.DOM0_SCRIPT
# Required by the harness for crash scenarios; never runs here (see appliance-local).
CAPTURE_SCRIPT = "echo 'XKD-FAIL the harness capture image ran instead of the appliance image'"
TIMEOUTS = {"capture_init": 300, "capture_done": 900}


def check(run):
    run.require("xen-kdump: saved " in run.serial or "xen-kdump-collect" in run.serial,
                "the capture unit never ran the collector (see serial.log)")
    with _appliance.mounted_disk(run, _name) as mnt:
        top = os.path.join(mnt, "crash")
        _appliance.check_dump_dir(run, top, min_bytes=1 << 20)
        d = os.path.join(top, os.listdir(top)[0])
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(d, f)), "no %s beside the dump: %s" % (f, os.listdir(d)))
        with open(os.path.join(d, "report.txt"), errors="replace") as f:
            report = f.read()
        run.require("4.17" in report, "report.txt does not name Xen 4.17: %r" % report[:300])
