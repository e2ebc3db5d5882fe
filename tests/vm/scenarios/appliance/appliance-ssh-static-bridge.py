"""The Debian dom0 the way Xen hosts are set up: its NIC is a port of the
bridge xenbr0, which carries a static address and the default route
(systemd-networkd in the dom0 root fs); no DHCP anywhere.  The capture image
must bring up the same: xenbr0 with the NIC as its port (found by its MAC),
the static address, and reach the ssh target (an OpenSSH server on the host's
loopback, the guest's 10.0.2.2, as appliance-ssh).

The kernel hook builds the image in the chroot on the build machine, which
cannot see the VM's network; rebuilding at boot under TCG takes too long
(dracut in a PV dom0 under TCG: tens of minutes).  So the chroot's build
reads dom0's network from `ip -j` output recorded in this very dom0
(net-static-bridge/, by the xkd-vm-net-record unit below, which runs every
boot once the network is online); the first boot's `xen-kdump load` then
compares that with the live `ip -j` and must find the image current (no
rebuild on either boot): the live kernel's network gives exactly the plan the
image was built with.  The capture's pre_hook prints the capture kernel's
addresses: xenbr0 must hold the static address, and no lease.
To record again (dom0's network recipe changed): copy the run's
out/ip-*-boot1.json files over net-static-bridge/*.json.  (Recorded before
xenbr0's MACAddress= was fixed; its address there was then set to that MAC.)"""
import os

import _appliance
import _debian

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
ls /var/lib/dhclient /run/systemd/netif/leases 2> /dev/null | sed 's/^/xkd-net-lease: /'
"""
# What dom0 had (ip -j, for the record) and the boot-1 image's plan.
_net_record = r"""cp /var/lib/xen-kdump/*.network $OUT/plan-boot$boot.txt 2> /dev/null
"""
_fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "net-static-bridge")
# Every boot, once dom0's network is online and before xen-kdump.service reads it.
_record = r"""#!/bin/sh
mkdir -p /run/xkd-rec
modprobe -q 9pnet_virtio; modprobe -q 9p
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /run/xkd-rec || exit 0
n=$(( $(cat /var/lib/xkd-vm/boot 2> /dev/null || echo 0) ))
ip -d -j link show > /run/xkd-rec/ip-link-boot$n.json
ip -j addr show > /run/xkd-rec/ip-addr-boot$n.json
ip -j -4 route show table main > /run/xkd-rec/ip-route4-boot$n.json
ip -j -6 route show table main > /run/xkd-rec/ip-route6-boot$n.json
ip -j -4 route get 10.0.2.2 > /run/xkd-rec/ip-get-boot$n.json
sync; umount /run/xkd-rec
printf '\nxkd-vm: dom0 network recorded\n' > /dev/console
"""
_record_unit = """[Unit]
Description=xen-kdump VM test: record dom0's network (ip -j)
Wants=network-online.target
After=network-online.target xkd-vm-boot.service
Before=xen-kdump.service
[Service]
Type=oneshot
ExecStart=/usr/local/lib/xkd-vm/net-record
[Install]
WantedBy=multi-user.target
"""


def _setup(work):
    s = _debian.ssh_identity_setup(work)
    for path, text in _networkd.items():
        s += 'mkdir -p "$ROOT%s"\n' % os.path.dirname(path)
        s += _debian._heredoc(path, text, 0o644)
    s += _debian._heredoc("/usr/local/lib/xkd-vm/net-record", _record, 0o755)
    s += _debian._heredoc("/etc/systemd/system/xkd-vm-net-record.service", _record_unit, 0o644)
    s += ('chroot "$ROOT" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service '
          'xkd-vm-net-record.service\n')
    # The kernel hook's rebuild reads dom0's network from the recording (see above).
    s += 'mkdir -p "$ROOT/tmp/xkd-net"\n'
    for f in ("link", "addr", "route4", "route6", "get"):
        src = os.path.join(_fixtures, f + ".json")
        if os.path.exists(src):
            s += 'cp %s "$ROOT/tmp/xkd-net/%s.json"\n' % (src, f)
    s += "export XKD_NET_FIXTURES=/tmp/xkd-net\n"
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
    test = _debian._TEST_HEAD + _net_record + _debian._TEST_CRASH + _debian._TEST_END
    return _debian.rootfs_script(config, test, packages=_debian.SSH_PACKAGES, setup=_setup(work))


DESCRIPTION = ("Debian dom0 with a static address on the bridge xenbr0 (its NIC as port): the image "
               "rebuilt for that network at boot brings it up and streams the dump over ssh, reboot")
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = _debian.CRASH
CRASHKERNEL = "512M"
QEMU_ARGS = _appliance.QEMU_NET_ARGS
ROOTFS_SCRIPT = _debian.LazyScript(_script)
TIMEOUTS = _debian.TIMEOUTS


def check(run):
    try:
        _check(run)
    finally:
        _appliance.stop_sshd(_work)


def _check(run):
    run.require(_appliance.first_time(run, "xen-kdump: saved 10.0.2.2:") is not None,
                "the capture never said it saved over ssh (see serial.log; sshd: %s/sshd.log)" % _work)
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
    plan = run.text("plan-boot1.txt")
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
