"""One PV domU runs and another has just been destroyed (its freed pages
still dirty with its marker: dom0 keeps both physical CPUs busy so Xen's idle
loop cannot scrub them) when dom0 panics.  The level-63 dump keeps dom0's
marker and neither domU's; in the same capture kernel, on the same vmcore,
makedumpfile -c -X -d 31 is timed for the issue's bar (ours <= 0.5x its bytes),
and Debian's crash opens the dump for dom0 (sys, bt, log).  The only end-to-end
proof that Xen's free pages are excluded; it also proves what collect-domu does
(a running domU dropped, crash opens it), so make check plays only this one."""
import _domu
from _domu import DOM0_BINARIES, DOM0_FILES, CAPTURE_BINARIES, CAPTURE_FILES  # noqa: F401

DESCRIPTION = "running + just-destroyed 512 MiB PV domUs; level 63 drops both markers; vs makedumpfile -c -X -d 31"
CRASH = "dom0-panic"
ESSENTIAL = True
MEMORY_MB = 3072
DOM0_MEM = "768M"
TIMEOUTS = {"load_done": 1200, "capture_done": 1200, "TOTAL": 2700}

DOM0_SCRIPT = _domu.destroyed_script(_domu.DOMU_MB)
CAPTURE_SCRIPT = _domu.capture_script(["R", "D"], makedumpfile=True)


def check(run):
    dump = _domu.check_destroyed(run, _domu.DOMU_MB)
    secs = _domu.check_crash_opens(run, dump)
    print("vm:   crash opened the level-63 dump in %.1f s" % secs)
