"""Shared by the crash-region size scenarios: capture with a given capture
kernel in a crash region of XKD_CRASHKERNEL (default per scenario), using our
loader and our collector, and record what the capture kernel had to spare.
crashkernel/find-min-vm bisects XKD_CRASHKERNEL over these scenarios."""
import os
import subprocess

from xkdvm import checks

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def minimal_kernel():
    """The cached bzImage of crashkernel/ (make crashkernel), or None."""
    r = subprocess.run([os.path.join(REPO, "crashkernel", "build"), "--path"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def dom0_script(kernel_var):
    # crashkernel/find-min-vm sets XKD_FIND_MIN=1: load must then not refuse on
    # the estimate, so that the search sees what really fails.
    unchecked = "export XKD_LOAD_UNCHECKED_RUNTIME=1\n" if os.environ.get("XKD_FIND_MIN") == "1" else ""
    return unchecked + """
[ -e "%(k)s" ] || { echo "XKD-FAIL no minimal capture kernel: run 'make crashkernel' first"; exit 1; }
xen-kdump estimate --kernel "%(k)s" --initrd "$CAPTURE_INITRD" > /out/estimate.txt 2>&1 || true
cat /out/estimate.txt
xen-kdump -v load --kernel "%(k)s" --initrd "$CAPTURE_INITRD"
""" % dict(k=kernel_var)


CAPTURE_SCRIPT = """
uname -r > /out/capture-release
grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tee /out/meminfo-init
if [ -x /usr/sbin/xen-kdump-collect ]; then
	rc=0
	time -v xen-kdump-collect --output /out --level 1 --quiet > /out/collect.log 2> /out/collect.time || rc=$?
	cat /out/collect.log /out/collect.time
	echo "XKD-RESULT collect rc=$rc"
	[ "$rc" = 0 ] || echo "XKD-FAIL xen-kdump-collect exited $rc"
	# the harness and bench count /out/dump*
	for d in /out/*/vmcore; do [ -e "$d" ] && ln "$d" /out/dump 2>/dev/null || cp "$d" /out/dump; break; done
else
	echo "XKD-FAIL build/xen-kdump-collect is not built (make all)"
fi
grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tee /out/meminfo-done
"""


def check(run):
    checks.xen_notes(run)
    time_log = run.text("collect.time")
    checks.require("Maximum resident set size" in time_log,
                   "no peak RSS for the collector: %s" % time_log[-500:])
    dumps = [d for d in os.listdir(run.out) if os.path.isdir(os.path.join(run.out, d))
             and os.path.exists(os.path.join(run.out, d, "vmcore"))]
    checks.require(dumps, "the collector left no finished vmcore in %s" % run.out)
    checks.require(not any(os.path.exists(os.path.join(run.out, d, "INCOMPLETE")) for d in dumps),
                   "a dump is still marked INCOMPLETE")
    checks.dump_written(run, "dump", elf=False)
    with open(run.path("dump"), "rb") as f:
        checks.require(f.read(8) == b"KDUMP   ", "the collector's dump is not kdump-compressed")
