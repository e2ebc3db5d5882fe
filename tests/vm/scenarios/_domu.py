"""Shared by the collect-domu* scenarios: dom0 runs Debian's Xen toolstack
(xenstored, xenconsoled, xl from xen-utils-4.17), starts small PV domUs that
fill their memory with a marker, writes its own marker into its kernel log,
and panics.  The capture kernel counts both markers in the raw /proc/vmcore
(tools/pagescan.c), then runs xen-kdump-collect --level 63.  On the host, an
independent reader (xkdvm/kdumpfile.py) decompresses every page of the saved
dump: dom0's marker must be there, no domU's; and Debian's crash opens it with
dom0's debug vmlinux (sys, bt, log).

Markers are assembled at run time from pieces (in the domU's /init, in dom0's
script) and handed to the scanner in hex, so their text exists only where the
test puts it: in a domU's tmpfs, in dom0's printk ring.  Otherwise dom0's copy
of a script (kept at level 63 unless identified as page cache) could hold a
domU marker and fail the test for the wrong reason.

On the host, before the VM lock (lazily, when the harness first reads the
scenario's files): pagescan is built static, the domU initramfs is built, the
xen-gntdev module is taken from the cached kernel, and dom0's debug vmlinux is
fetched (apt-get download linux-image-VERSION-dbg, ~860 MB, ~20 s here, once).

XKD_DOMU_SAVE_RAW=1 also copies the raw /proc/vmcore to the share as
vmcore-raw (~3 GB) for `bench/collect tests/vm/out/NAME/vmcore-raw`.
"""
import hashlib
import json
import os
import re
import subprocess
import time

from xkdvm import cache, checks, initramfs, kdumpfile

import _lazy

HERE = os.path.dirname(os.path.abspath(__file__))
PAGESCAN_SRC = os.path.join(os.path.dirname(HERE), "tools", "pagescan.c")
XEN_BIN = "/usr/lib/xen-4.17/bin"

DOM0_MARKER = b"XKD-dom0-KMSG-K"
# One per domU tag: the domU with xkdtag=T fills with b"XKD-domU-FILL-" + T
# plus a newline (16 bytes, so a page holds 256 whole copies).


def domu_marker(tag):
    return b"XKD-domU-FILL-" + tag.encode()


DOMU_INITRD = "/boot/domu-initrd.img"
DOMU_MB = 512  # each domU's memory (the scenarios' `domu NAME TAG 512`)
MODULE_DIR = "/lib/xkd-domu"
DOMU_MODULES = ("xen-gntdev", "xen-gntalloc")
LIBGCC = "/lib/x86_64-linux-gnu/libgcc_s.so.1"

DOM0_BINARIES = [XEN_BIN + "/" + b for b in ("xl", "xenstored", "xenconsoled", "xen-init-dom0")] + [
    "/usr/bin/xenstore-read", "/usr/bin/xenstore-write", "/usr/bin/xenstore-ls"]

# The domU's /init: fill all but a margin of its memory with its marker, say so
# on its console (xenconsoled logs it to the 9p share), sleep.
DOMU_INIT = r"""#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
tag=$(sed -n 's/.*xkdtag=\([A-Za-z0-9]*\).*/\1/p' /proc/cmdline)
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
mb=$((avail - 48))
echo "XKD-DOMU start tag $tag available $avail MiB, filling $mb MiB at $(cut -d' ' -f1 /proc/uptime) s"
mkdir -p /fill
mount -t tmpfs -o size=${mb}m tmpfs /fill
p=XKD
# 1, 8 and 64 MiB seeds, then whole seeds appended: cat copies in the kernel
# (sendfile), ~10x faster than piping yes into the file under PV + TCG.
yes "$p-domU-FILL-$tag" | head -c 1048576 > /fill/s1
cat /fill/s1 /fill/s1 /fill/s1 /fill/s1 /fill/s1 /fill/s1 /fill/s1 /fill/s1 > /fill/s8
cat /fill/s8 /fill/s8 /fill/s8 /fill/s8 /fill/s8 /fill/s8 /fill/s8 /fill/s8 > /fill/s64
: > /fill/marker
left=$((mb - 73))
while [ $left -ge 64 ]; do cat /fill/s64 >> /fill/marker; left=$((left - 64)); done
while [ $left -ge 1 ]; do cat /fill/s1 >> /fill/marker; left=$((left - 1)); done
echo "XKD-DOMU filled $(du -sm /fill | cut -f1) MiB at $(cut -d' ' -f1 /proc/uptime) s"
grep -E '^(MemFree|Shmem):' /proc/meminfo
while :; do sleep 3600; done
"""

DOM0_SETUP = r"""
export PATH=$PATH:/usr/lib/xen-4.17/bin
for m in $(cat /lib/xkd-domu/order); do insmod "/lib/xkd-domu/$m"; done
# xenconsoled gives each domU console a pty; xl create waits for it.
grep -q " /dev/pts " /proc/mounts || mount -t devpts devpts /dev/pts
mkdir -p /var/run/xenstored /var/lib/xenstored /var/lib/xen /var/log/xen /var/run/xen /var/lock /etc/xen \
	/out/domu-console
echo 'autoballoon="off"' > /etc/xen/xl.conf
t0=$(cut -d' ' -f1 /proc/uptime)
XENSTORED_ROOTDIR=/var/run/xenstored xenstored --pid-file /var/run/xenstore.pid
i=0
until xenstore-read -s / >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 600 ] || { echo "xenstored did not answer within 60 s"; exit 1; }
	sleep 0.1
done
xen-init-dom0
xenconsoled --log=guest --log-dir=/out/domu-console --pid-file=/var/run/xenconsoled.pid
echo "XKD-TIMING toolstack $(awk -v t0=$t0 '{ printf "%.2f", $1 - t0 }' /proc/uptime)"
xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"

# domu NAME TAG MiB: a PV domU booting Debian's kernel with the fill initramfs.
domu() {
	cat > /etc/xen/$1.cfg <<EOF
name = "$1"
type = "pv"
kernel = "$CAPTURE_KERNEL"
ramdisk = "/boot/domu-initrd.img"
extra = "console=hvc0 loglevel=4 rdinit=/init xkdtag=$2"
memory = $3
vcpus = 1
on_crash = "preserve"
EOF
	xl create /etc/xen/$1.cfg
}
# filled NAME SECONDS: wait for the domU's "filled" line in its console log.
filled() {
	i=0
	until grep -q "XKD-DOMU filled" /out/domu-console/guest-$1.log 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $(($2 * 2)) ] || ! xl list $1 >/dev/null 2>&1; then
			echo "domU $1 did not fill its memory within $2 s"; xl list || true
			cat /out/domu-console/guest-$1.log 2>/dev/null | tail -20; exit 1
		fi
		sleep 0.5 || echo "sleep failed ($?)"  # seen once: busybox died of SIGSEGV here (5 GiB host)
	done
	echo "XKD-TIMING $1-filled $(awk -v t0=$t0 '{ printf "%.2f", $1 - t0 }' /proc/uptime)"
}
# The marker dom0 keeps in kernel memory: a line in its printk ring.
dom0_marker() {
	p=XKD
	echo "$p-dom0-KMSG-K written by the collect-domu scenario" > /dev/kmsg
}
"""


def capture_script(tags, makedumpfile=False):
    hexes = " ".join(m.hex() for m in [DOM0_MARKER] + [domu_marker(t) for t in tags])
    s = r"""
export TMPDIR=/tmp
# timed NAME CMD...: busybox time -v into /out/time-NAME.txt (elapsed, peak RSS).
timed() {
	n=$1; shift
	rc=0
	time -v -o /out/time-$n.txt "$@" || rc=$?
	echo "XKD-RESULT $n rc=$rc $(grep -E 'Elapsed' /out/time-$n.txt | sed 's/.*: //')" >&3
}
exec 3>&1  # timed's result line: the console, whatever the command's output is redirected to
echo "XKD-PHASE scan_start"
timed scan pagescan "$VMCORE" %s > /out/scan-raw.txt
cat /out/scan-raw.txt
echo "XKD-PHASE scan_done"
timed collect xen-kdump-collect --vmcore "$VMCORE" --output /out/collect --host vmhost --level 63 --quiet
echo "XKD-PHASE collect_done"
""" % hexes
    if makedumpfile:
        s += r"""
timed mkdf-c-d31 makedumpfile -c -X -d 31 "$VMCORE" /out/mkdf-c-d31 > /out/makedumpfile-c-d31.log 2>&1
sync
echo "mkdf-c-d31 $(stat -c %s /out/mkdf-c-d31 2>/dev/null || echo 0) bytes"
tail -3 /out/makedumpfile-c-d31.log
echo "XKD-PHASE mkdf_done"
"""
    if os.environ.get("XKD_DOMU_SAVE_RAW"):
        # For bench/collect on the host (3 GB on the share; not for routine runs).
        s += 'timed raw cat "$VMCORE" > /out/vmcore-raw\necho "XKD-PHASE raw_done"\n'
    return s + "ls -lR /out/collect\n"


CAPTURE_BINARIES = ["/usr/bin/makedumpfile"]


# --- host-side preparation -------------------------------------------------

def _pagescan():
    with open(PAGESCAN_SRC, "rb") as f:
        src = f.read()
    path = cache.image_path("pagescan-" + hashlib.sha256(src).hexdigest()[:16], "")
    if not os.path.exists(path):
        tmp = path + ".tmp%d" % os.getpid()
        r = subprocess.run(["cc", "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", tmp, PAGESCAN_SRC],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("building %s failed (static glibc: libc6-dev): %s" % (PAGESCAN_SRC, r.stdout))
        os.rename(tmp, path)
    return path


def _domu_initrd():
    img = initramfs.Image("domu")
    img.add_busybox()
    for d in ("/proc", "/sys", "/dev", "/tmp", "/fill"):
        img.add_dir(d)
    img.add_data("/init", DOMU_INIT, 0o755)
    return img.build()


class Prepared(_lazy.LazyFiles):
    """DOM0_FILES / CAPTURE_FILES of the domU scenarios, made when first read."""

    def __init__(self, kind):
        self.kind = kind

    def _make(self):
        kernel = cache.kernel()
        if self.kind == "dom0":
            order = initramfs.module_order(kernel.moddir, DOMU_MODULES)
            files = {MODULE_DIR + "/" + os.path.basename(rel): os.path.join(kernel.moddir, rel)
                     for rel in order}
            files[MODULE_DIR + "/order"] = _order_file(order)
            files[DOMU_INITRD] = _domu_initrd()
            # glibc dlopens it for pthread_cancel (xl's event threads).
            files[LIBGCC] = LIBGCC
            return files
        cache.debug_vmlinux(kernel.version)  # for check(); fetched outside the lock
        return {"/usr/sbin/pagescan": _pagescan()}


def _order_file(order):
    data = "".join(os.path.basename(rel) + "\n" for rel in order).encode()
    path = cache.image_path("domu-modorder-" + hashlib.sha256(data).hexdigest()[:16], "")
    if not os.path.exists(path):
        cache.store(path, data)
    return path


DOM0_FILES = Prepared("dom0")
CAPTURE_FILES = Prepared("capture")


# --- host-side checks ------------------------------------------------------

def scan_counts(run):
    """{marker bytes: occurrences} from the capture's pagescan over /proc/vmcore."""
    checks.require(run.exists("scan-raw.txt"), "the capture kernel saved no scan-raw.txt (see capture.log)")
    counts, total = {}, None
    for line in run.text("scan-raw.txt").splitlines():
        m = re.match(r"([0-9a-f]+) occurrences (\d+) pages (\d+)$", line)
        if m:
            counts[bytes.fromhex(m.group(1))] = (int(m.group(2)), int(m.group(3)))
        m = re.match(r"bytes (\d+) seconds ([\d.]+)$", line)
        if m:
            total = (int(m.group(1)), float(m.group(2)))
    checks.require(total and total[0] > 1 << 30, "pagescan read %r of /proc/vmcore, expected > 1 GiB" % (total,))
    return counts, total


def timed(run, name):
    """(seconds, peak RSS KiB) from the capture's busybox time -v, or None."""
    if not run.exists("time-%s.txt" % name):
        return None
    t = run.text("time-%s.txt" % name)
    m = re.search(r"Elapsed.*: (?:(\d+)h )?(\d+)m ([\d.]+)s", t)
    r = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
    if not m:
        return None
    secs = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return secs, int(r.group(1)) if r else None


def saved_dump(run):
    found = []
    for root, _dirs, files in os.walk(run.path("collect")):
        found += [os.path.join(root, f) for f in files if f.startswith("vmcore")]
    checks.require(found, "xen-kdump-collect saved no vmcore under collect/ (capture.log: %s)"
                   % run.text("capture.log")[-400:])
    checks.require(len(found) == 1 and os.path.basename(found[0]) == "vmcore",
                   "expected one complete collect/*/vmcore, found %s" % found)
    return found[0]


def report_json(run, dump):
    with open(os.path.join(os.path.dirname(dump), "report.json")) as f:
        return json.load(f)


def check_domus(run, running, destroyed=(), domu_mb=DOMU_MB):
    """The common assertions; returns the measurements (also saved as
    measure.json).  running/destroyed: domU tags, each domu_mb MiB."""
    checks.xen_notes(run)
    counts, total = scan_counts(run)
    raw = {m: counts.get(m, (0, 0)) for m in [DOM0_MARKER] + [domu_marker(t) for t in list(running) + list(destroyed)]}
    checks.require(raw[DOM0_MARKER][0] >= 1, "the raw vmcore lacks dom0's marker: %r" % raw)
    for t in running:
        # At least half of its pages hold the marker (the fill leaves 48 MiB free).
        n = raw[domu_marker(t)][1]
        checks.require(n >= domu_mb * 256 // 2, "the raw vmcore holds running domU %s's marker in only %d pages" % (t, n))
    for t in destroyed:
        n = raw[domu_marker(t)][1]
        checks.require(n >= 2560, "the raw vmcore holds destroyed domU %s's marker in only %d pages: Xen "
                       "scrubbed its freed memory before the crash, so nothing is tested" % (t, n))

    dump = saved_dump(run)
    rep = report_json(run, dump)
    ids = {d.get("id"): d for d in rep.get("domains") or []}
    checks.require(0 in ids, "dom0 missing from the report's domains %r" % sorted(ids))
    domus = [d for i, d in ids.items() if i != 0]
    checks.require(len(domus) == len(running),
                   "report domains %r; expected dom0 and %d running domU(s)" % (sorted(ids), len(running)))
    for d in domus:  # 512 MiB each, plus a few pages Xen gives a PV guest
        checks.require(abs((d.get("owned_pages") or 0) - domu_mb * 256) < 1024,
                       "report says domain %d owns %r pages, expected ~%d" % (d["id"], d.get("owned_pages"), domu_mb * 256))
    t0 = time.monotonic()
    with kdumpfile.Kdump(dump) as kd:
        checks.require(not kd.incomplete, "the saved dump says incomplete (status %#x)" % kd.status)
        checks.require(kd.dump_level == 63, "the dump applied level %d, expected 63" % kd.dump_level)
        got = kd.count(list(raw))
        dump_pages = sum(1 for _ in kd.dumped_pfns())
    read_secs = time.monotonic() - t0
    checks.require(got[DOM0_MARKER][0] >= 1, "dom0's marker is not in the saved dump (raw vmcore had %d)"
                   % raw[DOM0_MARKER][0])
    for t in list(running) + list(destroyed):
        m = domu_marker(t)
        checks.require(got[m] == (0, 0), "the saved dump holds domU %s's marker %d times in %d pages "
                       "(raw vmcore: %d pages)" % (t, got[m][0], got[m][1], raw[m][1]))
    measure = dict(
        vmcore_bytes=total[0], scan_seconds=total[1],
        raw={m.decode(): dict(occurrences=v[0], pages=v[1]) for m, v in raw.items()},
        dump={m.decode(): dict(occurrences=v[0], pages=v[1]) for m, v in got.items()},
        dump_bytes=os.path.getsize(dump), dump_pages=dump_pages, host_read_seconds=round(read_secs, 2),
        domains={str(k): v.get("owned_pages") for k, v in ids.items()})
    for name in ("scan", "collect", "mkdf-c-d31"):
        t = timed(run, name)
        if t:
            measure[name] = dict(seconds=t[0], peak_rss_kb=t[1])
    if run.exists("mkdf-c-d31"):
        measure["mkdf-c-d31"]["bytes"] = run.size("mkdf-c-d31")
    save_measure(run, measure)
    return dump, measure


def save_measure(run, measure):
    """measure.json in the output dir: what bench/run and DUMP.md report."""
    with open(run.path("measure.json"), "w") as f:
        json.dump(measure, f, indent=2)
        f.write("\n")
    os.chmod(run.path("measure.json"), 0o600)


def check_crash_opens(run, dump):
    """Debian's crash opens the dump for dom0: sys names the sysrq panic, bt
    shows the task dom0's console says panicked, log has the panic and dom0's
    marker."""
    m = re.findall(r"CPU: (\d+) PID: (\d+) Comm: (\S+)", run.serial)
    checks.require(m, "dom0 printed no 'CPU: N PID: P Comm: C' line at its panic")
    _cpu, pid, comm = m[-1]
    vmlinux = cache.debug_vmlinux(cache.kernel().version)
    t0 = time.monotonic()
    p = subprocess.run(["crash", "-s", "--no_scroll", vmlinux, dump], input="sys\nbt\nlog\nlist task_struct.tasks -h init_task\nquit\n",
                       capture_output=True, text=True, timeout=600)
    secs = time.monotonic() - t0
    out = p.stdout + p.stderr
    with open(run.path("crash.txt"), "w") as f:
        f.write(out)
    os.chmod(run.path("crash.txt"), 0o600)
    checks.require('PANIC: "Kernel panic - not syncing: sysrq triggered crash"' in out,
                   "crash's sys does not show the sysrq panic (crash.txt: %s)" % out.strip()[-300:])
    bt = re.search(r"PID: (\d+)\s+TASK: \S+\s+CPU: (\d+)\s+COMMAND: \"([^\"]*)\"\n\s*#0 \[", out)
    checks.require(bt, "crash's bt printed no backtrace header with a #0 frame (crash.txt)")
    checks.require(bt.group(1) == pid and comm.startswith(bt.group(3)[:15]),
                   "crash's bt shows PID %s %r; dom0's console said PID %s %r" % (bt.group(1), bt.group(3), pid, comm))
    checks.require("sysrq_handle_crash" in out, "crash's bt lacks sysrq_handle_crash (crash.txt)")
    checks.require(re.search(r"\] Kernel panic - not syncing: sysrq triggered crash", out),
                   "crash's log lacks the panic line (crash.txt)")
    checks.require(DOM0_MARKER.decode() in out, "crash's log lacks dom0's marker line (crash.txt)")
    # crash 8.0.2's `ps` finds only 3 tasks in these dumps (its pid-IDR walk; the same on
    # makedumpfile's ELF dump), so walk init_task's list: dom0's task_structs (slab) must be there.
    tasks = len(re.findall(r"^ffff[0-9a-f]{12}$", out, re.M))
    checks.require(tasks >= 20, "crash walked only %d tasks from init_task (crash.txt)" % tasks)
    return round(secs, 1)


def destroyed_script(mb):
    """dom0: a running domU R and a domU D destroyed just before the crash, mb MiB each."""
    return DOM0_SETUP + """
domu domu-r R %d
domu domu-d D %d
filled domu-r 1500
filled domu-d 1500
# Busy dom0 vCPUs leave Xen no idle time, so the destroyed domU's freed pages
# stay unscrubbed until the crash.  (Not on dom0.log's pipe: tee would wait for them.)
for i in 1 2; do (while :; do :; done) </dev/null >/dev/null 2>&1 & done
xl destroy domu-d
xl list
dom0_marker
""" % (mb, mb)


def check_destroyed(run, mb):
    """check_domus for R running and D destroyed, plus makedumpfile -c -X -d 31's
    bytes, seconds and what it kept (its dump read back with the same reader)."""
    dump, measure = check_domus(run, running=["R"], destroyed=["D"], domu_mb=mb)
    mk = measure.get("mkdf-c-d31")
    checks.require(mk and mk.get("bytes"), "makedumpfile -c -X -d 31 wrote nothing (makedumpfile-c-d31.log)")
    measure["bytes_vs_makedumpfile"] = round(measure["dump_bytes"] / mk["bytes"], 3)
    measure["seconds_vs_makedumpfile"] = round(measure["collect"]["seconds"] / mk["seconds"], 3)
    with kdumpfile.Kdump(run.path("mkdf-c-d31")) as kd:
        got = kd.count([DOM0_MARKER] + [domu_marker(t) for t in "RD"])
        mk["pages"] = sum(1 for _ in kd.dumped_pfns())
    mk["marker_pages"] = {m.decode(): v[1] for m, v in got.items()}
    save_measure(run, measure)
    print("vm:   %s: %s" % (run.scenario.name, measure))
    return dump
