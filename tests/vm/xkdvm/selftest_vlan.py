"""Selftests of tests/vm/tools/vlan-switch (appliance-nfs-bond-vlan's switch):
its tagging and learning, and the whole path through a real QEMU's hub and
user network (`-M none`: no guest, no CPU; this test plays the guest's NICs)."""
import importlib.machinery
import importlib.util
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

from .images import REPO

SWITCH = os.path.join(REPO, "tests", "vm", "tools", "vlan-switch")
MAC = bytes.fromhex("525400123461")
IP, GW = socket.inet_aton("10.0.2.60"), socket.inet_aton("10.0.2.2")


def _module():
    loader = importlib.machinery.SourceFileLoader("vlan_switch", SWITCH)
    spec = importlib.util.spec_from_loader("vlan_switch", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def tag(frame, vid=100):
    return frame[:12] + b"\x81\x00" + struct.pack(">H", vid) + frame[12:]


def arp_request(src=MAC):
    return (b"\xff" * 6 + src + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
            + src + IP + b"\0" * 6 + GW)


def tcp_syn(dst_mac, port):
    tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", _csum(IP + GW + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, IP, GW)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return dst_mac + MAC + b"\x08\x00" + ip + tcp


class _Capture:
    """Switch._send recorded instead of written (pure tests)."""

    def __init__(self, sw):
        self.sent = []
        sw._send = lambda name, frame: self.sent.append((name, frame))


def switch_tags_untags_and_learns():
    mod = _module()
    tmp = tempfile.mkdtemp(prefix="xkd-vs-")
    try:
        sw = mod.Switch(100, [os.path.join(tmp, "a"), os.path.join(tmp, "b")], os.path.join(tmp, "u"))
        cap = _Capture(sw)
        sw.handle("port0", arp_request())                      # untagged: a trunk drops it
        sw.handle("port0", tag(arp_request(), 200))            # another VLAN: dropped too
        assert cap.sent == [], cap.sent
        assert sw.stats["untagged_dropped"] == 1 and sw.stats["other_vlan_dropped"] == 1, sw.stats
        sw.handle("port1", tag(arp_request()))                 # VLAN 100: untagged to the uplink
        assert cap.sent == [("uplink", arp_request())], cap.sent
        reply = MAC + bytes.fromhex("52550a000202") + b"\x08\x06" + bytes(28)
        sw.handle("uplink", reply)                             # learnt: to port1 only, tagged
        assert cap.sent[1:] == [("port1", tag(reply))], cap.sent
        bcast = b"\xff" * 6 + bytes.fromhex("52550a000202") + b"\x08\x06" + bytes(28)
        sw.handle("uplink", bcast)                             # broadcast: every port
        assert cap.sent[2:] == [("port0", tag(bcast)), ("port1", tag(bcast))], cap.sent
        sw.handle("port0", tag(arp_request()))                 # the bond failed over: MAC moves
        sw.handle("uplink", reply)
        assert cap.sent[-1] == ("port0", tag(reply)), cap.sent
        buf = bytearray(struct.pack(">I", 3) + b"abc" + struct.pack(">I", 5) + b"de")
        assert mod.frames(buf) == [b"abc"] and bytes(buf) == struct.pack(">I", 5) + b"de"
    finally:
        shutil.rmtree(tmp)


def _frames(sock, wait):
    sock.settimeout(wait)
    buf, out = b"", []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                n = struct.unpack(">I", buf[:4])[0]
                out.append(buf[4:4 + n])
                buf = buf[4 + n:]
    except socket.timeout:
        pass
    return out


def switch_reaches_the_user_network_through_a_qemu_hub():
    """The QEMU arguments appliance-nfs-bond-vlan uses (qemu_net_args), minus
    the guest: a tagged ARP request and TCP SYN to 10.0.2.2 come back from
    slirp tagged, on the port that sent them; untagged ones get nothing."""
    import sys
    sys.path.insert(0, os.path.join(REPO, "tests", "vm", "scenarios"))
    import _vlanvm
    tmp = tempfile.mkdtemp(prefix="xkd-vs-")
    procs = []
    try:
        sw = _vlanvm.start_switch(tmp, lifetime=60)
        procs.append(sw)
        args = list(_vlanvm.qemu_uplink_args(tmp))
        q = subprocess.Popen(["qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none"] + args,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(q)
        nics = []
        for p in _vlanvm.port_paths(tmp):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(p)
            nics.append(s)

        def send(s, f):
            s.sendall(struct.pack(">I", len(f)) + f)
        for _ in range(50):   # QEMU connects the uplink when it starts
            if _vlanvm.switch_report(tmp).get("connected", []).count("uplink"):
                break
            time.sleep(0.1)
        send(nics[0], arp_request())
        assert _frames(nics[0], 1) == [], "an untagged ARP request was answered"
        send(nics[0], tag(arp_request()))
        got, other = _frames(nics[0], 3), _frames(nics[1], 0.3)
        assert got and got[0][12:16] == b"\x81\x00\x00\x64" and got[0][16:18] == b"\x08\x06", got
        assert other == [], "the reply went to the other port too"
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        send(nics[0], tag(tcp_syn(got[0][6:12], ls.getsockname()[1])))
        got = _frames(nics[0], 3)
        assert any(f[12:18] == b"\x81\x00\x00\x64\x08\x00" and f[18 + 9] == 6 and f[18 + 20 + 13] == 0x12
                   for f in got), "no SYN-ACK from the host's port through slirp: %r" % got
        ls.close()
        for s in nics:
            s.close()
        q.terminate()
        q.wait(10)
        sw.wait(10)   # every connection gone: the switch ends by itself
        rep = _vlanvm.switch_report(tmp)
        assert rep["tagged_in_per_port"]["port0"] == 2 and rep["untagged_dropped"] == 1, rep
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(tmp)


TESTS = [switch_tags_untags_and_learns, switch_reaches_the_user_network_through_a_qemu_hub]
