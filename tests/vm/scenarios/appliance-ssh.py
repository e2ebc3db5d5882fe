"""The dump streamed over ssh to a real OpenSSH server on the host's loopback
(the guest reaches it as 10.0.2.2 through QEMU user networking): the capture
kernel authenticates with its identity, checks the pinned host key, and the
server shows the dump under its final name only once the stream is complete."""
import os
import subprocess

import _appliance

_name = "appliance-ssh"
_work = os.path.join(_appliance.WORK, _name)
_remote = os.path.join(_work, "remote")


def _prepare(work):
    _appliance.ssh_identity(work)
    os.makedirs(os.path.join(work, "remote"), mode=0o700)
    _proc, host_key = _appliance.start_sshd(work)
    return {"HOSTKEY": host_key}


DESCRIPTION = "dump streamed over ssh (pinned host key) to an sshd on the host's loopback"
CRASH = "dom0-panic"
CRASHKERNEL = "512M"
QEMU_ARGS = _appliance.qemu_disk_args(_name) + _appliance.QEMU_NET_ARGS
DOM0_FILES = _appliance.LazyFiles(_name, _appliance.MAKEDUMPFILE_ENGINE + [
    "target ssh root@10.0.2.2:%s" % _remote,
    "ssh_port %d" % _appliance.SSHD_PORT,
    "ssh_key @WORK@/id",
    "ssh_known_host @HOSTKEY@",
    "timeout 60",
    "final_action poweroff",
    "failure_action poweroff",
], prepare=_prepare)
DOM0_SCRIPT = _appliance.DOM0_SCRIPT
CAPTURE_SCRIPT = _appliance.CAPTURE_SCRIPT
TIMEOUTS = {"capture_init": 420, "capture_done": 900}


def check(run):
    try:
        _check(run)
    finally:
        _appliance.stop_sshd(_work)


def _check(run):
    run.require(_appliance.first_time(run, "xen-kdump: saved 10.0.2.2:") is not None,
                "the capture never said it saved over ssh (see serial.log; sshd: %s/sshd.log)" % _work)
    size = _appliance.check_dump_dir(run, _remote, vmcore="vmcore.flat", magic=b"makedumpfile\0")
    d = os.path.join(_remote, os.listdir(_remote)[0])
    with open(os.path.join(d, "vmcore.flat"), "rb") as f:
        f.seek(size - 16)
        run.require(f.read(16) == b"\xff" * 16, "vmcore.flat does not end with the end-of-stream marker")
    # The flattened stream turns back into a normal kdump file.
    restored = os.path.join(run.out, "vmcore-restored")
    with open(os.path.join(d, "vmcore.flat"), "rb") as f:
        r = subprocess.run(["makedumpfile", "-R", restored], stdin=f,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run.require(r.returncode == 0, "makedumpfile -R failed: %s" % r.stdout[-500:])
    with open(restored, "rb") as f:
        head = f.read(8)
    run.require(head in (b"KDUMP   ", b"\x7fELF\x02\x01\x01\x00"), "restored dump starts %r" % head)
    os.unlink(restored)
    with open(os.path.join(_work, "sshd.log")) as f:
        log = f.read()
    run.require("Accepted publickey for root" in log, "sshd never accepted the capture's key")
