"""The crash report on a dom0 panic: Xen version, crashing CPU, dom0, consoles."""
import glob
import os
import re

import _domu
import _lazy
import _report
from _report import DOM0_BINARIES, CAPTURE_BINARIES, check_common  # noqa: F401
from xkdvm import checks, kdumpfile

DESCRIPTION = "xen-kdump load + collect; dom0 panics; report vs serial console"
CRASH = "dom0-panic"
ESSENTIAL = True

# A real dom0 page-cache page: dom0 writes a file (1 MiB of a marker assembled at
# run time, so its text is nowhere else) and drops nothing, so the page cache holds
# it at the crash.  The level-63 dump (cache pages excluded) must lack every marker
# page, a level-1 dump of the same vmcore (only zero pages excluded) must keep them,
# and the raw vmcore must hold them (pagescan), or nothing was tested.
# The writer must leave no copy of the marker in memory that level 63 rightly keeps:
# a pipe's pages, or the pages of a process that exited, which wait on per-CPU free
# lists that no filter can tell from used memory (seen: 219 such pages through
# `yes | head`, 1 through busybox cat's sendfile, 13 from the exited shell's heap).
# So a subshell builds the marker with builtins only (no fork, no pipe), writes the
# file with the builtin printf, and stays alive until the crash, blocked opening a
# FIFO: its copies stay in its anonymous memory, which level 63 excludes as user data.
pcache_marker = b"XKD-dom0-PCACHE\n"
pcache_pages = 256
DOM0_SCRIPT = _report.DOM0_SCRIPT + """
mkfifo /pcache-hold
(
	p=XKD
	v="$p-dom0-PCACHE
"
	i=0
	while [ $i -lt 8 ]; do v="$v$v"; i=$((i + 1)); done
	i=0
	while [ $i -lt %d ]; do printf '%%s' "$v"; i=$((i + 1)); done > /pcache-file
	: > /pcache-written
	read -r _ < /pcache-hold
) < /dev/null > /dev/null 2>&1 &
i=0
until [ -e /pcache-written ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { echo "the page-cache file was not written in 60 s"; exit 1; }
	sleep 0.1
done
[ "$(stat -c %%s /pcache-file)" = %d ] || { echo "the page-cache file is $(stat -c %%s /pcache-file) bytes"; exit 1; }
""" % (pcache_pages, pcache_pages * 4096)
CAPTURE_SCRIPT = _report.CAPTURE_SCRIPT + """
pagescan "$VMCORE" %s > /out/scan-raw.txt
cat /out/scan-raw.txt
rc=0
xen-kdump-collect --vmcore "$VMCORE" --output /out/collect-l1 --host vmhost --level 1 --quiet || rc=$?
echo "XKD-RESULT collect level 1 rc=$rc"
""" % pcache_marker.hex()


class _Pagescan(_lazy.LazyFiles):
    def _make(self):
        return {"/usr/sbin/pagescan": _domu._pagescan()}


CAPTURE_FILES = _Pagescan()


def _marker_pages(dump, level):
    """(pages wholly of the marker: the file's, pages holding it anywhere) in dump."""
    full = pcache_marker * (4096 // len(pcache_marker))
    whole = part = 0
    with kdumpfile.Kdump(dump) as kd:
        checks.require(not kd.incomplete, "%s says incomplete" % dump)
        checks.require(kd.dump_level == level, "%s applied level %d, expected %d" % (dump, kd.dump_level, level))
        for _pfn, data in kd.pages():
            if data and pcache_marker in data:
                part += 1
                whole += data == full
    return whole, part


def check_page_cache(run):
    """The file's pages are those wholly of the marker (page-aligned 4 KiB of it):
    a stray copy in a process's or the kernel's memory shares its page with other
    data (a malloc'd string starts after a chunk header).  Such strays are reported,
    not judged: level 63 rightly keeps the ones that are not page cache."""
    counts, _total = _domu.scan_counts(run)
    raw = counts.get(pcache_marker, (0, 0))[1]
    checks.require(raw >= pcache_pages, "the raw vmcore holds the page-cache marker in only %d pages "
                   "(dom0 wrote %d): nothing to test" % (raw, pcache_pages))
    found = {}
    for name, level in (("collect", 63), ("collect-l1", 1)):
        dumps = glob.glob(run.path(os.path.join(name, "vmhost-*", "vmcore")))
        checks.require(len(dumps) == 1, "expected one complete %s/vmhost-*/vmcore, found %s" % (name, dumps))
        found[level] = _marker_pages(dumps[0], level)
    checks.require(found[63][0] == 0, "the level-63 dump keeps %d of the %d pages of dom0's page-cache "
                   "file (raw vmcore: %d pages hold the marker)" % (found[63][0], pcache_pages, raw))
    checks.require(found[1][0] >= pcache_pages, "the level-1 dump keeps only %d of the %d pages of dom0's "
                   "page-cache file (raw vmcore: %d)" % (found[1][0], pcache_pages, raw))
    print("vm:   page-cache file pages: level 63 %d, level 1 %d (of %d); pages holding the marker "
          "anywhere: raw %d, level 63 %d, level 1 %d" % (found[63][0], found[1][0], pcache_pages,
                                                          raw, found[63][1], found[1][1]))


def check(run):
    check_page_cache(run)
    rep = check_common(run, "Hardware Dom0 crashed")
    log = rep["dom0"]["log_tail"]
    assert "sysrq" in log.lower(), "dom0's log tail does not show the sysrq crash"
    assert "sysrq triggered crash" in (rep["crash"]["dom0_panic"] or ""), "crash.dom0_panic %r" % rep["crash"]["dom0_panic"]
    # dom0's panicking vCPU (Linux CPU N = vCPU N on PV) is the one loaded on the crashing CPU.
    m = re.findall(r"CPU: (\d+) PID: \d+ Comm:", run.serial)
    assert m, "dom0 printed no 'CPU: N PID:' line"
    cpu = rep["crash"]["crashing_cpu"]
    assert rep["cpus"][cpu]["running"] == "d0v" + m[-1], "CPU%d ran %r, dom0 panicked on vCPU %s" % (
        cpu, rep["cpus"][cpu]["running"], m[-1])
