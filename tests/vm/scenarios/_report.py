"""Shared by the report-* scenarios: xen-kdump load arms the crash image, the
capture kernel runs xen-kdump-collect (report + dump) and also saves an ELF
dump (makedumpfile -E -X -d 1) so the reader can be re-run on the host.  The
checks hold the crash report against what Xen printed on the serial console."""
import glob
import json
import os
import re

from xkdvm import checks

DOM0_BINARIES = []
CAPTURE_BINARIES = ["/usr/bin/makedumpfile"]

DOM0_SCRIPT = """
xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"
echo "dom0 marker: xen-kdump report scenario" > /dev/kmsg
"""

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
rc=0
# The collector must make its files 0600 and its directory 0700 itself, whatever the umask.
umask 022
xen-kdump-collect --vmcore "$VMCORE" --output /out/collect --host vmhost --quiet || rc=$?
echo "XKD-RESULT collect rc=$rc"
# The modes as the collector left them: the harness later chmods every output 0600.
for f in /out/collect/*/ /out/collect/*/*; do [ -e "$f" ] && stat -c '%a %F %n' "$f"; done > /out/collect-modes.txt
makedumpfile -E -X -d 1 "$VMCORE" "$DUMP" > /out/makedumpfile.log 2>&1 || echo "makedumpfile rc=$?"
ls -lR /out/collect
"""


def collector_modes(run):
    """{path in the capture kernel: (octal mode, type)} of what xen-kdump-collect
    wrote, as stat saw it there (collect-modes.txt), before the harness's chmod."""
    checks.require(run.exists("collect-modes.txt"), "the capture kernel saved no collect-modes.txt")
    modes = {}
    for line in run.text("collect-modes.txt").splitlines():
        mode, rest = line.split(" ", 1)
        kind, path = rest.rsplit(" ", 1)
        modes[path.rstrip("/")] = (mode, kind)
    return modes


def report(run):
    found = sorted(glob.glob(os.path.join(run.out, "collect", "vmhost-*", "report.json")))
    checks.require(found, "xen-kdump-collect wrote no report.json under collect/vmhost-*/")
    guest = "/out/" + os.path.relpath(found[-1], run.out)
    modes = collector_modes(run)
    checks.require(guest in modes, "collect-modes.txt does not list %s: %s" % (guest, sorted(modes)))
    checks.require(modes[guest][0] == "600", "report.json mode %s as the collector wrote it, want 600"
                   % modes[guest][0])
    for path, (mode, kind) in sorted(modes.items()):
        want = "700" if kind == "directory" else "600"
        checks.require(mode == want, "%s (%s) mode %s as the collector wrote it, want %s (umask 022)"
                       % (path, kind, mode, want))
    with open(found[-1]) as f:
        return json.load(f)


def check_common(run, crash_message):
    rep = report(run)
    serial = run.serial
    m = re.search(r"\(XEN\) (?:\[[^\]]*\] )?Xen version (\d+\.\d+)(\S*) \(", serial)
    checks.require(m, "Xen printed no version line on the serial console")
    want = m.group(1) + m.group(2)
    got = (rep.get("xen") or {}).get("version")
    checks.require(got == want, "report says Xen %r, the console said %r" % (got, want))
    cpus = re.findall(r"Executing kexec image on cpu(\d+)", serial)
    checks.require(cpus, "Xen did not print 'Executing kexec image on cpuN'")
    crash = rep["crash"]
    checks.require(crash["crashing_cpu"] == int(cpus[-1]),
                   "report says crashing CPU %r, Xen said cpu%s (%r)" % (crash["crashing_cpu"], cpus[-1],
                                                                        rep["missing"].get("crash.crashing_cpu")))
    flags = [c["crashing"] for c in rep["cpus"]]
    checks.require(flags.count(True) == 1 and flags[int(cpus[-1])], "cpus[].crashing marks %r" % flags)
    running = [c.get("running") for c in rep["cpus"]]
    checks.require(all(running), "cpus[].running %r (%r)" % (running, rep["missing"].get("cpus.running")))
    ids = [d["id"] for d in rep["domains"]]
    checks.require(0 in ids, "dom0 is not in the report's domain list %r (%r)" % (ids, rep["missing"].get("domains")))
    tail = rep.get("xen_console_tail") or ""
    checks.require(crash_message in tail, "Xen's console tail lacks %r: ...%r" % (crash_message, tail[-300:]))
    checks.require("Executing kexec image on cpu" + cpus[-1] in tail, "console tail lacks the kexec line")
    log = (rep.get("dom0") or {}).get("log_tail") or ""
    checks.require("dom0 marker: xen-kdump report scenario" in log,
                   "dom0's log tail lacks the marker dom0 wrote (%r)" % rep["missing"].get("dom0.log_tail"))
    return rep
