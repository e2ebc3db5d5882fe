"""A running PV domU under Debian 13's Xen 4.20 (trixie's toolstack: xl, xenstored,
xenconsoled from xen-utils-4.20 and xenstore-utils, unpacked from their .debs with
their libraries from the trixie sysroot), dom0 Linux 6.12, which panics.  The
capture kernel scans the raw /proc/vmcore for the markers (pagescan), then
xen-kdump-collect --level 63 (and --level 1 of the same vmcore).  On the host:
dom0's printk marker is in the level-63 dump, none of the domU's ~65k marker pages
are, and dom0's page-cache file (collect-dom0-panic's, 256 pages) is excluded at
level 63 yet kept at level 1 (so the pages were really there to exclude)."""
import importlib.util
import os

import _domu
import _lazy
import _report
from _trixie import DISTRO, check_versions  # noqa: F401
from xkdvm import distro, scenario

_spec = importlib.util.spec_from_file_location("collect_dom0_panic", scenario.path_of("collect-dom0-panic"))
_pc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pc)

DESCRIPTION = ("trixie (Xen 4.20, Linux 6.12) toolstack + running 512 MiB PV domU; collect --level 63 keeps "
               "dom0's marker, drops the domU's and a dom0 page-cache file")
CRASH = "dom0-panic"
MEMORY_MB = 3072
DOM0_MEM = "768M"
TIMEOUTS = {"load_done": 900, "capture_done": 1200, "TOTAL": 2400}

xen_bin = "/usr/lib/xen-4.20/bin"
DOM0_BINARIES = []
CAPTURE_BINARIES = _report.CAPTURE_BINARIES

# _domu's setup speaks of Debian 12's /usr/lib/xen-4.17/bin; trixie's is xen-4.20.
_setup = _domu.DOM0_SETUP.replace(_domu.XEN_BIN, xen_bin)
assert xen_bin in _setup and _domu.XEN_BIN not in _setup
# The page-cache file is written (and held) before the domU fills its memory.
_pcache = _pc.DOM0_SCRIPT[len(_report.DOM0_SCRIPT):]
assert _pc.DOM0_SCRIPT.startswith(_report.DOM0_SCRIPT) and "/pcache-file" in _pcache
DOM0_SCRIPT = _setup + _pcache + ("""
domu domu-r R %d
filled domu-r 800
xl list
dom0_marker
""" % _domu.DOMU_MB)

CAPTURE_SCRIPT = _domu.capture_script(["R"]) + """
pagescan "$VMCORE" %s > /out/scan-pcache.txt
cat /out/scan-pcache.txt >> /out/scan-raw.txt
rc=0
xen-kdump-collect --vmcore "$VMCORE" --output /out/collect-l1 --host vmhost --level 1 --quiet || rc=$?
echo "XKD-RESULT collect level 1 rc=$rc"
""" % _pc.pcache_marker.hex()


class _Toolstack(_lazy.LazyFiles):
    """dom0: trixie's toolstack, the domU modules of trixie's kernel, the domU initramfs."""

    def _make(self):
        p = distro.profile(DISTRO)
        kernel = distro.kernel(p)
        utils, store = distro.unpacked(p, "xen-utils-4.20"), distro.unpacked(p, "xenstore-utils")
        files = {xen_bin + "/" + b: os.path.join(utils, xen_bin.lstrip("/"), b)
                 for b in ("xl", "xenstored", "xenconsoled", "xen-init-dom0")}
        # xenstore-* are one program that looks at its name.
        for b in ("xenstore-read", "xenstore-write", "xenstore-ls"):
            files["/usr/bin/" + b] = os.path.join(store, "usr", "bin", "xenstore")
        order = _domu.initramfs.module_order(kernel.moddir, _domu.DOMU_MODULES)
        files.update({_domu.MODULE_DIR + "/" + os.path.basename(rel): os.path.join(kernel.moddir, rel)
                      for rel in order})
        files[_domu.MODULE_DIR + "/order"] = _domu._order_file(order)
        files[_domu.DOMU_INITRD] = _domu._domu_initrd()
        # glibc dlopens it for pthread_cancel (xl's event threads).
        lib = "usr/lib/x86_64-linux-gnu/libgcc_s.so.1"
        files["/" + lib] = os.path.join(distro.root(p), lib)
        return files


class _Capture(_lazy.LazyFiles):
    def _make(self):
        return {"/usr/sbin/pagescan": _domu._pagescan()}


DOM0_FILES = _Toolstack()
CAPTURE_FILES = _Capture()


def check(run):
    check_versions(run)
    _dump, measure = _domu.check_domus(run, running=["R"])
    _pc.check_page_cache(run)
    print("vm:   trixie-collect-domu: %s" % measure)
