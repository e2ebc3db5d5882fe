"""An ssh target nobody answers: the capture gives up after the config's
timeout and takes failure_action, which by default (local_path set) saves the
dump on the local disk and then takes final_action."""
import os

import _appliance

_name = "appliance-ssh-unreachable"
_timeout = 20
DESCRIPTION = "ssh target unreachable: bounded wait, then failure_action save-local to the local disk"
CRASH = "dom0-panic"
CRASHKERNEL = "512M"
QEMU_ARGS = _appliance.qemu_disk_args(_name) + _appliance.QEMU_NET_ARGS
DOM0_FILES = _appliance.LazyFiles(_name, _appliance.MAKEDUMPFILE_ENGINE + [
    # Nothing listens on the host's port 2299 (the guest's 10.0.2.2).
    "target ssh xkd@10.0.2.2:/srv/crash",
    "ssh_port 2299",
    "ssh_key @WORK@/id",
    "ssh_known_host ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq",
    "local_path @MNT@/crash",
    "timeout %d" % _timeout,
    "final_action poweroff",
], prepare=_appliance.ssh_identity)
DOM0_SCRIPT = _appliance.DOM0_SCRIPT
CAPTURE_SCRIPT = _appliance.CAPTURE_SCRIPT
TIMEOUTS = {"capture_init": 420, "capture_done": 900}


def check(run):
    t0 = _appliance.first_time(run, "XKD-PHASE capture_init")
    t1 = _appliance.first_time(run, "unreachable for %ds" % _timeout)
    run.require(t0 is not None and t1 is not None,
                "no 'unreachable for %ds' after the capture started (see serial.log)" % _timeout)
    # Bounded: the timeout plus one ssh attempt's slack, not ssh's own defaults.
    run.require(t1 - t0 <= _timeout + 15, "gave up %.0f s after starting, timeout is %d s" % (t1 - t0, _timeout))
    run.require(_appliance.first_time(run, "failure_action save-local") is not None,
                "failure_action save-local was not taken")
    run.require(_appliance.first_time(run, "action: poweroff") is not None, "final_action poweroff not taken")
    with _appliance.mounted_disk(run, _name) as mnt:
        _appliance.check_dump_dir(run, os.path.join(mnt, "crash"))
    with open(os.path.join(run.out, "give-up-seconds"), "w") as f:
        f.write("%.1f\n" % (t1 - t0))
