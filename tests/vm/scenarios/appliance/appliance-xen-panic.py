"""appliance-local's cycle on the real Debian 12 dom0, but the crash is the
hypervisor's own: Xen boots with nmi=fatal, dom0 loads at boot and says
ready, the harness sends an NMI from the QEMU monitor and Xen panics on it
(NMI received for unknown reason -> FATAL TRAP -> Panic on CPU 0 -> kexec).
The dracut capture image saves to /var/crash and reboots; the second boot
finds a report that names the Xen panic, and check() holds that report
against what Xen printed on the serial console: its version, the panic
text, the CPU that panicked and ran the kexec image, and the crash time.
"""
import json
import os
import re

import _debian

DESCRIPTION = "Debian 12 systemd dom0: service loads at boot, Xen panics on an NMI, capture to /var/crash, reboot, report names the Xen panic"
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = "xen-panic"
XEN_ARGS = "console_timestamps=boot"
CRASHKERNEL = "512M"
TIMEOUTS = _debian.TIMEOUTS

_report_check = r"""grep -q '^Dump: vmcore .*: complete$' "$d/report.txt" && grep -q 'Xen panic' "$d/report.txt" ||
	{ sync; umount $OUT; say "XKD-FAIL $d/report.txt does not say complete and Xen panic"; exit 1; }
say "$(grep -i -E 'panic|cpu' "$d/report.txt" | head -n 8 | sed 's/^/xkd-vm: report: /')"
"""
_config = """# appliance-xen-panic (tests/vm): the defaults but for the harness's hooks.
""" + _debian.CONFIG_HEAD + """target path /var/crash
final_action reboot
""" + _debian.CONFIG_HOOKS
ROOTFS_SCRIPT = _debian.rootfs_script(_config, _debian.test_script(True, _report_check, crash=CRASH))

# "(XEN) [ts] Panic on CPU N:" then the reason on the next Xen line.
_panic_line = re.compile(r"\(XEN\) \[[^\]]*\] Panic on CPU (\d+):\n(?:\[[^\]]*\] )?\(XEN\) \[[^\]]*\] ([^\n]*)")


def check(run):
    run.require("xen-kdump-collect: Dump saved: " in run.serial,
                "the default engine (xen-kdump-collect) never said it saved the dump (see serial.log)")
    _debian.check_boots(run)
    d = _debian.check_local_dump(run)
    serial = run.serial
    panics = _panic_line.findall(serial)
    run.require(panics, "Xen printed no timestamped 'Panic on CPU N:' on the serial console")
    panic_cpu, reason = int(panics[-1][0]), panics[-1][1].strip()
    kexec = re.findall(r"\(XEN\) \[([^\]]+)\] Executing kexec image on cpu(\d+)", serial)
    run.require(kexec, "Xen did not print 'Executing kexec image on cpuN'")
    version = re.search(r"\(XEN\) (?:\[[^\]]*\] )?Xen version (\d+\.\d+\S*) \(", serial)
    run.require(version, "Xen printed no version line on the serial console")
    with run.rootfs() as root:
        with open(os.path.join(root, "var", "crash", d, "report.json")) as f:
            rep = json.load(f)
        with open(os.path.join(root, "var", "crash", d, "report.txt"), errors="replace") as f:
            txt = f.read()
    with open(run.path("report.json"), "w") as f:  # for the reader of a failed run
        json.dump(rep, f, indent=1)
    crash = rep.get("crash") or {}
    run.require((rep.get("xen") or {}).get("version") == version.group(1),
                "report says Xen %r, the console said %r" % ((rep.get("xen") or {}).get("version"), version.group(1)))
    run.require(crash.get("reason") == "Xen panic: " + reason,
                "report's crash.reason %r, Xen's console: Panic on CPU %d: %r" % (crash.get("reason"), panic_cpu, reason))
    run.require(crash.get("crashing_cpu") == panic_cpu == int(kexec[-1][1]),
                "report says crashing CPU %r; Xen panicked on CPU %d and ran kexec on cpu%s (%r)"
                % (crash.get("crashing_cpu"), panic_cpu, kexec[-1][1], (rep.get("missing") or {}).get("crash.crashing_cpu")))
    run.require(crash.get("time") == kexec[-1][0].strip(),
                "report's crash.time %r, Xen's kexec line at %r" % (crash.get("time"), kexec[-1][0]))
    run.require(("Xen panic: " + reason) in txt, "report.txt does not name the Xen panic %r" % reason)
