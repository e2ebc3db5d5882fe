"""xen-kdump list / info / debug on the host, on a dump a real capture saved.

dom0 panics, the capture kernel saves with xen-kdump-collect into
collect/vmhost-*; then, on the host, `xen-kdump list` must show that one dump
COMPLETE with what the serial console said (dom0, Xen's version, the crashing
CPU), `info` its report, and `debug` open it in Debian's crash with dom0's
debug vmlinux (when $XKD_CACHE/dbg holds the one for this kernel).  A copy
cut short must come out INCOMPLETE and be refused by debug."""
import json
import os
import re
import shutil
import subprocess

from xkdvm import cache, checks, images
from _report import DOM0_SCRIPT, check_common  # noqa: F401

DESCRIPTION = "dom0 panics; collect; host-side xen-kdump list/info/debug (crash) on the saved dump"
CRASH = "dom0-panic"
DOM0_BINARIES = []
CAPTURE_BINARIES = []
CAPTURE_SCRIPT = """
export TMPDIR=/tmp
rc=0
xen-kdump-collect --vmcore "$VMCORE" --output /out/collect --host vmhost --quiet || rc=$?
echo "XKD-RESULT collect rc=$rc"
"""


def xkd(run, *args, input=None):
    p = subprocess.run([os.path.join(images.BUILD, "xen-kdump")] + list(args), input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    with open(run.path("dumplist.txt"), "a") as f:
        f.write("$ xen-kdump %s\n%s(exit %d)\n" % (" ".join(args), p.stdout, p.returncode))
    os.chmod(run.path("dumplist.txt"), 0o600)
    return p.returncode, p.stdout


def check(run):
    rep = check_common(run, "Hardware Dom0 crashed")
    top = run.path("collect")
    m = re.search(r"Linux version (\S+)", run.serial)
    checks.require(m, "dom0 printed no 'Linux version' line")
    release = m.group(1)

    rc, out = xkd(run, "list", "--dir", top, "--json")
    checks.require(rc == 0, "list --json exited %d: %s" % (rc, out.strip()[-300:]))
    dumps = json.loads(out)["dumps"]
    checks.require(len(dumps) == 1, "list shows %d dumps, the capture saved 1" % len(dumps))
    d = dumps[0]
    checks.require(d["state"] == "COMPLETE" and d["complete"], "list says %s: %s" % (d["state"], d["incomplete_reason"]))
    checks.require(d["what"] == "dom0", "list says %r crashed, Xen said its dom0 did" % d["what"])
    checks.require(d["xen_version"] == rep["xen"]["version"], "list says Xen %r" % d["xen_version"])
    checks.require(d["crashing_cpu"] == rep["crash"]["crashing_cpu"], "list says CPU %r" % d["crashing_cpu"])
    checks.require(d["dom0_release"] == release, "list says dom0 ran %r, it booted %r" % (d["dom0_release"], release))
    checks.require(d["format"] == "kdump-zstd" and d["file"] == "vmcore", "list says %s %s" % (d["format"], d["file"]))
    checks.require(d["size"] == os.path.getsize(os.path.join(d["path"], "vmcore")), "list's size is not the file's")

    rc, out = xkd(run, "list", "--dir", top)
    lines = out.splitlines()
    checks.require(rc == 0 and len(lines) == 2, "list printed %r" % out)
    checks.require(re.match(r"\s+1\s+\S+ \S+\s+dom0\s+%s\s+%d\s+\S+\s+kdump-zstd\s+COMPLETE\s+%s$"
                            % (re.escape(d["xen_version"]), d["crashing_cpu"], re.escape(d["name"])), lines[1]),
                   "list's line %r" % lines[1])
    rc, out = xkd(run, "info", "--dir", top, "1")
    checks.require(rc == 0 and "State:        COMPLETE" in out and "Xen crash report" in out,
                   "info: %s" % out[:300])

    # A copy cut short: INCOMPLETE, and debug will not open it.
    cut = run.path("collect-cut")
    shutil.rmtree(cut, ignore_errors=True)
    os.mkdir(cut, 0o700)
    shutil.copytree(d["path"], os.path.join(cut, d["name"]))
    core = os.path.join(cut, d["name"], "vmcore")
    os.truncate(core, os.path.getsize(core) // 2)
    rc, out = xkd(run, "list", "--dir", cut, "--json")
    c = json.loads(out)["dumps"][0]
    checks.require(c["state"] == "INCOMPLETE", "a vmcore cut in half is %s" % c["state"])
    rc, out = xkd(run, "debug", "--dir", cut, "--vmlinux", "/dev/null")
    checks.require(rc == 1 and "--force" in out, "debug on the cut copy: exit %d %r" % (rc, out))
    shutil.rmtree(cut)

    vmlinux = os.path.join(cache.root(), "dbg", "usr", "lib", "debug", "boot", "vmlinux-" + release)
    if not os.path.exists(vmlinux) or not shutil.which("crash"):
        print("dumplist: no %s or no crash: debug not exercised" % vmlinux)
        return
    rc, out = xkd(run, "debug", "--dir", top, "--vmlinux", vmlinux, "latest", "--", "-s", "--no_scroll",
                  input="sys\nbt\nquit\n")
    checks.require('PANIC: "Kernel panic - not syncing: sysrq triggered crash"' in out,
                   "crash via xen-kdump debug does not show the sysrq panic: %s" % out.strip()[-300:])
    checks.require("RELEASE: " + release in out, "crash names another release")
    checks.require(re.search(r"#0 \[[0-9a-f]+\] \S+ at [0-9a-f]+", out) and "sysrq_handle_crash" in out,
                   "crash's bt through xen-kdump debug shows no sysrq_handle_crash frame")
