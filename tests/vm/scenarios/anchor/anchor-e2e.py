"""The end-to-end anchor of make bench: kexec-tools loads Debian's kernel, dom0
panics, and makedumpfile saves the dump the way Debian's kdump-tools does
(-c: zlib, -d 31: no zero, cache, user or free pages, -X: Xen's own filter).
bench/run sets the crash-to-dump-saved time of each appliance against this one.

kexec-tools puts no dom0 VMCOREINFO in a Xen dump, so makedumpfile alone
refuses -d 31 ("/proc/vmcore doesn't contain vmcoreinfo"); the anchor gets its
best case: dom0's VMCOREINFO made on the host from the debug vmlinux
(makedumpfile -g, ~860 MB download once) and passed with -i."""
import os
import subprocess

import _lazy
from _anchor import CRASHKERNEL, DOM0_BINARIES, CAPTURE_BINARIES, DOM0_SCRIPT  # noqa: F401
from xkdvm import cache, checks

DESCRIPTION = "kexec -p + makedumpfile -c -X -d 31; dom0 panics with sysrq c (the bench's end-to-end anchor)"
CRASH = "dom0-panic"

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
makedumpfile -c -X -d 31 -i /etc/xkd/dom0-vmcoreinfo "$VMCORE" "$DUMP"
ls -l "$DUMP"
"""


class _Vmcoreinfo(_lazy.LazyFiles):
    def _make(self):
        version = cache.kernel().version
        out = os.path.join(cache.root(), "dbg", "vmcoreinfo-%s" % version)
        if not os.path.exists(out):
            p = subprocess.run(["makedumpfile", "-g", out + ".new", "-x", cache.debug_vmlinux(version)],
                               cwd="/tmp", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if p.returncode != 0:
                raise RuntimeError("makedumpfile -g failed: %s" % p.stdout[-400:])
            os.rename(out + ".new", out)
        return {"/etc/xkd/dom0-vmcoreinfo": out}


CAPTURE_FILES = _Vmcoreinfo()


def check(run):
    checks.xen_notes(run)
    checks.dump_written(run, "dump", min_bytes=1 << 20, elf=False)
    with open(run.path("dump"), "rb") as f:
        checks.require(f.read(8) == b"KDUMP   ", "makedumpfile -c did not write a kdump-compressed file")
    checks.require("elfcorehdr=" in run.text("capture-cmdline"),
                   "kexec-tools put no elfcorehdr= on the capture command line")
