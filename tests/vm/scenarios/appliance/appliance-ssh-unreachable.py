"""An ssh target nobody answers, from the real Debian dom0 (_debian.py): the
capture gives up after the config's timeout and takes failure_action, which by
default (local_path set) saves the dump in /var/crash on the root fs and then
takes final_action reboot; the second boot finds the dump there."""
import os

import _appliance
import _debian

_name = "appliance-ssh-unreachable"
_timeout = 20


def _script():
    work = _appliance.fresh_work(_name)
    _appliance.ssh_identity(work)
    config = _debian.network_config([
        # Nothing listens on the host's port 2299 (the guest's 10.0.2.2).
        "target ssh xkd@10.0.2.2:/srv/crash",
        "ssh_port 2299",
        "ssh_known_host ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq",
        "local_path /var/crash",
        "timeout %d" % _timeout,
        "final_action reboot",
    ])
    return _debian.rootfs_script(config, _debian.test_script(True),
                                 packages=_debian.SSH_PACKAGES,
                                 setup=_debian.ssh_identity_setup(work))


DESCRIPTION = "Debian dom0: ssh target unreachable: bounded wait, failure_action save-local to /var/crash, reboot"
BASE = _debian.appliance(_script, _appliance.QEMU_NET_ARGS)


def check(run):
    t0 = _appliance.first_time(run, "XKD-PHASE capture_init")
    t1 = _appliance.first_time(run, "unreachable for %ds" % _timeout)
    run.require(t0 is not None and t1 is not None,
                "no 'unreachable for %ds' after the capture started (see serial.log)" % _timeout)
    # Bounded: the timeout plus one ssh attempt's slack, not ssh's own defaults.
    run.require(t1 - t0 <= _timeout + 15, "gave up %.0f s after starting, timeout is %d s" % (t1 - t0, _timeout))
    run.require(_appliance.first_time(run, "failure_action save-local") is not None,
                "failure_action save-local was not taken")
    run.require(_appliance.first_time(run, "action: reboot") is not None, "final_action reboot not taken")
    _debian.check_boots(run)
    _debian.check_local_dump(run, min_bytes=16 << 20)
    with open(os.path.join(run.out, "give-up-seconds"), "w") as f:
        f.write("%.1f\n" % (t1 - t0))
