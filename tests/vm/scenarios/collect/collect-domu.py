"""A PV domU runs at crash time: dom0's marker is in the level-63 dump, the
domU's is not (though the raw vmcore holds ~97.5k pages of it); crash opens the
dump for dom0 (sys, bt, log).  collect-domu-destroyed (essential) proves all of
this in its own boot, plus a just-destroyed domU, so make check skips this one."""
import _domu
from _domu import DOM0_BINARIES, DOM0_FILES, CAPTURE_BINARIES, CAPTURE_FILES  # noqa: F401

DESCRIPTION = "toolstack + running 512 MiB PV domU; collect --level 63 keeps dom0's marker, drops the domU's; crash opens it"
CRASH = "dom0-panic"
MEMORY_MB = 3072
DOM0_MEM = "768M"
TIMEOUTS = {"load_done": 900, "capture_done": 900, "TOTAL": 2100}

DOM0_SCRIPT = _domu.DOM0_SETUP + ("""
domu domu-r R %d
filled domu-r 800
xl list
dom0_marker
""" % _domu.DOMU_MB)

CAPTURE_SCRIPT = _domu.capture_script(["R"])


def check(run):
    dump, measure = _domu.check_domus(run, running=["R"])
    measure["crash_seconds"] = _domu.check_crash_opens(run, dump)
    _domu.save_measure(run, measure)
    print("vm:   collect-domu: %s" % measure)
