"""The Debian dom0 the way Xen hosts are set up: its NIC is a port of the
bridge xenbr0, which carries a static address and the default route
(systemd-networkd in the dom0 root fs); no DHCP anywhere.  The capture image
must bring up the same: xenbr0 with the NIC as its port (found by its MAC),
the static address, and reach the ssh target (an OpenSSH server on the host's
loopback, the guest's 10.0.2.2, as appliance-ssh).

The image is built in the chroot from `ip -j` output recorded in this very
dom0 (net-static-bridge/), and dom0's live network must give the same plan at
both boots (no rebuild in the VM): _netvm.py says how, and how to record again.
The capture's pre_hook prints the capture kernel's addresses: xenbr0 must hold
the static address, and no lease."""
import os

import _appliance
import _debian
import _netvm

_name = "appliance-ssh-static-bridge"
_work = os.path.join(_appliance.WORK, _name)
_remote = os.path.join(_work, "remote")
_address = "10.0.2.50"

# dom0's network: systemd-networkd, a bridge with the NIC (any en*/eth*) as its port.
_networkd = {
    # The bridge's MAC fixed (its NIC's, as bridge-utils gives it): networkd's default derives
    # it from /etc/machine-id, which this root fs makes afresh per run, and the image's plan
    # (built from the recording) names dom0's bridge MAC.
    "/etc/systemd/network/10-xenbr0.netdev":
        "[NetDev]\nName=xenbr0\nKind=bridge\nMACAddress=52:54:00:12:34:56\n",
    "/etc/systemd/network/20-nic.network":
        "[Match]\nName=en* eth*\n\n[Network]\nBridge=xenbr0\n",
    "/etc/systemd/network/30-xenbr0.network":
        "[Match]\nName=xenbr0\n\n[Network]\nAddress=%s/24\nGateway=10.0.2.2\nDHCP=no\n"
        "IPv6AcceptRA=no\n" % _address,
}
# The capture kernel's view of its network, on the console, before the dump.
_pre_hook = _appliance.PRE_HOOK + r"""ip -4 -o addr show | sed 's/^/xkd-net: /'
ip -o link show master xenbr0 | sed 's/^/xkd-net-port: /'
# Lease files only (ls of two folders would print their names, leases or not).
for f in /var/lib/dhclient/* /run/systemd/netif/leases/*; do [ -e "$f" ] && echo "xkd-net-lease: $f"; done
exit 0
"""
_fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "net-static-bridge")


def _setup(work):
    s = _debian.ssh_identity_setup(work)
    s += _netvm.setup(_networkd, _fixtures, "10.0.2.2", modules=("bridge",))
    s += _debian._heredoc("/usr/local/lib/xkd-vm/pre-hook-net", _pre_hook, 0o755)
    return s


def _script():
    work = _appliance.fresh_work(_name)
    _appliance.ssh_identity(work)
    os.makedirs(_remote, mode=0o700)
    _proc, host_key = _appliance.start_sshd(work)
    config = _debian.network_config([
        "target ssh root@10.0.2.2:%s" % _remote,
        "ssh_port %d" % _appliance.SSHD_PORT,
        "ssh_known_host %s" % host_key,
        "timeout 60",
        "final_action reboot",
    ]).replace("pre_hook /usr/local/lib/xkd-vm/pre-hook\n", "pre_hook /usr/local/lib/xkd-vm/pre-hook-net\n")
    test = _debian._TEST_HEAD + _debian._TEST_CRASH + _debian._TEST_END
    return (_debian.rootfs_script(config, test, packages=_debian.SSH_PACKAGES, setup=_setup(work))
            + _netvm.after_build())


DESCRIPTION = ("Debian dom0 with a static address on the bridge xenbr0 (its NIC as port): the image "
               "built for that network brings it up and streams the dump over ssh, reboot")
BASE = _debian.appliance(_script, _appliance.QEMU_NET_ARGS)


def _check(run):
    serial = run.text("serial.log")
    run.require(("xkd-net: " in serial and "xenbr0" in serial and ("inet %s/24" % _address) in serial),
                "the capture kernel did not have %s/24 on xenbr0 (see the xkd-net lines of serial.log)" % _address)
    run.require("xkd-net-port: " in serial, "the capture kernel's xenbr0 had no port")
    run.require("xkd-net-lease: " not in serial, "the capture kernel took a DHCP lease")
    for boot in (1, 2):
        st = run.text("status-boot%d.json" % boot) if run.exists("status-boot%d.json" % boot) else ""
        run.require('"loaded":true' in st, "boot %d: the image was not loaded: %s" % (boot, st[:300]))
    j1, j2 = run.text("journal-boot1.txt"), run.text("journal-boot2.txt")
    for boot, j in ((1, j1), (2, j2)):
        run.require("Rebuilding the capture initramfs" not in j,
                    "boot %d: load rebuilt the image: dom0's live network does not give the plan the image "
                    "was built with (see journal-boot%d.txt, ip-*-boot%d.json vs %s)" % (boot, boot, boot, _fixtures))
    _netvm.check_plan(run, 1)
    _netvm.check_plan(run, 2, down_ok=True)
    plan = run.text("plan-image-boot1.txt")
    run.require("egress xenbr0" in plan and ("Address=%s/24" % _address) in plan and "Bridge=xenbr0" in plan
                and "fallback" not in plan, "boot 1: the recorded plan is not dom0's bridge: %s" % plan[:600])
    run.require(run.phases["rebooted"] > run.phases["capture_done"], "no reboot after the capture")
    size = _appliance.check_dump_dir(run, _remote, vmcore="vmcore.flat", magic=b"makedumpfile\0")
    d = os.path.join(_remote, os.listdir(_remote)[0])
    with open(os.path.join(d, "vmcore.flat"), "rb") as f:
        f.seek(size - 16)
        run.require(f.read(16) == b"\xff" * 16, "vmcore.flat does not end with the end-of-stream marker")
    with open(os.path.join(_work, "sshd.log")) as f:
        run.require("Accepted publickey for root" in f.read(), "sshd never accepted the capture's key")


check = _appliance.ssh_target_check(_work, _check)
