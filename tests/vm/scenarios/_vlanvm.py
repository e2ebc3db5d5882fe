"""A guest with two NICs on a trunk carrying one VLAN to QEMU's user network
(appliance-nfs-bond-vlan): slirp drops 802.1Q-tagged frames, so each guest
NIC is a `-netdev stream` connection to tests/vm/tools/vlan-switch on the
host, which strips the VLAN's tag towards a third stream netdev joined to
`-netdev user` by a QEMU hub, and tags what comes back (to the port the
destination MAC was last heard on).  The guest still reaches the host's
loopback as 10.0.2.2, but only through the VLAN: untagged frames are dropped.
The switch starts with the scenario's servers (before the VM lock's queue),
lives 90 min at most and ends by itself once QEMU has come and gone; its
counters are in DIR/switch.json."""
import json
import os
import subprocess
import time

from xkdvm.images import REPO

VID = 100
MACS = ("52:54:00:12:34:61", "52:54:00:12:34:62")
SWITCH = os.path.join(REPO, "tests", "vm", "tools", "vlan-switch")


def port_paths(d):
    return [os.path.join(d, "port%d.sock" % i) for i in range(len(MACS))]


def uplink_path(d):
    return os.path.join(d, "uplink.sock")


def _stream(id_, path):
    if len(path) > 100:   # sun_path is 108 bytes
        raise RuntimeError("%s: too long for a unix socket; use a shorter checkout path" % path)
    return "stream,id=%s,server=off,addr.type=unix,addr.path=%s" % (id_, path)


def qemu_uplink_args(d):
    """The user network behind the switch's uplink, through a hub."""
    return ("-netdev", _stream("up0", uplink_path(d)), "-netdev", "user,id=u0",
            "-netdev", "hubport,id=h0,hubid=0,netdev=up0", "-netdev", "hubport,id=h1,hubid=0,netdev=u0")


def qemu_net_args(d):
    """QEMU_ARGS: the two guest NICs on the switch's ports, and the uplink."""
    a = []
    for i, (path, mac) in enumerate(zip(port_paths(d), MACS)):
        a += ["-netdev", _stream("t%d" % i, path), "-device", "virtio-net-pci,netdev=t%d,mac=%s" % (i, mac)]
    return tuple(a) + qemu_uplink_args(d)


def start_switch(d, lifetime=5400):
    """The switch listening on d's sockets (QEMU connects to them); returns its Popen."""
    log = open(os.path.join(d, "switch.log"), "w")
    cmd = ["python3", SWITCH, "--vid", str(VID), "--uplink", uplink_path(d),
           "--lifetime", str(lifetime), "--log", os.path.join(d, "switch.json"),
           "--pidfile", os.path.join(d, "switch.pid")]
    for p in port_paths(d):
        cmd += ["--port", p]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(50):
        if all(os.path.exists(p) for p in port_paths(d) + [uplink_path(d)]) or proc.poll() is not None:
            break
        time.sleep(0.1)
    if proc.poll() is not None:
        with open(os.path.join(d, "switch.log")) as f:
            raise RuntimeError("vlan-switch did not start: " + f.read()[-1000:])
    return proc


def switch_report(d):
    try:
        with open(os.path.join(d, "switch.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def stop_switch(d):
    try:
        with open(os.path.join(d, "switch.pid")) as f:
            os.kill(int(f.read().strip()), 15)
    except (OSError, ValueError):
        pass
