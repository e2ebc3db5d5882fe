"""The Debian dom0 on a bonded trunk: two NICs in bond0 (active-backup, MII
monitoring, the first NIC primary), VLAN 100 on top carrying the static
10.0.2.60/24 and the default route (systemd-networkd in the dom0 root fs); no
DHCP anywhere, and nothing reachable untagged.  The capture image must bring
up the same (the bond with both slaves found by their permanent MACs, the
VLAN, the address) and save on the NFS export (userspace NFSv4 server on the
host's loopback, as appliance-nfs).

QEMU's user network drops tagged frames, so both NICs are on the host's
tests/vm/tools/vlan-switch (_vlanvm.py): it strips and adds VLAN 100's tag
between them and QEMU's user network, and drops everything untagged.  The
image is built in the chroot from `ip -j` recorded in this dom0
(net-bond-vlan/); dom0's live network must give the same plan at both boots
(_netvm.py, which says how to record again).

802.3ad is not played here: it needs an LACP partner, which the switch is not
(the plan's 802.3ad handling is unit-tested: tests/appliance/netplan/vlan-on-bond)."""
import json
import os

import _appliance
import _debian
import _netvm
import _vlanvm

_name = "appliance-nfs-bond-vlan"
_work = os.path.join(_appliance.WORK, _name)
_address = "10.0.2.60"
_fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "net-bond-vlan")

# dom0's network.  The bond's MAC fixed (its first NIC's, what the kernel gives a
# bond): networkd's default derives it from /etc/machine-id, which this root fs
# makes afresh per run, and the image's plan (built from the recording) names it.
_networkd = {
    "/etc/systemd/network/10-bond0.netdev":
        "[NetDev]\nName=bond0\nKind=bond\nMACAddress=%s\n\n[Bond]\nMode=active-backup\nMIIMonitorSec=100ms\n"
        % _vlanvm.MACS[0],
    "/etc/systemd/network/20-nic1.network":
        "[Match]\nPermanentMACAddress=%s\n\n[Network]\nBond=bond0\nPrimarySlave=yes\n" % _vlanvm.MACS[0],
    "/etc/systemd/network/21-nic2.network":
        "[Match]\nPermanentMACAddress=%s\n\n[Network]\nBond=bond0\n" % _vlanvm.MACS[1],
    "/etc/systemd/network/30-bond0.network":
        "[Match]\nName=bond0\n\n[Network]\nVLAN=bond0.%d\nDHCP=no\nIPv6AcceptRA=no\n" % _vlanvm.VID,
    "/etc/systemd/network/40-vlan.netdev":
        "[NetDev]\nName=bond0.%d\nKind=vlan\n\n[VLAN]\nId=%d\n" % (_vlanvm.VID, _vlanvm.VID),
    "/etc/systemd/network/41-vlan.network":
        "[Match]\nName=bond0.%d\n\n[Network]\nAddress=%s/24\nGateway=10.0.2.2\nDHCP=no\nIPv6AcceptRA=no\n"
        % (_vlanvm.VID, _address),
}
# The capture kernel's view of its network, on the console, before the dump.
_pre_hook = _appliance.PRE_HOOK + r"""ip -4 -o addr show | sed 's/^/xkd-net: /'
ip -d -o link show type vlan | sed 's/^/xkd-net-vlan: /'
ip -o link show master bond0 | sed 's/^/xkd-net-slave: /'
sed 's/^/xkd-bond: /' /proc/net/bonding/bond0 2> /dev/null
# Lease files only (ls of two folders would print their names, leases or not).
for f in /var/lib/dhclient/* /run/systemd/netif/leases/*; do [ -e "$f" ] && echo "xkd-net-lease: $f"; done
exit 0
"""


def _script():
    _vlanvm.stop_switch(_work)   # a failed run's
    work = _appliance.fresh_work(_name)
    _vlanvm.start_switch(work)
    # A lifetime that outlasts a queue behind the VM lock.
    _appliance.start_nfs(work, lifetime=5400)
    config = _debian.network_config([
        "target nfs 10.0.2.2:/export",
        "timeout 60",
        "final_action reboot",
    ]).replace("pre_hook /usr/local/lib/xkd-vm/pre-hook\n", "pre_hook /usr/local/lib/xkd-vm/pre-hook-net\n")
    setup = (_netvm.setup(_networkd, _fixtures, "10.0.2.2", modules=("bonding", "8021q"))
             + _debian._heredoc("/usr/local/lib/xkd-vm/pre-hook-net", _pre_hook, 0o755))
    return (_debian.rootfs_script(config, _debian.test_script(False), packages=_debian.NFS_PACKAGES,
                                  setup=setup)
            + _netvm.after_build())


DESCRIPTION = ("Debian dom0 on two NICs in an active-backup bond with VLAN 100 on top (static address; "
               "a VLAN switch on the host): the image brings up bond and VLAN and saves on NFS, reboot")
BASE = _debian.appliance(_script, _vlanvm.qemu_net_args(_work))


def check(run):
    try:
        _check(run)
    finally:
        _appliance.stop_nfs(_work)
        _vlanvm.stop_switch(_work)


def _check(run):
    run.require(_appliance.first_time(run, "xen-kdump: saved /run/xen-kdump/nfs/") is not None,
                "the capture never said it saved on the NFS mount (see serial.log)")
    serial = run.text("serial.log")
    lines = [line for line in serial.splitlines() if "xkd-net: " in line]
    run.require(any("bond0.%d" % _vlanvm.VID in line and "inet %s/24" % _address in line for line in lines),
                "the capture kernel did not have %s/24 on bond0.%d: %s" % (_address, _vlanvm.VID, lines))
    bond = [line.split("xkd-bond: ", 1)[1] for line in serial.splitlines() if "xkd-bond: " in line]
    run.require("Bonding Mode: fault-tolerance (active-backup)" in bond,
                "the capture kernel's bond0 is not active-backup (see the xkd-bond lines of serial.log)")
    slaves = [line for line in bond if line.startswith("Slave Interface: ")]
    run.require(len(slaves) == 2, "the capture kernel's bond0 has %d slaves, not 2: %s" % (len(slaves), slaves))
    primary = [line.split()[2] for line in bond if line.startswith("Primary Slave: ")]
    active = [line.split()[3] for line in bond if line.startswith("Currently Active Slave: ")]
    run.require(primary and primary[0] != "None" and primary == active,
                "the capture kernel's bond0: primary %s, active %s (dom0's first NIC is the primary)"
                % (primary, active))
    run.require("xkd-net-lease: " not in serial, "the capture kernel took a DHCP lease")
    _debian.check_boots(run)
    for boot in (1, 2):
        _netvm.check_plan(run, boot, down_ok=boot == 2)
        run.require("Rebuilding the capture initramfs" not in run.text("journal-boot%d.txt" % boot),
                    "boot %d: load rebuilt the image" % boot)
    plan = run.text("plan-image-boot1.txt")
    run.require("egress bond0.%d" % _vlanvm.VID in plan and "Mode=active-backup" in plan
                and "Kind=vlan" in plan and "fallback" not in plan,
                "the image's plan is not dom0's bond and VLAN: %s" % plan[:600])
    sw = _vlanvm.switch_report(_work)
    run.require(sw.get("tagged_in", 0) > 0 and sw.get("to_port_unicast", 0) > 0,
                "the VLAN switch carried no tagged traffic: %s" % sw)
    with open(os.path.join(run.out, "switch.json"), "w") as f:
        json.dump(sw, f, indent=1, sort_keys=True)
    export = os.path.join(_work, "export")
    _appliance.check_dump_dir(run, export)
    _appliance.check_evidence(run, export)
