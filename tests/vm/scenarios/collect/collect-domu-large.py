"""The bench's large case: a 5 GiB host (vmcore > 4 GiB) with a running and a
just-destroyed 1536 MiB PV domU; the same assertions and makedumpfile
comparison as collect-domu-destroyed.  ~160 s a run under TCG: --all only."""
import _domu
from _domu import DOM0_BINARIES, DOM0_FILES, CAPTURE_BINARIES, CAPTURE_FILES  # noqa: F401

domu_mb = 1536
DESCRIPTION = "5 GiB host, running + just-destroyed 1536 MiB PV domUs; level 63 vs makedumpfile -c -X -d 31"
CRASH = "dom0-panic"
MEMORY_MB = 5120
DOM0_MEM = "768M"
TIMEOUTS = {"load_done": 1800, "capture_done": 1800, "TOTAL": 3900}

DOM0_SCRIPT = _domu.destroyed_script(domu_mb)
CAPTURE_SCRIPT = _domu.capture_script(["R", "D"], makedumpfile=True)


def check(run):
    _domu.check_destroyed(run, domu_mb)
