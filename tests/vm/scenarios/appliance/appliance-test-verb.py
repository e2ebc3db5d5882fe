"""An administrator's first day and the morning after, on the real Debian 12 dom0
(_debian.py): the .deb installed with apt, `xen-kdump setup --dry-run` shows the
crashkernel= change on Xen's GRUB line and writes nothing, `xen-kdump test --yes`
crashes the host through the verb (marker, sysrq c); the capture saves to
/var/crash and reboots; at the next boot the service's `announce` has logged one
journal entry (MESSAGE_ID) for the dump, and only one however often it runs,
`status` says the test left a COMPLETE dump and shows the last crash, and the
dump directory holds the whole evidence set: vmcore, report.txt, report.json,
dmesg.txt, xen-console.txt and capture.log, each 0600."""
import os
import re
import stat

import _debian

DESCRIPTION = "Debian 12 dom0, .deb: setup --dry-run, test --yes, reboot: journal entry once, status Test COMPLETE, evidence set"
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = _debian.CRASH
CRASHKERNEL = os.environ.get("XKD_APPLIANCE_CRASHKERNEL", "512M")
TIMEOUTS = _debian.TIMEOUTS

_message_id = "d4d95d58c29549fa90cbdb2fac5a1477"
_evidence = ("vmcore", "report.txt", "report.json", "dmesg.txt", "xen-console.txt", "capture.log")

# Debian's stock /etc/default/grub (what grub-pc's postinst installs) and the
# Xen line xen-hypervisor-common's grub.d/xen.cfg would carry: setup must keep
# dom0_mem and add crashkernel=, on Xen's line only.
_grub = """GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
"""
_grub_xen = """GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT dom0_mem=512M,max:512M"
"""
_setup = (_debian._heredoc("/etc/default/grub", _grub, 0o644)
          + 'mkdir -p "$ROOT/etc/default/grub.d"\n'
          + _debian._heredoc("/etc/default/grub.d/xen.cfg", _grub_xen, 0o644))

# Boot 1: setup --dry-run, then the test verb crashes the host.
_crash = r"""if [ $boot = 1 ]; then
	sha256sum /etc/default/grub /etc/default/grub.d/* > $OUT/grub-before.sha
	xen-kdump setup --dry-run > $OUT/setup-dry-run.txt 2>&1; echo $? > $OUT/setup-dry-run.rc
	sha256sum /etc/default/grub /etc/default/grub.d/* > $OUT/grub-after.sha
	say "$(sed 's/^/xkd-vm: setup: /' $OUT/setup-dry-run.txt)"
	say "XKD-PHASE load_done"
	sync; umount $OUT
	say "XKD-PHASE crash"
	xen-kdump test --yes > /dev/console 2>&1
	say "XKD-FAIL xen-kdump test --yes returned (status $?) instead of crashing the host"
	exit 1
fi
"""
# Boot 2 (after _TEST_LOCAL_DUMP: $d is the dump): the journal entry, once; the evidence.
_morning = r"""journalctl -o export --no-pager MESSAGE_ID=%s > $OUT/journal-announce.txt 2>&1
xen-kdump announce > $OUT/announce-again.txt 2>&1; echo $? >> $OUT/announce-again.txt
journalctl -o export --no-pager MESSAGE_ID=%s > $OUT/journal-announce-again.txt 2>&1
ls -ln "$d" > $OUT/dump-files.txt 2>&1
say "$(grep -a '^MESSAGE=' $OUT/journal-announce.txt | sed 's/^/xkd-vm: journal: /')"
missing=
for f in %s; do [ -s "$d/$f" ] || missing="$missing $f"; done
[ -z "$missing" ] || { sync; umount $OUT; say "XKD-FAIL missing beside the dump:$missing"; exit 1; }
""" % (_message_id, _message_id, " ".join(_evidence))

_config = """# appliance-test-verb (tests/vm): the defaults but for the harness's hooks.
""" + _debian.CONFIG_HEAD + """target path /var/crash
final_action reboot
""" + _debian.CONFIG_HOOKS
_test = (_debian._TEST_HEAD + _debian._TEST_NO_LOCAL_DUMP + _crash + _debian._TEST_LOCAL_DUMP + _morning
         + _debian._TEST_END)
ROOTFS_SCRIPT = _debian.rootfs_script(_config, _test, setup=_setup)


def _entries(text):
    """journalctl -o export: entries separated by blank lines, as dicts of the text fields."""
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if fields.get("MESSAGE_ID") == _message_id:
            out.append(fields)
    return out


def check(run):
    _debian.check_boots(run)
    # Day one: setup --dry-run shows the change on Xen's line and writes nothing.
    dry = run.text("setup-dry-run.txt")
    run.require(run.text("setup-dry-run.rc").strip() == "0", "setup --dry-run failed: %s" % dry[-600:])
    for want in ("Would write /etc/default/grub.d/xen-kdump.cfg", "crashkernel=",
                 'GRUB_CMDLINE_XEN_DEFAULT now:   " dom0_mem=512M,max:512M"',
                 "Dry run: nothing written; update-grub not run."):
        run.require(want in dry, "setup --dry-run does not say %r: %s" % (want, dry[-800:]))
    after = re.search(r'^GRUB_CMDLINE_XEN_DEFAULT after: "(.*)"$', dry, re.M)
    run.require(after and "crashkernel=" in after.group(1) and "dom0_mem=512M,max:512M" in after.group(1),
                "setup --dry-run does not show Xen's line with crashkernel= and dom0_mem kept: %s" % dry[-600:])
    run.require(not re.search(r"GRUB_CMDLINE_LINUX\w*=.*crashkernel", dry),
                "setup --dry-run puts crashkernel= on dom0's line: %s" % dry)
    run.require(run.text("grub-before.sha") == run.text("grub-after.sha"),
                "setup --dry-run changed the GRUB files")
    run.require("Test marker written" in run.serial, "xen-kdump test --yes never wrote its marker (serial.log)")
    d = _debian.check_local_dump(run)
    path = "/var/crash/" + d
    # The morning after: status, the journal entry (once), the evidence.
    status = run.text("status-boot2.txt")
    test = [line for line in status.splitlines() if line.strip().startswith("Test:")]
    run.require(len(test) == 1 and (path + " COMPLETE") in test[0],
                "status at boot 2 does not say the test's dump %s is COMPLETE: %s" % (path, status))
    last = [line for line in status.splitlines() if line.strip().startswith("Last crash:")]
    run.require(len(last) == 1 and path in last[0] and " COMPLETE" in last[0] and " dom0 " in last[0],
                "status at boot 2 shows no last crash for %s: %s" % (path, status))
    entries = _entries(run.text("journal-announce.txt"))
    run.require(len(entries) == 1, "expected one journal entry MESSAGE_ID=%s, found %d (journal-announce.txt)"
                % (_message_id, len(entries)))
    e = entries[0]
    for k, v in (("DUMP_DIR", path), ("DUMP_STATE", "COMPLETE"), ("CRASH_KIND", "dom0"), ("PRIORITY", "2"),
                 ("SYSLOG_IDENTIFIER", "xen-kdump"), ("DUMP_FILE", "vmcore")):
        run.require(e.get(k) == v, "journal entry: %s=%r, expected %r (%s)" % (k, e.get(k), v, e))
    run.require(e.get("XEN_VERSION", "").startswith("4.17"), "journal entry: XEN_VERSION=%r" % e.get("XEN_VERSION"))
    again = _entries(run.text("journal-announce-again.txt"))
    run.require(len(again) == 1, "a second 'xen-kdump announce' logged the dump again (%d entries)" % len(again))
    with run.rootfs() as root:
        top = os.path.join(root, "var", "crash", d)
        for f in _evidence:
            p = os.path.join(top, f)
            run.require(os.path.isfile(p) and os.path.getsize(p) > 0, "no %s beside the dump" % f)
            mode = stat.S_IMODE(os.stat(p).st_mode)
            run.require(mode == 0o600, "%s is mode %o, expected 600" % (f, mode))

        def text(f):
            with open(os.path.join(top, f), errors="replace") as fh:
                return fh.read()
        run.require("Kernel panic - not syncing" in text("dmesg.txt"), "dmesg.txt has no dom0 panic line")
        run.require("Hardware Dom0 crashed" in text("xen-console.txt"), "xen-console.txt has not Xen's crash line")
        log = text("capture.log")
        run.require("xen-kdump-collect: Dump saved: " in log and "xen-kdump: action: reboot" in log,
                    "capture.log lacks the collector's and the script's lines: %r" % log[-600:])
        run.require(not os.path.exists(os.path.join(root, "etc", "default", "grub.d", "xen-kdump.cfg")),
                    "setup --dry-run wrote /etc/default/grub.d/xen-kdump.cfg")
        with open(os.path.join(root, "var", "lib", "dpkg", "status")) as fh:
            dpkg = fh.read()
        run.require(re.search(r"^Package: xen-kdump\nStatus: install ok installed$", dpkg, re.M),
                    "xen-kdump is not installed as a Debian package in the root fs")
