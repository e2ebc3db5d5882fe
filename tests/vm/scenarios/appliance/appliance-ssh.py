"""The dump streamed over ssh to a real OpenSSH server on the host's loopback
(the guest reaches it as 10.0.2.2 through QEMU user networking), from the real
Debian dom0 (_debian.py): the capture kernel authenticates with the identity in
root's ~/.ssh, checks the pinned host key, the server shows the dump under its
final name only once the stream is complete, and the machine reboots.
The server gets the same evidence as a local disk (report, dom0's whole log,
Xen's console, 0600); a failing pre.d hook does not stop the capture, and the
post.d hook gets the dump's location and "complete"."""
import os
import subprocess

import _appliance
import _debian

_name = "appliance-ssh"
_work = os.path.join(_appliance.WORK, _name)
_remote = os.path.join(_work, "remote")
def _script():
    work = _appliance.fresh_work(_name)
    _appliance.ssh_identity(work)
    os.makedirs(_remote, mode=0o700)
    # Its own port, and a lifetime that outlasts a queue behind the VM lock.
    port = _appliance.free_port()
    _proc, host_key = _appliance.start_sshd(work, lifetime=5400, port=port)
    config = _debian.network_config([
        "target ssh root@10.0.2.2:%s" % _remote,
        "ssh_port %d" % port,
        "ssh_known_host %s" % host_key,
        "timeout 60",
        "final_action reboot",
    ])
    return _debian.rootfs_script(config, _debian.test_script(False),
                                 packages=_debian.SSH_PACKAGES,
                                 setup=_debian.ssh_identity_setup(work) + _hooks)


# Hook directories as an administrator fills them: a pre hook that fails, a post
# hook that says what it was given.
_hooks = r"""install -d -m 0700 "$ROOT/etc/xen-kdump/pre.d" "$ROOT/etc/xen-kdump/post.d"
printf '#!/bin/sh\necho "XKD-HOOK pre.d ran"\nexit 7\n' > "$ROOT/etc/xen-kdump/pre.d/10-vm"
printf '#!/bin/sh\necho "XKD-HOOK post.d $*"\n' > "$ROOT/etc/xen-kdump/post.d/50-vm"
chmod 0755 "$ROOT/etc/xen-kdump/pre.d/10-vm" "$ROOT/etc/xen-kdump/post.d/50-vm"
"""


DESCRIPTION = "Debian dom0: dump streamed over ssh (pinned host key) to an sshd on the host's loopback, reboot"
BASE = _debian.appliance(_script, _appliance.QEMU_NET_ARGS)


def _check(run):
    _debian.check_boots(run)
    size = _appliance.check_dump_dir(run, _remote, vmcore="vmcore.flat", magic=b"makedumpfile\0")
    d = _appliance.check_evidence(run, _remote)
    pre = _appliance.first_time(run, "XKD-HOOK pre.d ran")
    failed = _appliance.first_time(run, "pre hook 10-vm failed (status 7); carrying on")
    saved = _appliance.first_time(run, "xen-kdump: saved 10.0.2.2:")
    post = _appliance.first_time(run, "XKD-HOOK post.d 10.0.2.2:%s complete" % d)
    run.require(pre is not None and failed is not None, "the pre.d hook did not run, or its failure was not logged")
    run.require(post is not None, "the post.d hook was not given 10.0.2.2:%s and complete" % d)
    run.require(pre <= saved <= post, "hooks out of order: pre.d %s, saved %s, post.d %s" % (pre, saved, post))
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


check = _appliance.ssh_target_check(_work, _check)
