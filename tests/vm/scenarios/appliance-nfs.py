"""NFS target: the capture initramfs brings the network up by DHCP, mounts
the export (NFSv4, from a userspace NFS server on the host's loopback, the
guest's 10.0.2.2) and saves there as to a local directory."""
import os

import _appliance

_name = "appliance-nfs"
_work = os.path.join(_appliance.WORK, _name)


def _prepare(work):
    _appliance.start_nfs(work)


DESCRIPTION = "dump saved on an NFS export (userspace NFSv4 server on the host's loopback)"
CRASH = "dom0-panic"
CRASHKERNEL = "512M"
QEMU_ARGS = _appliance.qemu_disk_args(_name) + _appliance.QEMU_NET_ARGS
DOM0_FILES = _appliance.LazyFiles(_name, _appliance.MAKEDUMPFILE_ENGINE + [
    "target nfs 10.0.2.2:/export",
    "timeout 60",
    "final_action poweroff",
    "failure_action poweroff",
], prepare=_prepare)
DOM0_SCRIPT = _appliance.DOM0_SCRIPT
CAPTURE_SCRIPT = _appliance.CAPTURE_SCRIPT
TIMEOUTS = {"capture_init": 420, "capture_done": 900}


def check(run):
    try:
        run.require(_appliance.first_time(run, "xen-kdump: saved /run/xen-kdump/nfs/") is not None,
                    "the capture never said it saved on the NFS mount (see serial.log)")
        _appliance.check_dump_dir(run, os.path.join(_work, "export"))
    finally:
        _appliance.stop_nfs(_work)
