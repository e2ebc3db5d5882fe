"""Shared by the appliance-* scenarios on the real Debian 12 dom0 (ROOTFS =
"debian", REBOOTS = 1): the root fs gets this checkout's Debian package
(`apt-get install ./xen-kdump_*.deb`, built once per content), the
scenario's /etc/xen-kdump.conf and `systemctl enable xen-kdump.service`; the
capture initramfs is built in the chroot by the installed kernel hook
(/etc/kernel/postinst.d/zz-xen-kdump, i.e. `xen-kdump rebuild`), as on a host
after installing.  Xen boots the Debian dom0 from the disk; systemd starts
xen-kdump.service (its `load` must find that image up to date); a test-only
unit checks `xen-kdump status` and panics dom0; the dracut capture image saves
to the scenario's target and reboots (final_action); the machine comes back
into Xen + the Debian dom0, the service loads again, the test unit checks what
an administrator would find (a local dump: listed and private) and powers off.
"""
import json
import os

import _appliance

ROOTFS = "debian"
REBOOTS = 1
CRASH = "dom0-panic"
# Bounds from the previous phase (TCG, 2 cores); measured on an idle machine: see tests/vm/README.md.
TIMEOUTS = dict(dom0_init=300, load_done=300, capture_init=300, capture_done=900,
                rebooted=300, reboot_done=300, poweroff=120, TOTAL=2700)

# The harness's parts in the image (not the product's): markers on the console,
# results in the 9p share, the crash.  The boot marker runs early and counts
# boots (so a capture that failed and rebooted shows as "no dump after the
# reboot", not as a first boot again); the test unit runs after xen-kdump.service.
BOOT_MARKER = r"""#!/bin/sh
n=$(cat /var/lib/xkd-vm/boot 2> /dev/null || echo 0)
n=$((n + 1))
mkdir -p /var/lib/xkd-vm && echo $n > /var/lib/xkd-vm/boot && sync
if [ $n = 1 ]; then p=dom0_init; else p=rebooted; fi
printf '\nXKD-PHASE %s\n' "$p" > /dev/console
"""
_TEST_HEAD = r"""#!/bin/sh
say() { printf '\n%s\n' "$*" > /dev/console; }
OUT=/run/xkd-out
mkdir -p $OUT
modprobe -q 9pnet_virtio; modprobe -q 9p
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out $OUT; then
	say "XKD-FAIL the Debian dom0 cannot mount the 9p share"; exit 1
fi
boot=$(cat /var/lib/xkd-vm/boot)
xen-kdump status > $OUT/status-boot$boot.txt 2>&1
xen-kdump status --json > $OUT/status-boot$boot.json 2>&1
systemctl status --no-pager xen-kdump.service > $OUT/service-boot$boot.txt 2>&1
journalctl -b --no-pager -o short-monotonic > $OUT/journal-boot$boot.txt 2>&1
say "$(sed 's/^/xkd-vm: status: /' $OUT/status-boot$boot.txt)"
if ! systemctl -q is-active xen-kdump.service || ! grep -q '"loaded":true' $OUT/status-boot$boot.json; then
	sync; umount $OUT
	say "XKD-FAIL xen-kdump.service did not load the capture image at boot $boot (see service-boot$boot.txt)"
	exit 1
fi
"""
_TEST_NO_LOCAL_DUMP = r"""if [ $boot != 1 ] && ! ls -d /var/crash/*/ > /dev/null 2>&1; then
	journalctl -b -1 --no-pager -o short-monotonic > $OUT/journal-previous.txt 2>&1
	sync; umount $OUT
	say "XKD-FAIL boot $boot: the machine rebooted but /var/crash holds no dump"
	exit 1
fi
"""
_TEST_CRASH = r"""if [ $boot = 1 ]; then
	say "XKD-PHASE load_done"
	sync; umount $OUT
	say "XKD-PHASE crash"
	echo c > /proc/sysrq-trigger
	exit 1
fi
"""
# A hypervisor panic instead (CRASH = "xen-panic"): dom0 stays up and says
# ready; the harness sends the NMI that Xen's nmi=fatal turns into a panic.
_TEST_READY = r"""if [ $boot = 1 ]; then
	say "XKD-PHASE load_done"
	sync; umount $OUT
	say "XKD-PHASE ready"
	exec sleep infinity
fi
"""
# What an administrator finds after the reboot: one dump, private, listed.
_TEST_LOCAL_DUMP = r"""ls -lR /var/crash > $OUT/boot2-var-crash.txt 2>&1
xen-kdump list --dir /var/crash > $OUT/boot2-list.txt 2>&1
say "$(ls -l /var/crash /var/crash/*/ | sed 's/^/xkd-vm: ls: /')"
say "$(sed 's/^/xkd-vm: list: /' $OUT/boot2-list.txt)"
d=$(ls -d /var/crash/*/ | head -n 1); d=${d%/}
grep -q "${d##*/}" $OUT/boot2-list.txt ||
	{ sync; umount $OUT; say "XKD-FAIL xen-kdump list does not show $d (see boot2-list.txt)"; exit 1; }
bad=
[ "$(stat -c %a "$d")" = 700 ] || bad="$bad $d:$(stat -c %a "$d")"
for f in "$d"/*; do [ "$(stat -c %a "$f")" = 600 ] || bad="$bad $f:$(stat -c %a "$f")"; done
[ -z "$bad" ] || { sync; umount $OUT; say "XKD-FAIL dump not private (want 700/600):$bad"; exit 1; }
"""
_TEST_END = r"""say "XKD-PHASE reboot_done"
sync; umount $OUT
systemctl --no-block poweroff
"""
_BOOT_UNIT = """[Unit]
Description=xen-kdump VM test: boot marker
DefaultDependencies=no
After=systemd-remount-fs.service
[Service]
Type=oneshot
ExecStart=/usr/local/lib/xkd-vm/boot-marker
[Install]
WantedBy=sysinit.target
"""
_TEST_UNIT = """[Unit]
Description=xen-kdump VM test: check the service, crash / find the dump
After=xen-kdump.service multi-user.target
[Service]
Type=exec
ExecStart=/usr/local/lib/xkd-vm/test
[Install]
WantedBy=multi-user.target
"""
# The harness's hooks, and Debian's kernel as the capture kernel even when
# the package ships the minimal one (issue 5 measures the crash region
# Debian's kernel needs); the scenario adds its target and actions.
CONFIG_HEAD = """kernel /boot/vmlinuz-%r
"""
CONFIG_HOOKS = """pre_hook /usr/local/lib/xkd-vm/pre-hook
post_hook /usr/local/lib/xkd-vm/post-hook
"""


def test_script(local_dump, extra_check="", crash=CRASH):
    """The test unit's script; local_dump: boot 2 must find a dump in /var/crash
    (and extra_check, sh, runs on it as $d); crash: dom0-panic (boot 1 panics
    dom0) or xen-panic (boot 1 waits for the harness's NMI)."""
    first = _TEST_READY if crash == "xen-panic" else _TEST_CRASH
    if not local_dump:
        return _TEST_HEAD + first + _TEST_END
    return _TEST_HEAD + _TEST_NO_LOCAL_DUMP + first + _TEST_LOCAL_DUMP + extra_check + _TEST_END


def _heredoc(path, text, mode):
    return "cat > \"$ROOT%s\" <<'XKD_EOF'\n%sXKD_EOF\nchmod %o \"$ROOT%s\"\n" % (path, text, mode, path)


# What a host using a network target installs besides xen-kdump (the dracut
# module's require_binaries name them): apt in the chroot, no daemon started.
_APT = r"""
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"; chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
chroot "$ROOT" apt-get -q update
DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get -q -y --no-install-recommends install %s
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT/usr/sbin/policy-rc.d"
"""


def network_config(lines):
    """/etc/xen-kdump.conf for a transport scenario: these lines, with
    makedumpfile's engine (appliance-local covers the native one)."""
    return CONFIG_HEAD + "\n".join(_appliance.MAKEDUMPFILE_ENGINE + lines) + "\n" + CONFIG_HOOKS


# The network targets' packages: dracut's systemd-networkd module (it needs dbus)
# and what the target's dracut side requires.
SSH_PACKAGES = ("dracut-network", "dbus", "openssh-client", "makedumpfile", "jq")
NFS_PACKAGES = ("dracut-network", "dbus", "nfs-common", "makedumpfile", "jq")


def ssh_identity_setup(work):
    """setup (sh) for rootfs_script: the identity _appliance.ssh_identity made
    in work, at the config's default ssh_key, where the docs tell root to put it."""
    return ('install -d -m 0700 "$ROOT/root/.ssh"\n'
            'install -m 0600 %s/id "$ROOT/root/.ssh/xen-kdump_id_ed25519"\n' % work)


# How the appliance gets into the root fs: this checkout's Debian package
# (tests/vm/tools/deb builds it once per content), installed by apt as an
# administrator would.  apt resolves its dependencies from the root fs; with no
# package lists there, the Recommends (dracut-network, openssh-client) are only
# installed where the scenario's packages name them.
# (The script runs as `( set -e; ... ) || rc=$?`, where sh ignores set -e: every
# step says itself when it fails.)
DEB_INSTALL = r"""XKD_DEB=$(python3 "$REPO/tests/vm/tools/deb") && [ -f "$XKD_DEB" ] ||
	{ echo "no .deb of this checkout (tests/vm/tools/deb failed)"; exit 1; }
cp "$XKD_DEB" "$ROOT/tmp/" || exit 1
DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get -q -y install "/tmp/${XKD_DEB##*/}" ||
	{ echo "apt-get install ./${XKD_DEB##*/} failed in the root fs"; exit 1; }
rm -f "$ROOT/tmp/${XKD_DEB##*/}"
chroot "$ROOT" dpkg-query -W -f '${Package} ${Version} ${Status}\n' xen-kdump | grep -q ' install ok installed$' ||
	{ echo "xen-kdump is not installed after apt-get install"; exit 1; }
"""


def rootfs_script(config, test, packages=(), setup="", install=DEB_INSTALL):
    """ROOTFS_SCRIPT (host side, on the run's copy of the root fs, $ROOT,
    chroot-ready): packages, then install (default: the .deb, DEB_INSTALL), the harness's hooks and units,
    config as /etc/xen-kdump.conf, setup (sh), and the capture image built by
    the installed kernel hook, as a kernel install or upgrade on the host would.
    The dracut.conf.d drop-in names what host-only would find on the VM (its
    disk's virtio_blk, its NIC) plus the 9p share the post hook reports
    through, so any rebuild (hook, load, by hand) has them.  The kernel hook
    runs in a network namespace of its own: `xen-kdump rebuild` reads the
    network from the running host (ip -j), and the chroot's host is this
    build machine, not the VM's dom0; without a network it sees what a dom0
    without network configuration has (no route to the target: DHCP on every
    Ethernet port)."""
    return ((_APT % " ".join(packages) if packages else "") + """
""" + install + """mkdir -p "$ROOT/usr/local/lib/xkd-vm"
""" + _heredoc("/usr/local/lib/xkd-vm/pre-hook", _appliance.PRE_HOOK, 0o755)
        + _heredoc("/usr/local/lib/xkd-vm/post-hook", _appliance.POST_HOOK, 0o755)
        + _heredoc("/usr/local/lib/xkd-vm/boot-marker", BOOT_MARKER, 0o755)
        + _heredoc("/usr/local/lib/xkd-vm/test", test, 0o755)
        + _heredoc("/etc/systemd/system/xkd-vm-boot.service", _BOOT_UNIT, 0o644)
        + _heredoc("/etc/systemd/system/xkd-vm-test.service", _TEST_UNIT, 0o644)
        + _heredoc("/etc/xen-kdump.conf", config, 0o644) + setup + """
chroot "$ROOT" systemctl enable xen-kdump.service xkd-vm-boot.service xkd-vm-test.service
echo 'add_drivers+=" %s "' > "$ROOT/etc/dracut.conf.d/90-xkd-vm.conf"
unshare --net chroot "$ROOT" /etc/kernel/postinst.d/zz-xen-kdump "$KVER" "/boot/vmlinuz-$KVER"
chroot "$ROOT" xen-kdump show --kver "$KVER"
ls -l "$ROOT/var/lib/xen-kdump"
test -s "$ROOT/var/lib/xen-kdump/initrd-$KVER.img"
""" % _appliance.DRACUT_DRIVERS)


class LazyScript:
    """A ROOTFS_SCRIPT made the first time the harness uses it (when the
    scenario is played, not when it is listed): make() may start the host's
    server and read its host key first."""

    def __init__(self, make):
        self.make, self._text = make, None

    def __str__(self):
        if self._text is None:
            self._text = self.make()
        return self._text

    def __bool__(self):
        return True


def check_boots(run):
    """Both boots: xen-kdump.service active and the image loaded; the image
    built at install time is the one loaded; the capture rebooted the machine."""
    for boot in (1, 2):
        name = "status-boot%d.json" % boot
        run.require(run.exists(name), "the test unit wrote no %s" % name)
        st = json.loads(run.text(name))
        run.require(st.get("loaded") is True, "boot %d: xen-kdump status says %s" % (boot, st))
        svc = run.text("service-boot%d.txt" % boot)
        run.require("active (exited)" in svc, "boot %d: xen-kdump.service is not active: %s" % (boot, svc[:400]))
    journal = run.text("journal-boot1.txt")
    # No dracut run under TCG at boot.
    run.require("Rebuilding the capture initramfs" not in journal,
                "xen-kdump load rebuilt the capture initramfs at boot: the install-time image was "
                "not up to date (see journal-boot1.txt)")
    run.require("Loaded crash image" in journal, "the journal of boot 1 has no 'Loaded crash image'")
    run.require(run.phases["rebooted"] > run.phases["capture_done"], "no reboot after the capture")


def check_local_capture(run):
    """A capture by the default engine to /var/crash, both boots, and the dump
    there with its report: what appliance-local proves on any firmware and Xen.
    Returns the dump's directory name."""
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the default engine (xen-kdump-collect) never said it saved the dump (see serial.log)")
    check_boots(run)
    d = check_local_dump(run)
    with run.rootfs() as root:
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(root, "var", "crash", d, f)), "no %s beside the dump" % f)
    return d


def check_local_dump(run, min_bytes=1 << 20, **kw):
    """The dump in /var/crash on the root fs, as check_dump_dir wants it, and
    seen (ls, xen-kdump list) by the second boot; returns its directory."""
    listed = run.text("boot2-var-crash.txt")
    with run.rootfs() as root:
        top = os.path.join(root, "var", "crash")
        _appliance.check_dump_dir(run, top, min_bytes=min_bytes, **kw)
        d = os.listdir(top)[0]
        run.require(d in listed, "the second boot did not see %s in /var/crash: %s" % (d, listed))
        run.require(d in run.text("boot2-list.txt"),
                    "xen-kdump list at the second boot does not show %s" % d)
        return d


def appliance(script, qemu_args, crashkernel="512M"):
    """The settings every Debian-dom0 appliance scenario with its own target
    shares (BASE = _debian.appliance(...)): this root fs, a crash, the reboot
    into dom0, the ROOTFS_SCRIPT made by script() when the scenario is played."""
    return dict(ROOTFS=ROOTFS, REBOOTS=REBOOTS, CRASH=CRASH, CRASHKERNEL=crashkernel, QEMU_ARGS=qemu_args,
                ROOTFS_SCRIPT=LazyScript(script), TIMEOUTS=TIMEOUTS)
