# SPDX-License-Identifier: GPL-2.0-or-later
"""The smallest Xen crashkernel= each contender still captures in, measured the
same way for all: play the contender's scenario with the region its environment
variable asks for, and bisect (see bench/README.md, "smallest crash region").

Used by bench/min-region (the command), bench/run (make bench) and
crashkernel/find-min-vm (the older name for one contender).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "vm"))

from xkdvm import cache, images, runner, scenario  # noqa: E402

CACHE_DIR = os.path.join(os.environ.get("XKD_CACHE", "/var/cache/xen-kdump-tests"), "crashkernel")
RESOLUTION = 8   # MiB: the search stops when a failing and a capturing size are this close
COARSE = 32      # MiB: how far a bound moves when it turns out wrong
MAX_PROBES = 8   # VM runs per contender, at most
FLOOR = 16       # MiB: never probe below
CEILING = 1024   # MiB: never probe above (half the VMs' 2 GiB)

# Load must not refuse on its own estimate during a search, or the search would
# measure the estimate instead of the capture.  On dom0's kernel command line,
# so that it reaches every scenario's loader without touching the scenario: the
# kernel hands KEY=value to init's environment (the harness's busybox dom0), and
# systemd.setenv= does the same for a systemd dom0's services.
UNCHECKED = "XKD_LOAD_UNCHECKED_RUNTIME=1 systemd.setenv=XKD_LOAD_UNCHECKED_RUNTIME=1"

# A probe that hangs must not hold the VM lock for the scenario's full bounds.
PROBE_TIMEOUT_CAPS = {"capture_init": 240, "capture_done": 300}


class Contender:
    def __init__(self, key, title, scenario_name, env, lo, hi, engine, dump_level):
        self.key, self.title, self.scenario, self.env = key, title, scenario_name, env
        self.lo, self.hi = lo, hi           # default bounds (MiB) when nothing is cached
        self.engine, self.dump_level = engine, dump_level  # what the capture runs, for estimate

    def cache_path(self):
        return os.path.join(CACHE_DIR, "min-%s.json" % self.key)


# Table order.  The anchor is what everything is compared with.
CONTENDERS = [
    Contender("minimal", "minimal kernel + xen-kdump", "minimal-kernel-64M", "XKD_CRASHKERNEL",
              32, 64, "native", 1),
    Contender("distro", "Debian kernel + xen-kdump", "distro-kernel-size", "XKD_CRASHKERNEL",
              64, 128, "native", 1),
    Contender("minimal-appliance", "minimal kernel + its dracut image", "minimal-kernel-appliance",
              "XKD_CRASHKERNEL", 32, 64, "native", 31),
    Contender("appliance", "appliance: Debian dom0, dracut image", "appliance-local",
              "XKD_APPLIANCE_CRASHKERNEL", 256, 384, None, None),
    Contender("appliance-capture", "dracut image (all drivers), Debian kernel", "appliance-capture-local",
              "XKD_APPLIANCE_CRASHKERNEL", 448, 512, None, None),
    Contender("anchor", "anchor: kexec -p + makedumpfile", "anchor-dom0-panic", "XKD_ANCHOR_CRASHKERNEL",
              64, 128, "makedumpfile", 1),
]
BY_KEY = {c.key: c for c in CONTENDERS}


def say(msg):
    print("min-region: " + msg, flush=True)


def _text(out, name):
    try:
        with open(os.path.join(out, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def why_failed(out, phases, failures):
    """One line: what went wrong in a failed probe, read from its logs."""
    dom0, serial = _text(out, "dom0.log"), _text(out, "serial.log")
    jump = serial.rfind("Executing kexec image")
    if jump < 0:
        m = re.search(r"crash region is \d+ MiB but this capture image needs (\d+) MiB", dom0)
        if m:
            return "load refused: the loader wants %s MiB" % m.group(1)
        if "crash" not in phases:
            lines = [ln.strip() for ln in dom0.splitlines() if ln.strip()]
            bad = [ln for ln in lines if re.search(r"error|fail|cannot|could not|not enough|invalid", ln, re.I)]
            return "cannot load: %s" % (bad or lines or ["(empty dom0.log)"])[-1][:160]
        return "Xen never jumped to the capture image"
    after = serial[jump:]
    when = "after capture /init" if "capture_init" in phases else "while the capture kernel boots"
    m = re.search(r"Initramfs unpacking failed[^\n]*", after)
    if m:
        msg = m.group(0).strip()
        mem = re.search(r"Memory: \d+K/(\d+)K available.* (\d+)K reserved", after)
        if "write error" in msg and mem:
            # With no root= the kernel unpacks into a tmpfs, which holds at
            # most half of the RAM it has left: full before out of memory.
            ram = (int(mem.group(1)) - int(mem.group(2))) / 1024
            return "%s (rootfs full: a tmpfs rootfs holds at most half of the capture kernel's ~%.0f MiB RAM, " \
                   "~%.0f MiB)" % (msg, ram, ram / 2)
        return msg if "memory" in msg.lower() else "%s (out of memory unpacking the initramfs)" % msg
    m = re.search(r"Out of memory: Killed process \d+ \(([^)]*)\)", after)
    if m:
        return "out of memory %s: OOM killer killed %s" % (when, m.group(1))
    m = re.search(r"(\S+) invoked oom-killer", after)
    if m:
        p = re.search(r"Kernel panic - not syncing: ([^\n]*)", after)
        return "out of memory %s (%s invoked the OOM killer%s)" % (
            when, m.group(1), "; panic: " + p.group(1).strip() if p else "")
    for pat in (r"Kernel panic - not syncing: [^\n]*", r"XKD-FAIL [^\n]*"):
        m = re.search(pat, after)
        if m:
            return "%s %s" % (m.group(0).strip(), when)
    return "; ".join(failures)[:200] or "failed (see %s)" % out


def _keep(out, dest):
    """A probe's logs (not its dump) survive the next probe of the same scenario."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest, mode=0o700)
    for name in ("serial.log", "dom0.log", "timings.json", "capture.log", "estimate.txt", "collect.time"):
        if os.path.exists(os.path.join(out, name)):
            shutil.copy(os.path.join(out, name), dest)


def probe(c, mib, verbose=False):
    """One VM run of c's scenario in a crash region of mib MiB; returns the probe
    record and the loaded scenario (whose image paths the estimate reads)."""
    saved = {k: os.environ.get(k) for k in (c.env, "XKD_FIND_MIN")}
    os.environ[c.env] = "%dM" % mib
    os.environ["XKD_FIND_MIN"] = "1"   # the _minimal scenarios' own switch for the same thing
    try:
        return _probe(c, mib, verbose)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _probe(c, mib, verbose):
    # Shared scenario helpers (_anchor, ...) read the environment when imported:
    # import them afresh, or they keep the previous probe's size.
    for name, mod in list(sys.modules.items()):
        if os.path.dirname(os.path.abspath(getattr(mod, "__file__", None) or "/")) == scenario.SCENARIO_DIR:
            del sys.modules[name]
    sc = scenario.load(c.scenario)
    if sc.crashkernel != "%dM" % mib:
        raise SystemExit("min-region: scenario %s ignores %s (crashkernel=%s); make it read %s"
                         % (c.scenario, c.env, sc.crashkernel, c.env))
    sc.dom0_args = (sc.dom0_args + " " + UNCHECKED).strip()
    sc.timeouts = dict(runner.TIMEOUTS, **sc.timeouts)
    for k, cap in PROBE_TIMEOUT_CAPS.items():
        sc.timeouts[k] = min(sc.timeouts[k], cap)
    t0 = time.monotonic()
    r = runner.run(sc, say=(lambda m: say("  " + m)) if verbose else (lambda m: None))
    secs = time.monotonic() - t0
    ph = r.phases
    ok = not r.failures
    rec = dict(ok=ok, reason="captured" if ok else why_failed(r.out, ph, r.failures),
               wall_seconds=round(secs, 1),
               crash_to_capture_init=round(ph["capture_init"] - ph["crash"], 2)
               if "capture_init" in ph and "crash" in ph else None,
               capture_init_to_done=round(ph["capture_done"] - ph["capture_init"], 2)
               if "capture_done" in ph and "capture_init" in ph else None)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", _text(r.out, "collect.time"))
    rec["collector_peak_kib"] = int(m.group(1)) if m else None
    _keep(r.out, os.path.join(runner.OUT_ROOT, "min-region", c.key, "%dM" % mib))
    if getattr(sc, "rootfs", None):
        sc.xkd_image = _image_from_rootfs(r, os.path.join(runner.OUT_ROOT, "min-region", c.key, "image"))
    boot = rec["crash_to_capture_init"]
    say("  %s crashkernel=%dM: %s (crash -> capture /init %s; %.0f s%s)" % (
        c.key, mib, rec["reason"], "-" if boot is None else "%.1f s" % boot, secs,
        ", collector peak RSS %d KiB" % rec["collector_peak_kib"] if rec["collector_peak_kib"] else ""))
    if verbose and r.failures:
        print("\n".join(getattr(r, "tail", []) or []))
    return rec, sc


def _image_from_rootfs(r, dest):
    """A root-fs scenario builds its capture image inside the run's root fs
    (the installed kernel hook): copy the image and the config out for the
    estimate; (initrd, config) or None."""
    disk = getattr(r, "rootfs_disk", None)
    if not disk or not os.path.exists(disk):
        return None
    root = tempfile.mkdtemp(prefix="xkd-min-region-")
    # noload: a capture that rebooted leaves the journal dirty, and a
    # read-only mount that would have to replay it fails.
    m = subprocess.run(["mount", "-o", "ro,loop,noload", disk, root], capture_output=True, text=True)
    if m.returncode != 0:
        os.rmdir(root)
        say("  cannot read the capture image out of the root fs: %s" % (m.stderr or m.stdout).strip())
        return None
    try:
        d = os.path.join(root, "var", "lib", "xen-kdump")
        imgs = sorted((os.path.join(d, f) for f in os.listdir(d)
                       if f.startswith("initrd") and f.endswith(".img")), key=os.path.getmtime)
        if not imgs:
            return None
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest, mode=0o700)
        shutil.copy(imgs[-1], dest)
        conf = os.path.join(root, "etc", "xen-kdump.conf")
        if os.path.exists(conf):
            shutil.copy(conf, dest)
        return (os.path.join(dest, os.path.basename(imgs[-1])),
                os.path.join(dest, "xen-kdump.conf") if os.path.exists(conf) else None)
    except OSError as e:
        say("  cannot read the capture image out of the root fs: %s" % e)
        return None
    finally:
        subprocess.run(["umount", root])  # the loop device goes with it (autoclear)
        os.rmdir(root)


def _estimate_inputs(c, sc):
    """(kernel, initrd, config file or None) the contender's capture loads."""
    kernel = cache.kernel()
    if getattr(sc, "rootfs", None):
        img = getattr(sc, "xkd_image", None)
        if not img:
            raise RuntimeError("the image built in the root fs was not found")
        return kernel.vmlinuz, img[0], img[1]
    files = dict(sc.dom0_files) if sc.dom0_files else {}  # builds the appliance image when lazy
    k = files.get("/boot/xkd-vmlinuz") or kernel.vmlinuz
    initrds = [p for d, p in files.items() if d.endswith(".img")]
    if initrds:  # the scenario ships its own image (the appliance's dracut image)
        conf = os.path.join(os.path.dirname(initrds[0]), "xen-kdump.conf")
        return k, initrds[0], conf if os.path.exists(conf) else None
    return k, images.capture_image(sc, kernel), None


def estimate(c, sc):
    """xen-kdump estimate's recommendation for what c loads, on this VM's host
    RAM: {"crashkernel_mib", "needed_mib", "argv"} or {"error"}."""
    xk = os.path.join(images.BUILD, "xen-kdump")
    if not os.path.exists(xk):
        return dict(error="build/xen-kdump is not built (make all)")
    try:
        kernel, initrd, conf = _estimate_inputs(c, sc)
    except Exception as e:  # noqa: BLE001 - an estimate must never sink the measurement
        return dict(error="cannot find the capture image: %s" % e)
    tmp = None
    if conf is None:
        tmp = os.path.join(runner.OUT_ROOT, "min-region", c.key, "estimate.conf")
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        with open(tmp, "w") as f:
            f.write("engine %s\ndump_level %d\n" % (c.engine, c.dump_level))
        conf = tmp
    argv = [xk, "estimate", "--config", conf, "--kernel", kernel, "--initrd", initrd,
            "--host-ram", "%dM" % sc.memory_mb, "--current", "0"]
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0 and conf != tmp:
        # A config from the VM's root fs may name paths this host lacks (hooks):
        # the defaults then, which is what that config keeps but for its hooks.
        argv = argv[:2] + argv[4:]
        r = subprocess.run(argv, capture_output=True, text=True)
    m = re.search(r"needed\s+([0-9.]+) MiB\s+->\s+crashkernel=(\d+)([MG])", r.stdout)
    if r.returncode != 0 or not m:
        return dict(error="xen-kdump estimate failed: %s" % (r.stderr or r.stdout).strip()[-200:])
    mib = int(m.group(2)) * (1024 if m.group(3) == "G" else 1)
    return dict(crashkernel_mib=mib, needed_mib=float(m.group(1)), argv=argv[1:])


def load_cached(c):
    try:
        with open(c.cache_path()) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _round(mib, up):
    q = (mib + RESOLUTION - 1) // RESOLUTION if up else mib // RESOLUTION
    return max(FLOOR, q * RESOLUTION)


def search(c, lo=None, hi=None, trust_bounds=False, max_probes=MAX_PROBES, verbose=False, probe_fn=None):
    """Bounded coarse-then-fine bisection; returns the result (also cached).
    probe_fn(c, mib, verbose) -> (record, scenario) replaces the VM run in the selftest."""
    probe_fn = probe_fn or probe
    cached = load_cached(c)
    if lo is None and hi is None and cached and cached.get("min_mib") and cached.get("fails_mib"):
        lo, hi, origin = cached["fails_mib"], cached["min_mib"], "the last search (%s)" % cached.get("when")
    else:
        origin = "given" if lo is not None or hi is not None else "defaults"
        lo = c.lo if lo is None else lo
        hi = c.hi if hi is None else hi
    say("%s: scenario %s, %s=<n>M; start between %d (should fail) and %d MiB (should capture), "
        "from %s; resolution %d MiB, at most %d VM runs"
        % (c.title, c.scenario, c.env, lo, hi, origin, RESOLUTION, max_probes))
    probes, sc = {}, None

    def run(mib):
        nonlocal sc
        probes[mib], sc = probe_fn(c, mib, verbose)
        return probes[mib]["ok"]

    def budget():
        return len(probes) < max_probes

    ok_hi = ok_lo = None
    if not trust_bounds:
        # Coarse: move a wrong bound by COARSE, doubling each time, until it
        # is what it should be (a stale cache costs a few runs, not many).
        step = COARSE
        while budget() and not run(hi):
            if hi >= CEILING:
                break
            lo, hi, step = hi, min(CEILING, hi + step), step * 2
        ok_hi = probes.get(hi, {}).get("ok")
        step = COARSE
        while ok_hi and budget() and lo not in probes and lo >= FLOOR:
            if not run(lo):
                break
            hi, lo, step = lo, max(FLOOR, lo - step), step * 2
            if hi == FLOOR:
                break
        ok_lo = probes.get(lo, {}).get("ok")
    # Fine: bisect on multiples of RESOLUTION (only below a size that captured).
    while (ok_hi or trust_bounds) and hi - lo > RESOLUTION and budget():
        mid = _round((lo + hi) // 2, up=False)
        if mid <= lo or mid >= hi:
            mid = lo + (hi - lo) // 2
        if run(mid):
            hi = mid
        else:
            lo = mid
    min_ok = hi if probes.get(hi, {}).get("ok") or (trust_bounds and hi not in probes) else None
    result = dict(kind=c.key, title=c.title, scenario=c.scenario, env=c.env,
                  min_mib=min_ok, fails_mib=lo if not probes.get(lo, {}).get("ok") else None,
                  resolution=RESOLUTION, step=hi - lo,
                  probes={str(k): v for k, v in sorted(probes.items())},
                  complete=bool(min_ok) and hi - lo <= RESOLUTION and not ok_lo,
                  when=time.strftime("%Y-%m-%d %H:%M:%S"))
    if min_ok is None:
        say("%s: no size up to %d MiB captured within %d VM runs" % (c.title, hi, max_probes))
    if sc is not None:
        result["estimate"] = estimate(c, sc) if isinstance(sc, scenario.Scenario) else sc.estimate
        est = result["estimate"].get("crashkernel_mib")
        # The one size bisection cannot vouch for: the estimate's own, when it
        # falls between the largest failure and the smallest capture.
        if est and result["fails_mib"] and min_ok and result["fails_mib"] < est < min_ok and budget():
            say("%s: the estimate's %d MiB lies between %d (fails) and %d (captures): probing it"
                % (c.title, est, result["fails_mib"], min_ok))
            if run(est):
                result["min_mib"] = min_ok = est
            else:
                result["fails_mib"] = est
            result["probes"] = {str(k): v for k, v in sorted(probes.items())}
    if min_ok:
        result["crash_to_capture_init"] = probes[min_ok]["crash_to_capture_init"]
    os.makedirs(CACHE_DIR, exist_ok=True)
    with open(c.cache_path(), "w") as f:
        json.dump(result, f, indent=1)
    return result


def verdict(res):
    """'' when the estimate is safe, else a loud warning."""
    est = (res.get("estimate") or {}).get("crashkernel_mib")
    lo, ok = res.get("fails_mib"), res.get("min_mib")
    if not est:
        return ""
    if lo and est <= lo:
        return "ESTIMATE TOO LOW: it recommends %d MiB, but %d MiB (not less) failed to capture" % (est, lo)
    if ok and est < ok:
        return "ESTIMATE UNVERIFIED: it recommends %d MiB, below the smallest size seen to capture (%d)" % (est, ok)
    if not ok:
        return "ESTIMATE UNVERIFIED: nothing captured"
    return ""


def print_table(results, note=""):
    """contender | smallest crashkernel= | first failing size and why | crash -> capture /init | estimate."""
    print("\nsmallest crash region that captures%s" % note)
    print("  %-42s %-10s %-13s %-14s %s" % ("contender", "smallest", "crash->init", "estimate",
                                           "first failing size (next one down): why"))
    warnings = []
    for c in CONTENDERS:
        res = results.get(c.key)
        if not res:
            print("  %-42s %-10s %-13s %-14s %s" % (c.title, "-", "-", "-", "not measured (bench/min-region %s)" % c.key))
            continue
        ok, lo = res.get("min_mib"), res.get("fails_mib")
        est = res.get("estimate") or {}
        boot = res.get("crash_to_capture_init")
        why = (res.get("probes", {}).get(str(lo), {}).get("reason", "not probed this search") if lo else "-")
        flag = verdict(res)
        if flag:
            warnings.append("%s: %s" % (c.title, flag))
        est_cell = ("%dM" % est["crashkernel_mib"]) if est.get("crashkernel_mib") else "-"
        if est.get("at_search") and est["at_search"] != est.get("crashkernel_mib"):
            est_cell += " (%dM)" % est["at_search"]
        print("  %-42s %-10s %-13s %-14s %s" % (
            c.title, ("%dM" % ok) if ok else "none", "-" if boot is None else "%.1f s" % boot,
            est_cell + (" !!" if flag else ""), ("%dM: %s" % (lo, why)) if lo else why))
    print("  (%s; searched at %d MiB resolution; crash->init: Xen's crash to the capture's /init (for "
          "the dracut images their pre-hook, i.e. the collector start) at the smallest size; estimate: xen-kdump estimate's "
          "crashkernel= for the same kernel, initramfs and engine; in parentheses what it said at the search, "
          "when today's build says otherwise)" % (
              ", ".join(sorted({r.get("when", "?")[:16] for r in results.values() if r})) or "-", RESOLUTION))
    for w in warnings:
        print("\n  !!!!! %s !!!!!" % w)
    return not warnings


def measure(keys, verbose=False, max_probes=MAX_PROBES):
    return {k: search(BY_KEY[k], verbose=verbose, max_probes=max_probes) for k in keys}


def refresh_estimate(res):
    """Today's xen-kdump estimate on exactly the files the search measured
    (when they still exist): the recommendation may have changed since."""
    est = (res or {}).get("estimate") or {}
    argv = est.get("argv")
    xk = os.path.join(images.BUILD, "xen-kdump")
    if not argv or not os.path.exists(xk) or not all(os.path.exists(a) for a in argv if a.startswith("/")):
        return res
    r = subprocess.run([xk] + argv, capture_output=True, text=True)
    m = re.search(r"needed\s+([0-9.]+) MiB\s+->\s+crashkernel=(\d+)([MG])", r.stdout)
    if r.returncode == 0 and m:
        res = dict(res, estimate=dict(est, crashkernel_mib=int(m.group(2)) * (1024 if m.group(3) == "G" else 1),
                                      needed_mib=float(m.group(1)), at_search=est.get("crashkernel_mib")))
    return res


def cached(keys):
    """The last search of each contender, its estimate re-run with today's build."""
    return {k: refresh_estimate(load_cached(BY_KEY[k])) for k in keys}


def selftest():
    """No VM: the search against simulated contenders, and the failure reasons
    against canned console logs.  Returns the number of failed checks."""
    import tempfile
    global CACHE_DIR
    failed = 0

    def check(cond, what):
        nonlocal failed
        print("  %s %s" % ("ok  " if cond else "FAIL", what))
        failed += 0 if cond else 1

    class Fake:
        def __init__(self, need, est=None):
            self.need, self.runs, self.estimate = need, [], dict(crashkernel_mib=est) if est else {}

        def __call__(self, c, mib, verbose):
            self.runs.append(mib)
            ok = mib >= self.need
            return dict(ok=ok, reason="captured" if ok else "too small", crash_to_capture_init=1.0 if ok else None), self

    saved_cache = CACHE_DIR
    with tempfile.TemporaryDirectory() as tmp:
        CACHE_DIR = tmp
        try:
            c = Contender("t", "test", "none", "XKD_T", 32, 64, "native", 1)
            for need, lo, hi in ((41, 32, 64), (96, 32, 64), (20, 32, 64), (488, 464, 512), (500, 384, 640)):
                f = Fake(need)
                r = search(c, lo, hi, probe_fn=f)
                exact = r["min_mib"] is not None and r["min_mib"] >= need and r["min_mib"] - need < RESOLUTION
                check(exact and r["complete"] and r["fails_mib"] < need and len(f.runs) <= MAX_PROBES,
                      "need %d MiB from [%d, %d]: smallest %s, fails %s, %d runs %s"
                      % (need, lo, hi, r["min_mib"], r["fails_mib"], len(f.runs), f.runs))
            f = Fake(300)
            r = search(c, 32, 64, probe_fn=f)
            check(not r["complete"] and r["min_mib"] >= 300 and r["fails_mib"] < 300 and len(f.runs) == MAX_PROBES,
                  "bounds far off: out of runs, incomplete, but what it says is true: %s-%s, %s"
                  % (r["fails_mib"], r["min_mib"], f.runs))
            f = Fake(41)
            search(c, 32, 64, probe_fn=f)
            f = Fake(41)
            r = search(c, probe_fn=f)   # from the cache the last search left
            check(f.runs == [48, 40] and r["min_mib"] == 48 and r["complete"],
                  "the cached bounds are re-checked, no more: %s" % f.runs)
            f = Fake(20)
            r = search(c, probe_fn=f)   # the cache is stale: the contender shrank
            check(r["min_mib"] == 24 and r["complete"] and len(f.runs) <= 5,
                  "a stale cache costs a few runs: %s" % f.runs)
            f = Fake(2000)
            r = search(c, 32, 64, probe_fn=f)
            check(r["min_mib"] is None and not r["complete"] and max(f.runs) == CEILING and len(f.runs) <= MAX_PROBES,
                  "a contender that never captures stops at %d MiB: %s" % (CEILING, f.runs))
            f = Fake(100, est=92)
            r = search(c, 80, 120, probe_fn=f)
            check(verdict(r).startswith("ESTIMATE TOO LOW"), "an estimate below a failing size is flagged: %r"
                  % verdict(r))
            f = Fake(100, est=101)
            r = search(c, 88, 128, probe_fn=f)
            check(101 in f.runs and r["min_mib"] == 101 and not verdict(r),
                  "an estimate between failing and capturing sizes is probed: %s, %r" % (f.runs, verdict(r)))
        finally:
            CACHE_DIR = saved_cache
    logs = [
        ("initramfs write error",
         "Executing kexec image\n[0.1] Memory: 100K/410228K available (1K kernel code, 114524K reserved)\n"
         "Initramfs unpacking failed: write error\n", "", {"crash": 1},
         "Initramfs unpacking failed: write error (rootfs full: a tmpfs rootfs holds at most half of the capture "
         "kernel's ~289 MiB RAM, ~144 MiB)"),
        ("OOM panic while booting",
         "Executing kexec image\nkworker/u2:0 invoked oom-killer: gfp\nKernel panic - not syncing: System is "
         "deadlocked on memory\n", "", {"crash": 1},
         "out of memory while the capture kernel boots (kworker/u2:0 invoked the OOM killer; panic: System is "
         "deadlocked on memory)"),
        ("OOM kill after /init",
         "Executing kexec image\nOut of memory: Killed process 12 (makedumpfile) total-vm\n", "",
         {"crash": 1, "capture_init": 2}, "out of memory after capture /init: OOM killer killed makedumpfile"),
        ("kexec-tools cannot load", "", "kexec -p\nlocate_hole failed\n", {},
         "cannot load: locate_hole failed"),
        ("loader refuses", "", "crash region is 64 MiB but this capture image needs 96 MiB\n", {},
         "load refused: the loader wants 96 MiB"),
    ]
    for what, serial, dom0, phases, want in logs:
        with tempfile.TemporaryDirectory() as out:
            for name, text in (("serial.log", serial), ("dom0.log", dom0)):
                with open(os.path.join(out, name), "w") as f:
                    f.write(text)
            got = why_failed(out, phases, ["harness failure"])
            check(got == want, "%s: %r" % (what, got))
    return failed
