"""NFS target from the real Debian dom0 (_debian.py): the capture initramfs
brings the network up by DHCP, mounts the export (NFSv4, from a userspace NFS
server on the host's loopback, the guest's 10.0.2.2), saves there as to a local
directory and reboots.  The export gets the same evidence as a local disk:
report, dom0's whole log and Xen's console, 0600, beside the vmcore."""
import os

import _appliance
import _debian

_name = "appliance-nfs"
_work = os.path.join(_appliance.WORK, _name)


def _script():
    # A lifetime that outlasts a queue behind the VM lock (1800 s did not).
    _appliance.start_nfs(_appliance.fresh_work(_name), lifetime=5400)
    config = _debian.network_config([
        "target nfs 10.0.2.2:/export",
        "timeout 60",
        "final_action reboot",
    ])
    return _debian.rootfs_script(config, _debian.test_script(False),
                                 packages=_debian.NFS_PACKAGES)


DESCRIPTION = "Debian dom0: dump saved on an NFS export (userspace NFSv4 server on the host's loopback), reboot"
BASE = _debian.appliance(_script, _appliance.QEMU_NET_ARGS)


def check(run):
    try:
        run.require(_appliance.first_time(run, "xen-kdump: saved /run/xen-kdump/nfs/") is not None,
                    "the capture never said it saved on the NFS mount (see serial.log)")
        _debian.check_boots(run)
        _appliance.check_dump_dir(run, os.path.join(_work, "export"))
        _appliance.check_evidence(run, os.path.join(_work, "export"))
    finally:
        _appliance.stop_nfs(_work)
