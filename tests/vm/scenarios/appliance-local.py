"""The appliance end to end on the capture side: xen-kdump load arms the
dracut-built capture initramfs; dom0 panics; systemd inside the initramfs runs
xen-kdump-capture.service, which mounts the dump disk by UUID, saves a
makedumpfile dump under its final name and powers off (final_action)."""
import os
import stat

import _appliance

_name = "appliance-local"
DESCRIPTION = "dracut capture initramfs (99xen-kdump) saves to a local ext4 disk; dom0 panics"
CRASH = "dom0-panic"
CRASHKERNEL = "512M"
QEMU_ARGS = _appliance.qemu_disk_args(_name)
DOM0_FILES = _appliance.LazyFiles(_name, [
    "target path @MNT@/crash",
    "dump_level 1",
    "final_action poweroff",
    "failure_action poweroff",
])
DOM0_SCRIPT = _appliance.DOM0_SCRIPT
# Required by the harness for crash scenarios; never runs here: the capture
# kernel boots the dracut image loaded above, not the harness's initramfs.
CAPTURE_SCRIPT = "echo 'XKD-FAIL the harness capture image ran instead of the appliance image'"
TIMEOUTS = {"capture_init": 300, "capture_done": 900}


def check(run):
    run.require("xen-kdump-capture.service" in run.serial or "xen-kdump:" in run.serial,
                "the capture unit never ran (no xen-kdump lines on the console)")
    with _appliance.Disk(_name) as mnt:
        crash = os.path.join(mnt, "crash")
        entries = sorted(os.listdir(crash))
        run.require(len(entries) == 1 and not entries[0].startswith("."),
                    "expected one complete dump directory in /crash, found %s" % entries)
        d = os.path.join(crash, entries[0])
        st = os.stat(d)
        run.require(stat.S_IMODE(st.st_mode) == 0o700, "dump directory mode %o" % stat.S_IMODE(st.st_mode))
        vmcore = os.path.join(d, "vmcore")
        run.require(os.path.exists(vmcore), "no vmcore in %s: %s" % (entries[0], os.listdir(d)))
        size = os.path.getsize(vmcore)
        run.require(size > 16 << 20, "vmcore is only %d bytes" % size)
        run.require(stat.S_IMODE(os.stat(vmcore).st_mode) == 0o600, "vmcore is not 0600")
        with open(vmcore, "rb") as f:
            head = f.read(8)
        run.require(head == b"KDUMP   ", "vmcore is not kdump-compressed (starts %r)" % head)
        with open(os.path.join(run.out, "dump-size"), "w") as f:
            f.write("%d\n" % size)
