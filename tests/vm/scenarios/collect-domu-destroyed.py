"""One PV domU runs and another has just been destroyed (its freed pages
still dirty with its marker: dom0 keeps both physical CPUs busy so Xen's idle
loop cannot scrub them) when dom0 panics.  The level-63 dump keeps dom0's
marker and neither domU's; in the same capture kernel, on the same vmcore,
makedumpfile -c -X -d 31 is timed for the issue's bar (ours <= 0.5x its bytes)."""
import _domu
from _domu import DOM0_BINARIES, DOM0_FILES, CAPTURE_BINARIES, CAPTURE_FILES  # noqa: F401
from xkdvm import checks, kdumpfile

DESCRIPTION = "running + just-destroyed 512 MiB PV domUs; level 63 drops both markers; vs makedumpfile -c -X -d 31"
CRASH = "dom0-panic"
MEMORY_MB = 3072
DOM0_MEM = "768M"
TIMEOUTS = {"load_done": 1200, "capture_done": 1200, "TOTAL": 2700}

DOM0_SCRIPT = _domu.DOM0_SETUP + ("""
domu domu-r R %d
domu domu-d D %d
filled domu-r 1000
filled domu-d 1000
# Busy dom0 vCPUs leave Xen no idle time, so the destroyed domU's freed pages
# stay unscrubbed until the crash.  (Not on dom0.log's pipe: tee would wait for them.)
for i in 1 2; do (while :; do :; done) </dev/null >/dev/null 2>&1 & done
xl destroy domu-d
xl list
dom0_marker
""" % (_domu.DOMU_MB, _domu.DOMU_MB))

CAPTURE_SCRIPT = _domu.capture_script(["R", "D"], makedumpfile=True)


def check(run):
    dump, measure = _domu.check_domus(run, running=["R"], destroyed=["D"])
    mk = measure.get("mkdf-c-d31")
    checks.require(mk and mk.get("bytes"), "makedumpfile -c -X -d 31 wrote nothing (makedumpfile-c-d31.log)")
    measure["bytes_vs_makedumpfile"] = round(measure["dump_bytes"] / mk["bytes"], 3)
    # Where makedumpfile's extra bytes come from: the same reader over its (zlib) dump.
    with kdumpfile.Kdump(run.path("mkdf-c-d31")) as kd:
        got = kd.count([_domu.DOM0_MARKER] + [_domu.domu_marker(t) for t in "RD"])
        mk["pages"] = sum(1 for _ in kd.dumped_pfns())
    mk["marker_pages"] = {m.decode(): v[1] for m, v in got.items()}
    _domu.save_measure(run, measure)
    print("vm:   collect-domu-destroyed: %s" % measure)
