"""Shared by the appliance scenarios whose Debian dom0 has a network of its own
making (appliance-ssh-static-bridge, appliance-nfs-bond-vlan): dom0's
systemd-networkd files, the image built for that network in the chroot, and
the proof that dom0's live network gives the plan the image was built with.

The kernel hook builds the image in a chroot on the build machine, which
cannot see the VM's network, and a rebuild at boot (dracut in a PV dom0 under
TCG) takes tens of minutes.  So the chroot's build reads dom0's network from
`ip -j` output recorded in this very dom0 (the scenario's FIXTURES folder);
the first boot's `xen-kdump load` compares that with the live network and must
find the image current.  Every boot, once dom0's network is online and before
xen-kdump.service reads it, the record unit saves `ip -j` (ip-*-bootN.json),
the live plan (plan-live-bootN.txt) and the image's (plan-image-bootN.txt) in
the run's output, and prints their difference on the console (xkd-net-diff:).
A dracut started in the VM (load found the image stale) fails the run at once
(XKD-FAIL) instead of running into the service's 10 min bound.
To record again (dom0's network recipe changed): copy the run's
out/ip-*-boot1.json files over FIXTURES/*.json (ip-link-boot1.json is
link.json, ...); `record_again(out, fixtures)` does it."""
import os
import shutil
import subprocess

import _debian
from xkdvm.images import REPO

_NETPLAN = "/usr/lib/dracut/modules.d/99xen-kdump/xen-kdump-netplan.sh"
_KINDS = ("link", "addr", "route4", "route6", "get")

_RECORD = r"""#!/bin/sh
target=%(target)s
mkdir -p /run/xkd-rec
modprobe -q 9pnet_virtio; modprobe -q 9p
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /run/xkd-rec || exit 0
n=$(( $(cat /var/lib/xkd-vm/boot 2> /dev/null || echo 0) ))
R=/run/xkd-rec
ip -d -j link show > $R/ip-link-boot$n.json
ip -j addr show > $R/ip-addr-boot$n.json
ip -j -4 route show table main > $R/ip-route4-boot$n.json
ip -j -6 route show table main > $R/ip-route6-boot$n.json
ip -j -4 route get $target > $R/ip-get-boot$n.json
ip -d link show > $R/ip-link-boot$n.txt 2>&1
cat /proc/net/bonding/* > $R/bonding-boot$n.txt 2> /dev/null
%(netplan)s $target > $R/plan-live-boot$n.txt 2> $R/plan-live-boot$n.err
cat /var/lib/xen-kdump/*.network > $R/plan-image-boot$n.txt 2> /dev/null
if ! cmp -s $R/plan-live-boot$n.txt $R/plan-image-boot$n.txt; then
	printf '\nxkd-vm: boot %%s: dom0 live network plan differs from the image plan (live +):\n%%s\n' "$n" \
		"$(diff -u $R/plan-image-boot$n.txt $R/plan-live-boot$n.txt | sed 's/^/xkd-net-diff: /')" > /dev/console
fi
sync; umount /run/xkd-rec
printf '\nxkd-vm: dom0 network recorded\n' > /dev/console
"""
_RECORD_UNIT = """[Unit]
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
# Ahead of /usr/bin/dracut on the service's PATH, in the VM only (installed after
# the chroot built the image): a rebuild in the VM means the image was stale.
_DRACUT_GUARD = r"""#!/bin/sh
printf '\nXKD-FAIL dracut started in the VM (%s): xen-kdump load found the image stale; see the xkd-net-diff lines and plan-*-boot*.txt\n' "$*" > /dev/console
exit 1
"""


def setup(networkd, fixtures, target, modules=()):
    """setup (sh) for _debian.rootfs_script: dom0's networkd files (path: text),
    the record unit, and the recorded ip -j output the chroot's build reads.
    modules: loaded early at boot (modules-load.d), as on a host that has used
    them since its install: networkd's netlink call creating a bridge or bond
    timed out once while the module loaded (a loaded machine, TCG), leaving
    dom0 without its network."""
    s = ""
    if modules:
        s += _debian._heredoc("/etc/modules-load.d/xkd-vm-net.conf", "\n".join(modules) + "\n", 0o644)
    for path, text in networkd.items():
        s += 'mkdir -p "$ROOT%s"\n' % os.path.dirname(path)
        s += _debian._heredoc(path, text, 0o644)
    s += 'mkdir -p "$ROOT/usr/local/lib/xkd-vm"\n'
    s += _debian._heredoc("/usr/local/lib/xkd-vm/net-record",
                          _RECORD % dict(target=target, netplan=_NETPLAN), 0o755)
    s += 'mkdir -p "$ROOT/etc/systemd/system"\n'
    s += _debian._heredoc("/etc/systemd/system/xkd-vm-net-record.service", _RECORD_UNIT, 0o644)
    s += ('chroot "$ROOT" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service '
          'xkd-vm-net-record.service\n')
    s += 'mkdir -p "$ROOT/tmp/xkd-net"\n'
    for f in _KINDS:
        src = os.path.join(fixtures, f + ".json")
        if os.path.exists(src):
            s += 'cp %s "$ROOT/tmp/xkd-net/%s.json"\n' % (src, f)
    s += "export XKD_NET_FIXTURES=/tmp/xkd-net\n"
    return s


def after_build():
    """sh for after the image is built: no recording left in the root fs, and
    the dracut guard."""
    return ('rm -rf "$ROOT/tmp/xkd-net"\nunset XKD_NET_FIXTURES\nmkdir -p "$ROOT/usr/local/sbin"\n'
            + _debian._heredoc("/usr/local/sbin/dracut", _DRACUT_GUARD, 0o755))


def check_plan(run, boot=1, down_ok=False):
    """The live network of dom0 gave the plan the image was built with.
    down_ok: or dom0's network was not up (under TCG on a loaded machine
    networkd's netlink calls can time out), in which case load must have kept
    the image built for the network dom0 had.  Returns True if the plans matched."""
    live, image = "plan-live-boot%d.txt" % boot, "plan-image-boot%d.txt" % boot
    run.require(run.exists(live) and run.exists(image),
                "boot %d: the record unit saved no plans (see serial.log)" % boot)
    run.require(run.text(image).strip() != "", "boot %d: the image has no network plan beside it" % boot)
    if run.text(live) == run.text(image):
        return True
    if down_ok and "\nfallback dom0 has no route" in run.text(live):
        j = run.text("journal-boot%d.txt" % boot)
        run.require("dom0 has no route to 10.0.2.2 now" in j and "Rebuilding the capture initramfs" not in j,
                    "boot %d: dom0's network was down, and load did not warn or rebuilt" % boot)
        return False
    run.require(False, "boot %d: dom0's live network gives another plan than the image's (the xkd-net-diff "
                "lines of serial.log; to record again: %s)" % (boot, __name__ + ".record_again"))


def record_again(out, fixtures):
    """Copy a run's boot-1 recording over the scenario's fixtures, and write
    the plan it gives as their expected one (tests/appliance/test-netplan.sh
    checks it as case vm-FOLDER)."""
    for f in _KINDS:
        shutil.copy(os.path.join(out, "ip-%s-boot1.json" % f), os.path.join(fixtures, f + ".json"))
    with open(os.path.join(fixtures, "host")) as f:
        host = f.read().strip()
    with open(os.path.join(fixtures, "expected"), "w") as o, \
            open(os.path.join(fixtures, "expected-warnings"), "w") as e:
        subprocess.run([os.path.join(REPO, "initramfs", "99xen-kdump", "xen-kdump-netplan.sh"), host],
                       stdout=o, stderr=e, check=True, env=dict(os.environ, XKD_NET_FIXTURES=fixtures))
