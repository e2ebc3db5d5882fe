#!/usr/bin/python3
"""The dump engine against makedumpfile -c -X -d 31, on every kind of dump: one
ratio table (issue 14's target: bytes <= 0.9x and time <= 0.5x, one CPU).

  bench/ratios.py [--runs N] [--reuse] [--collector PATH]

Rows:
  dom0-only Xen 4.17 (Debian 12)  on the host, one CPU: the /proc/vmcore of the
      last collect-dom0-panic run (tests/vm/out/collect-dom0-panic: vmcore-head +
      its makedumpfile -E -X -d 1 ELF, rebuilt by bench/rebuild-vmcore into a
      scratch file), against Debian 12's makedumpfile (1.7.2)
  dom0-only Xen 4.20 (Debian 13)  on the host, one CPU: the last
      trixie-load-dom0-panic run's /proc/vmcore rebuilt the same way (else a
      full one saved in $XKD_CACHE/trixie/vmcores), against Debian 13's makedumpfile
      (1.7.6, run from the trixie root fs in the cache with its own ld.so)
  running + just-destroyed domUs  in the capture kernel (TCG, one vCPU):
      collect-domu-destroyed's measure.json (3 GiB host)
  large host                      the same from collect-domu-large (5 GiB host)

Host rows: the page cache is warmed once, then ours (--level 63) and
makedumpfile (followed by `sync FILE`: ours fsyncs before declaring a dump
complete) alternate, each pinned to one CPU as the capture kernel runs
(nr_cpus=1); the median of --runs.  VM rows are read from the scenario's last
output; a row whose input is missing says so.  bench/run prints this table;
--reuse prints the last one (tests/vm/out/bench-ratios.json) again.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CACHE = os.environ.get("XKD_CACHE", "/var/cache/xen-kdump-tests")
OUT_ROOT = os.environ.get("XKD_VM_OUT", os.path.join(TOP, "tests", "vm", "out"))
SAVED = os.path.join(OUT_ROOT, "bench-ratios.json")
TRIXIE_VMCORE = os.path.join(CACHE, "trixie", "vmcores", "xen-4.20-linux-6.12-dom0-panic.full.vmcore")
BYTES_TARGET, TIME_TARGET = 0.9, 0.5


def trixie_makedumpfile():
    """Debian 13's makedumpfile, run with the trixie root fs's own loader and libraries."""
    for root in sorted(glob.glob(os.path.join(CACHE, "trixie", "root-*"))):
        exe, ld = os.path.join(root, "usr/bin/makedumpfile"), os.path.join(root, "lib64/ld-linux-x86-64.so.2")
        if os.path.exists(exe) and os.path.exists(ld):
            libs = ":".join(os.path.join(root, d) for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"))
            return [ld, "--library-path", libs, exe]
    return None


def one_cpu():
    cpu = max(os.sched_getaffinity(0))
    return lambda: os.sched_setaffinity(0, {cpu})


def timed(cmd):
    """(rc, seconds, peak RSS KiB) of cmd on one CPU, under /usr/bin/time -v."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, preexec_fn=one_cpu())
    secs = time.monotonic() - t0
    rss = next((int(l.split(":")[1]) for l in p.stderr.splitlines() if "Maximum resident set size" in l), 0)
    return p.returncode, secs, rss, p.stderr


def run_ours(collector, vmcore, work):
    out = tempfile.mkdtemp(dir=work, prefix="ours-")
    rc, secs, rss, err = timed([collector, "--vmcore", vmcore, "--output", out, "--level", "63", "--quiet",
                                "--host", "bench", "--reserve", "0"])
    files = glob.glob(os.path.join(out, "*", "vmcore"))
    size = os.path.getsize(files[0]) if files and rc == 0 else None
    shutil.rmtree(out, ignore_errors=True)
    return dict(rc=rc, seconds=secs, bytes=size, rss_kb=rss, error=err.strip().splitlines()[-1:] if rc else [])


def run_mkd(mkd, vmcore, work):
    out = os.path.join(tempfile.mkdtemp(dir=work, prefix="mkd-"), "dump")
    rc, secs, rss, err = timed(["bash", "-c", '"$@" && sync "${@: -1}"', "bash"] + mkd +
                               ["-c", "-X", "-d", "31", vmcore, out])
    size = os.path.getsize(out) if rc == 0 and os.path.exists(out) else None
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    return dict(rc=rc, seconds=secs, bytes=size, rss_kb=rss, error=err.strip().splitlines()[-1:] if rc else [])


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def host_row(title, vmcore, mkd, mkd_name, collector, runs, note=""):
    row = dict(title=title, where="host, 1 CPU", mkd=mkd_name, input=vmcore, note=note)
    if not vmcore or not os.path.exists(vmcore):
        return dict(row, missing="no vmcore (%s)" % (vmcore or "-"))
    if not mkd:
        return dict(row, missing="no %s" % mkd_name)
    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(vmcore)) if os.access(
        os.path.dirname(os.path.abspath(vmcore)), os.W_OK) else None, prefix="xkd-ratios-")
    try:
        subprocess.run(["cat", vmcore], stdout=subprocess.DEVNULL)
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(run_ours(collector, vmcore, work))
            theirs.append(run_mkd(mkd, vmcore, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bad = [r for r in ours + theirs if r["rc"]]
    if bad:
        return dict(row, missing="a run failed: rc=%d %s" % (bad[0]["rc"], " ".join(bad[0]["error"])))
    return dict(row, ours=dict(seconds=med(ours, "seconds"), bytes=med(ours, "bytes"), rss_kb=max(
        r["rss_kb"] for r in ours)), theirs=dict(seconds=med(theirs, "seconds"), bytes=med(theirs, "bytes"),
                                                 rss_kb=max(r["rss_kb"] for r in theirs)), runs=runs)


def vm_row(title, scenario):
    path = os.path.join(OUT_ROOT, scenario, "measure.json")
    row = dict(title=title, where="capture kernel (%s)" % scenario, mkd="makedumpfile 1.7.2", input=path, note="")
    try:
        with open(path) as f:
            m = json.load(f)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(path)))
    except (OSError, ValueError):
        return dict(row, missing="no %s (play %s)" % (path, scenario))
    mk = m.get("mkdf-c-d31") or {}
    col = m.get("collect") or {}
    if not (m.get("dump_bytes") and mk.get("bytes") and col.get("seconds") and mk.get("seconds")):
        return dict(row, missing="incomplete measure.json (%s)" % when)
    return dict(row, note="run %s; /proc/vmcore %.0f MiB" % (when, (m.get("vmcore_bytes") or 0) / 2**20),
                ours=dict(seconds=col["seconds"], bytes=m["dump_bytes"], rss_kb=col.get("peak_rss_kb")),
                theirs=dict(seconds=mk["seconds"], bytes=mk["bytes"], rss_kb=mk.get("peak_rss_kb")), runs=1)


def x417_vmcore(work):
    """The last collect-dom0-panic run's /proc/vmcore, rebuilt into work."""
    src = os.path.join(OUT_ROOT, "collect-dom0-panic")
    head, dump = os.path.join(src, "vmcore-head"), os.path.join(src, "dump")
    if not (os.path.exists(head) and os.path.exists(dump)):
        return None
    out = os.path.join(work, "x417-dom0.vmcore")
    subprocess.run([os.path.join(HERE, "rebuild-vmcore"), head, dump, out], check=True)
    return out


def trixie_vmcore(work):
    """The last trixie-load-dom0-panic run's /proc/vmcore, rebuilt into work
    like the 4.17 one; else the full trixie vmcore saved in the cache."""
    src = os.path.join(OUT_ROOT, "trixie-load-dom0-panic")
    head, dump = os.path.join(src, "vmcore-head"), os.path.join(src, "dump")
    if os.path.exists(head) and os.path.exists(dump):
        out = os.path.join(work, "x420-dom0.vmcore")
        subprocess.run([os.path.join(HERE, "rebuild-vmcore"), head, dump, out], check=True)
        return out, "trixie-load-dom0-panic's vmcore"
    if os.path.exists(TRIXIE_VMCORE):
        return TRIXIE_VMCORE, "the saved trixie vmcore"
    return None, ""


def measure(collector, runs):
    rows = []
    work = tempfile.mkdtemp(prefix="xkd-ratios-", dir="/var/tmp")
    os.chmod(work, 0o700)
    try:
        v = x417_vmcore(work)
        rows.append(host_row("dom0-only, Xen 4.17 + Linux 6.1", v,
                             ["makedumpfile"] if shutil.which("makedumpfile") else None,
                             "makedumpfile 1.7.2", collector, runs,
                             note="collect-dom0-panic's vmcore" if v else ""))
        t, note = trixie_vmcore(work)
        rows.append(host_row("dom0-only, Xen 4.20 + Linux 6.12", t, trixie_makedumpfile(),
                             "makedumpfile 1.7.6", collector, runs, note=note))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows.append(vm_row("running + just-destroyed domUs", "collect-domu-destroyed"))
    rows.append(vm_row("large host (5 GiB)", "collect-domu-large"))
    return rows


def fmt(v, f):
    return "-" if v is None else f % v


def print_table(rows, how=""):
    """Prints the table; returns True when every measured row meets both targets."""
    print("\ndump engine vs makedumpfile -c -X -d 31 (target: bytes <= %.1fx, time <= %.1fx, one CPU)%s"
          % (BYTES_TARGET, TIME_TARGET, how))
    print("  %-34s %-40s %10s %10s %7s %8s %8s %7s %8s  %s" % (
        "dump", "where", "mkd MB", "ours MB", "bytes", "mkd s", "ours s", "time", "RSS MiB", "verdict"))
    ok = True
    for r in rows:
        if "missing" in r:
            print("  %-34s %-40s %s" % (r["title"], r["where"], "not measured: " + r["missing"]))
            ok = False
            continue
        o, t = r["ours"], r["theirs"]
        rb, rs = o["bytes"] / t["bytes"], o["seconds"] / t["seconds"]
        met = rb <= BYTES_TARGET and rs <= TIME_TARGET
        ok &= met
        print("  %-34s %-40s %10.1f %10.1f %6.2fx %8.2f %8.2f %6.2fx %8s  %s" % (
            r["title"], r["where"], t["bytes"] / 1e6, o["bytes"] / 1e6, rb, t["seconds"], o["seconds"], rs,
            fmt(o.get("rss_kb") and o["rss_kb"] / 1024, "%.1f"), "met" if met else "MISSED"))
    for r in rows:
        if "missing" not in r:
            print("    %s: %s, %s%s" % (r["title"], r["mkd"], r["note"] or "-",
                                      ", median of %d" % r["runs"] if r.get("runs", 1) > 1 else ""))
    return ok


def _elf(path, loads, data_at, size=0):
    """A small ELF64 core: one PT_NOTE, PT_LOADs (paddr, filesz, memsz, offset), bytes at offsets."""
    import struct
    ph = struct.pack("<IIQQQQQQ", 4, 0, 0x1000, 0, 0, 16, 16, 0)
    for pa, fs, ms, off in loads:
        ph += struct.pack("<IIQQQQQQ", 1, 7, off, 0, pa, fs, ms, 0)
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56,
                                                                 1 + len(loads), 0, 0, 0)
    with open(path, "wb") as f:
        f.write(eh + ph)
        f.seek(0x1000)
        f.write(b"NOTE" * 4)
        for off, b in data_at:
            f.seek(off)
            f.write(b)
        if size:
            f.truncate(size)


def selftest():
    """bench/rebuild-vmcore and the table's verdicts, on made-up inputs."""
    P = 4096
    pg = [bytes([i + 1]) * P for i in range(6)]
    d = tempfile.mkdtemp(prefix="xkd-ratios-selftest-")
    try:
        head, dump, out = (os.path.join(d, n) for n in ("head", "dump", "out"))
        # /proc/vmcore: RAM [0x10000, +4 pages) and [0x100000, +2 pages), the second ending 0x400 short.
        _elf(head, [(0x10000, 4 * P, 4 * P, 0x2000), (0x100000, 2 * P - 0x400, 2 * P - 0x400, 0x6000)], [], size=0x2000)
        # makedumpfile's ELF: pages 0 and 2 of the first range (1 and 3 dropped), all of the second.
        _elf(dump, [(0x10000, P, P, 0x3000), (0x12000, P, 2 * P, 0x4000), (0x100000, 2 * P - 0x400,
                                                                            2 * P - 0x400, 0x5000)],
             [(0x3000, pg[0]), (0x4000, pg[2]), (0x5000, pg[4] + pg[5][:P - 0x400])])
        subprocess.run([os.path.join(HERE, "rebuild-vmcore"), head, dump, out], check=True)
        with open(out, "rb") as f:
            got = f.read()
        want = {0x2000: pg[0], 0x3000: bytes(P), 0x4000: pg[2], 0x5000: bytes(P), 0x6000: pg[4],
                0x7000: pg[5][:P - 0x400]}
        for off, b in want.items():
            assert got[off:off + len(b)] == b, "rebuild-vmcore: wrong bytes at %#x" % off
        assert len(got) == 0x8000 - 0x400, "rebuild-vmcore: size %#x" % len(got)
        assert got[0x1000:0x1010] == b"NOTE" * 4, "rebuild-vmcore: the head's notes are not kept"
    finally:
        shutil.rmtree(d, ignore_errors=True)
    row = dict(title="t", where="w", mkd="m", note="", runs=1,
               theirs=dict(bytes=100, seconds=10.0, rss_kb=1), ours=dict(bytes=90, seconds=5.0, rss_kb=1))
    assert print_table([row]), "0.9x bytes and 0.5x time must meet the target"
    assert not print_table([dict(row, ours=dict(bytes=91, seconds=1.0, rss_kb=1))]), "0.91x bytes must miss"
    assert not print_table([dict(row, ours=dict(bytes=10, seconds=5.1, rss_kb=1))]), "0.51x time must miss"
    assert not print_table([dict(title="t", where="w", missing="x")]), "a missing row must fail"
    print("bench/ratios.py: selftest ok")
    return 0


def main():
    ap = argparse.ArgumentParser(prog="bench/ratios.py")
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--collector", default=os.path.join(TOP, "build", "xen-kdump-collect"))
    ap.add_argument("--out", default=None, help="the scenarios' output root (default tests/vm/out)")
    a = ap.parse_args()
    global OUT_ROOT
    OUT_ROOT = a.out or OUT_ROOT
    if a.selftest:
        return selftest()
    path = SAVED
    if a.reuse:
        try:
            with open(path) as f:
                last = json.load(f)
        except (OSError, ValueError):
            print("bench/ratios: no earlier table in %s" % path, file=sys.stderr)
            return 1
        return 0 if print_table(last["rows"], " (--reuse: %s)" % last["when"]) else 1
    if not os.access(a.collector, os.X_OK):
        print("bench/ratios: %s missing: run make first" % a.collector, file=sys.stderr)
        return 2
    rows = measure(a.collector, a.runs)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(dict(when=time.strftime("%Y-%m-%d %H:%M:%S"), rows=rows), f, indent=1)
    return 0 if print_table(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
