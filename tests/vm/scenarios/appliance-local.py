"""The whole appliance cycle on a real Debian 12 dom0 running systemd.

The root fs (debootstrap, cached) gets this checkout by `make install`, a
config saving to /var/crash on the root fs, and `systemctl enable
xen-kdump.service`; the capture initramfs is built in the chroot with `xen-kdump
rebuild` run by the installed kernel hook (/etc/kernel/postinst.d/zz-xen-kdump),
as on a host after installing.  Xen boots the Debian dom0 from the
disk; systemd starts xen-kdump.service (its `load` must find that image up to
date); a test-only unit checks `xen-kdump status` and panics dom0; the dracut
capture image saves to /var/crash and reboots (final_action); the machine comes
back into Xen + the Debian dom0, the service loads again, and the test unit
lists the dump and powers off.  check() then reads the dump off the disk.
"""
import json
import os

import _appliance

DESCRIPTION = "Debian 12 systemd dom0: service loads at boot, dom0 panics, capture to /var/crash, reboot, dump found"
ESSENTIAL = True
ROOTFS = "debian"
REBOOTS = 1
CRASH = "dom0-panic"
# bench/min-region (make bench) lowers it to find the smallest region that still captures.
CRASHKERNEL = os.environ.get("XKD_APPLIANCE_CRASHKERNEL", "512M")
# Bounds from the previous phase (TCG, 2 cores); measured on an idle machine: see tests/vm/README.md.
TIMEOUTS = dict(dom0_init=300, load_done=300, capture_init=300, capture_done=900,
                rebooted=300, reboot_done=300, poweroff=120, TOTAL=2700)

# The harness's parts in the image (not the product's): markers on the console,
# results in the 9p share, the crash.  The boot marker runs early and counts
# boots (so a capture that failed and rebooted shows as "no dump after the
# reboot", not as a first boot again); the test unit runs after xen-kdump.service.
_boot_marker = r"""#!/bin/sh
n=$(cat /var/lib/xkd-vm/boot 2> /dev/null || echo 0)
n=$((n + 1))
mkdir -p /var/lib/xkd-vm && echo $n > /var/lib/xkd-vm/boot && sync
if [ $n = 1 ]; then p=dom0_init; else p=rebooted; fi
printf '\nXKD-PHASE %s\n' "$p" > /dev/console
"""
_test = r"""#!/bin/sh
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
if [ $boot != 1 ] && ! ls -d /var/crash/*/ > /dev/null 2>&1; then
	journalctl -b -1 --no-pager -o short-monotonic > $OUT/journal-previous.txt 2>&1
	sync; umount $OUT
	say "XKD-FAIL boot $boot: the machine rebooted but /var/crash holds no dump"
	exit 1
fi
if [ $boot = 1 ]; then
	say "XKD-PHASE load_done"
	sync; umount $OUT
	say "XKD-PHASE crash"
	echo c > /proc/sysrq-trigger
	exit 1
fi
ls -lR /var/crash > $OUT/boot2-var-crash.txt 2>&1
say "$(ls -l /var/crash /var/crash/*/ | sed 's/^/xkd-vm: ls: /')"
say "$(head -n 12 /var/crash/*/report.txt | sed 's/^/xkd-vm: report: /')"
# What an administrator finds after the reboot: one complete dump, private.
d=$(ls -d /var/crash/*/ | head -n 1); d=${d%/}
bad=
[ "$(stat -c %a "$d")" = 700 ] || bad="$bad $d:$(stat -c %a "$d")"
for f in "$d"/*; do [ "$(stat -c %a "$f")" = 600 ] || bad="$bad $f:$(stat -c %a "$f")"; done
[ -z "$bad" ] || { sync; umount $OUT; say "XKD-FAIL dump not private (want 700/600):$bad"; exit 1; }
grep -q '^Dump: vmcore .*: complete$' "$d/report.txt" && grep -q '4\.17' "$d/report.txt" ||
	{ sync; umount $OUT; say "XKD-FAIL $d/report.txt does not say complete and Xen 4.17"; exit 1; }
say "XKD-PHASE reboot_done"
sync; umount $OUT
systemctl --no-block poweroff
"""
_boot_unit = """[Unit]
Description=xen-kdump VM test: boot marker
DefaultDependencies=no
After=systemd-remount-fs.service
[Service]
Type=oneshot
ExecStart=/usr/local/lib/xkd-vm/boot-marker
[Install]
WantedBy=sysinit.target
"""
_test_unit = """[Unit]
Description=xen-kdump VM test: check the service, crash / find the dump
After=xen-kdump.service multi-user.target
[Service]
Type=exec
ExecStart=/usr/local/lib/xkd-vm/test
[Install]
WantedBy=multi-user.target
"""
_config = """# appliance-local (tests/vm): the defaults but for the harness's hooks, and
# Debian's kernel as the capture kernel even when `make install` shipped the
# minimal one (issue 5 measures the crash region Debian's kernel needs).
kernel /boot/vmlinuz-%r
target path /var/crash
final_action reboot
pre_hook /usr/local/lib/xkd-vm/pre-hook
post_hook /usr/local/lib/xkd-vm/post-hook
"""


def _heredoc(path, text, mode):
    return "cat > \"$ROOT%s\" <<'XKD_EOF'\n%sXKD_EOF\nchmod %o \"$ROOT%s\"\n" % (path, text, mode, path)


# Host side, on the run's copy of the root fs ($ROOT, chroot-ready).  The
# capture image is built here by the installed kernel hook, as a kernel
# install or upgrade on the host would; the dracut.conf.d drop-in names what
# host-only would find on the VM (its disk's virtio_blk) plus the 9p share the
# post hook reports through, so any rebuild (hook, load, by hand) has them.
ROOTFS_SCRIPT = ("""
make -s -C "$REPO" install DESTDIR="$ROOT" BUILD="$BUILD"
mkdir -p "$ROOT/usr/local/lib/xkd-vm"
""" + _heredoc("/usr/local/lib/xkd-vm/pre-hook", _appliance.PRE_HOOK, 0o755)
    + _heredoc("/usr/local/lib/xkd-vm/post-hook", _appliance.POST_HOOK, 0o755)
    + _heredoc("/usr/local/lib/xkd-vm/boot-marker", _boot_marker, 0o755)
    + _heredoc("/usr/local/lib/xkd-vm/test", _test, 0o755)
    + _heredoc("/etc/systemd/system/xkd-vm-boot.service", _boot_unit, 0o644)
    + _heredoc("/etc/systemd/system/xkd-vm-test.service", _test_unit, 0o644)
    + _heredoc("/etc/xen-kdump.conf", _config, 0o644) + """
chroot "$ROOT" systemctl enable xen-kdump.service xkd-vm-boot.service xkd-vm-test.service
echo 'add_drivers+=" %s "' > "$ROOT/etc/dracut.conf.d/90-xkd-vm.conf"
chroot "$ROOT" /etc/kernel/postinst.d/zz-xen-kdump "$KVER" "/boot/vmlinuz-$KVER"
chroot "$ROOT" xen-kdump show --kver "$KVER"
ls -l "$ROOT/var/lib/xen-kdump"
test -s "$ROOT/var/lib/xen-kdump/initrd-$KVER.img"
""" % _appliance.DRACUT_DRIVERS)


def check(run):
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the default engine (xen-kdump-collect) never said it saved the dump (see serial.log)")
    for boot in (1, 2):
        name = "status-boot%d.json" % boot
        run.require(run.exists(name), "the test unit wrote no %s" % name)
        st = json.loads(run.text(name))
        run.require(st.get("loaded") is True, "boot %d: xen-kdump status says %s" % (boot, st))
        svc = run.text("service-boot%d.txt" % boot)
        run.require("active (exited)" in svc, "boot %d: xen-kdump.service is not active: %s" % (boot, svc[:400]))
    journal = run.text("journal-boot1.txt")
    # The image built at install time must be the one loaded: no dracut run under TCG at boot.
    run.require("Rebuilding the capture initramfs" not in journal,
                "xen-kdump load rebuilt the capture initramfs at boot: the install-time image was "
                "not up to date (see journal-boot1.txt)")
    run.require("Loaded crash image" in journal, "the journal of boot 1 has no 'Loaded crash image'")
    run.require(run.phases["rebooted"] > run.phases["capture_done"], "no reboot after the capture")
    listed = run.text("boot2-var-crash.txt")
    with run.rootfs() as root:
        top = os.path.join(root, "var", "crash")
        _appliance.check_dump_dir(run, top, min_bytes=1 << 20)
        d = os.listdir(top)[0]
        run.require(d in listed, "the second boot did not see %s in /var/crash: %s" % (d, listed))
        for f in ("report.txt", "report.json"):
            run.require(os.path.exists(os.path.join(top, d, f)), "no %s beside the dump" % f)
        with open(os.path.join(top, d, "report.txt"), errors="replace") as f:
            report = f.read()
        run.require("4.17" in report, "report.txt does not name Xen 4.17: %r" % report[:300])
