"""Play one scenario: build its images, boot, crash, capture, assert."""
import json
import os
import re
import shutil
import time

from . import cache, images, notes, rootfs, uefi
from .machine import Machine, MachineError
from .scenario import HERE

OUT_ROOT = os.environ.get("XKD_VM_OUT", os.path.join(HERE, "out"))

# Seconds allowed for each phase, counted from the previous one (TCG, 2 cores,
# nothing else running).  Measured here: dom0_init 11-16 s, load 2-4 s,
# crash -> capture_init 9-13 s, capture 8-14 s.  TOTAL bounds the whole VM run.
# With REBOOTS: rebooted (dom0 of the next boot up) and reboot_done (its checks
# printed) follow capture_done.
TIMEOUTS = dict(dom0_init=180, load_done=240, ready=60, crash=60, capture_init=180,
                capture_done=420, rebooted=300, reboot_done=300, poweroff=60, TOTAL=900)

PHASES = ("qemu_start", "dom0_init", "load_done", "crash", "capture_init", "capture_done",
          "rebooted", "reboot_done", "poweroff")


class CheckFailed(Exception):
    pass


class Run:
    """What a scenario's check(run) gets: the output dir and parsed results."""

    def __init__(self, scenario, out):
        self.scenario = scenario
        self.out = out
        self.phases = {}
        self.serial = ""
        self.failures = []
        self._core = None
        self.rootfs_disk = None  # ROOTFS scenarios: the run's root fs image
        self.retried = False  # played a second time after a dom0 boot hang

    def rootfs(self):
        """with run.rootfs() as root: the dom0 root fs as the run left it, mounted read-only."""
        self.require(self.rootfs_disk is not None, "this scenario has no ROOTFS")
        return rootfs.Mounted(self.rootfs_disk)

    def path(self, name):
        return os.path.join(self.out, name)

    def exists(self, name):
        return os.path.exists(self.path(name))

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def text(self, name):
        return self.read(name).decode("utf-8", "replace")

    def size(self, name):
        return os.path.getsize(self.path(name))

    def core(self):
        """The parsed ELF header and notes of the capture's /proc/vmcore."""
        if self._core is None:
            self.require(self.exists("vmcore-head"),
                         "the capture kernel saved no vmcore-head (no /proc/vmcore?)")
            try:
                self._core = notes.Core(self.read("vmcore-head"))
            except notes.NotesError as e:
                raise CheckFailed("vmcore-head: %s" % e)
        return self._core

    def require(self, cond, message):
        if not cond:
            raise CheckFailed(message)

    def dump_files(self):
        return sorted(f for f in os.listdir(self.out) if f.startswith("dump"))

    def dump_bytes(self):
        return sum(self.size(f) for f in self.dump_files())


def _timeouts(sc):
    t = dict(TIMEOUTS)
    t.update(sc.timeouts)
    scale = float(os.environ.get("XKD_VM_TIMEOUT_SCALE", "1"))
    return {k: v * scale for k, v in t.items()}


def _secure(out):
    """Dumps contain secrets: files 0600, dirs 0700."""
    os.chmod(out, 0o700)
    for dirpath, dirs, files in os.walk(out):
        for d in dirs:
            os.chmod(os.path.join(dirpath, d), 0o700)
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, 0o600)


def rootfs_disk_path(sc):
    # Outside the output dir (made afresh under the lock), per checkout.
    return os.path.join(OUT_ROOT, ".rootfs", sc.name, "root.img")


def prepare_rootfs(sc, kernel, say):
    """The run's root fs disk: the cached base image plus ROOTFS_SCRIPT; returns
    (disk, dom0 initrd)."""
    t0 = time.monotonic()
    b = rootfs.base(kernel.version, log=say)
    disk = rootfs_disk_path(sc)
    os.makedirs(os.path.dirname(disk), mode=0o700, exist_ok=True)
    say("preparing the %s root fs (%s)" % (sc.rootfs, sc.name))
    log = rootfs.run_disk(b, disk, sc.rootfs_script or ":",
                          env=dict(REPO=images.REPO, BUILD=images.BUILD, KVER=kernel.version,
                                   XKD_SCENARIO=sc.name))
    with open(os.path.join(os.path.dirname(disk), "prepare.log"), "w") as f:
        f.write(log)
    say("root fs ready in %.0f s" % (time.monotonic() - t0))
    if os.environ.get("XKD_ROOTFS_OWN_INITRD") == "1":
        return disk, b.initrd
    return disk, images.switch_root_image(kernel)


def prepare(sc, say=lambda m: None):
    """Fetch the kernel and build the images (outside the VM lock); returns
    (kernel, xen, dom0 initrd, root fs disk or None)."""
    if sc.distro:
        from . import distro
        return distro.prepare(sc, say)
    kernel = cache.kernel()
    xen = cache.xen_binary()
    if sc.rootfs:
        disk, dom0 = prepare_rootfs(sc, kernel, say)
        return kernel, xen, dom0, disk
    say("building images (kernel %s)" % kernel.version)
    capture = images.capture_image(sc, kernel)
    dom0 = images.dom0_image(sc, kernel, capture)
    return kernel, xen, dom0, None


def _crash(m, sc, left):
    if sc.crash == "dom0-panic":
        m.wait_phase("crash", left("crash"))  # dom0's init prints it just before sysrq c
    elif sc.crash == "xen-key":
        m.wait_phase("ready", left("ready"))
        m.send_serial(b"\x01\x01\x01")
        m.wait_line(r"Serial input to Xen", 30)
        m.mark("crash")
        m.send_serial(b"C")
    elif sc.crash == "xen-panic":
        m.wait_phase("ready", left("ready"))
        m.mark("crash")
        _nmi_until_panic(m, left)


# What Xen prints once an NMI reached it (nmi=fatal): the first line comes at once.
NMI_SEEN_RE = r"NMI received for unknown reason|FATAL TRAP|Panic on CPU"
NMI_WAIT = 45      # seconds for Xen to print that after one NMI (TCG under load: ~1 s idle)
NMI_ATTEMPTS = 4


def _nmi_until_panic(m, left):
    """Send the monitor's `nmi` until Xen says it took one.  Seen once: an NMI
    after `ready` produced no Xen output at all for 180 s.  Each attempt that
    goes unanswered saves the CPUs' registers (nmi-attempt-N.txt): CPUs idle in
    Xen with nothing printed mean the NMI was lost, not that Xen stalled."""
    for attempt in range(1, NMI_ATTEMPTS + 1):
        start = len(m.lines)
        m.monitor("nmi")
        m.phases["nmi_sent"] = attempt
        try:
            m.wait_for(lambda: any(re.search(NMI_SEEN_RE, t) for _, t in m.lines[start:]),
                       min(NMI_WAIT, left("crash")), "Xen's panic after NMI %d" % attempt)
            if attempt > 1:
                m.log.write("[harness] Xen answered NMI %d; the earlier one(s) were lost\n" % attempt)
            return
        except MachineError as e:
            if "timed out" not in str(e):
                raise
            try:
                regs = m.monitor("info registers -a")
                cpus = m.monitor("info cpus")
                # QEMU's `nmi` goes through each CPU's LVT LINT1 and is dropped where
                # that entry is masked (Xen unmasks it on CPU 0 only, and only CPU 0
                # looks for an external NMI's reason): CPU 0's LINT1 says whether
                # the NMI could be delivered at all.
                lapics = [m.monitor("info lapic %d" % cpu) for cpu in range(getattr(m, "smp", 1))]
            except MachineError as e2:
                regs, cpus, lapics = "monitor: %s" % e2, "", []
            regs, cpus, *lapics = (re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\r", "", t) for t in [regs, cpus] + lapics)
            lint1 = [re.search(r"^LVT1\s.*$", t, re.M) for t in lapics]
            verdict = "; ".join("CPU%d LINT1: %s" % (i, " ".join(l.group(0).split()[1:]) if l else "?")
                                for i, l in enumerate(lint1))
            with open(os.path.join(m.outdir, "nmi-attempt-%d.txt" % attempt), "w") as f:
                f.write("no Xen output %d s after NMI %d\n%s\n%s\n%s\n%s\n"
                        % (NMI_WAIT, attempt, verdict, cpus, regs, "\n".join(lapics)))
            m.log.write("[harness] no Xen output %d s after NMI %d (%s; registers and LAPICs in nmi-attempt-%d.txt)\n"
                        % (NMI_WAIT, attempt, verdict, attempt))
    raise MachineError("Xen printed nothing after %d NMIs %d s apart (nmi-attempt-*.txt: the CPUs' "
                       "registers after each)" % (NMI_ATTEMPTS, NMI_WAIT))


def _play(m, sc, t, deadline):
    def left(phase):
        rest = deadline - time.monotonic()
        if rest <= 0:
            raise MachineError("total timeout of %d s exceeded before %s" % (t["TOTAL"], phase))
        return min(t[phase], rest)

    m.start()
    m.wait_phase("dom0_init", left("dom0_init"))
    m.wait_phase("load_done", left("load_done"))
    if sc.crash == "none":
        m.wait_phase("done", left("poweroff"))
        try:
            m.wait_exit(min(20, left("poweroff")))
        except MachineError:
            pass  # dom0's poweroff may only halt Xen; the scenario is over either way
        return
    _crash(m, sc, left)
    try:
        m.wait_phase("capture_init", left("capture_init"))
    except MachineError as e:
        if sc.crash == "xen-panic":  # Xen did panic (_nmi_until_panic saw it): say where it stopped
            kexec = "kexec_exec" in m.phases
            raise MachineError("Xen panicked but never reached the capture kernel's /init (%s): %s"
                               % ("Xen did print 'Executing kexec image'" if kexec
                                  else "Xen never printed 'Executing kexec image'", e))
        raise
    m.wait_phase("capture_done", left("capture_done"))
    if sc.reboots:
        m.wait_phase("rebooted", left("rebooted"))
        m.wait_phase("reboot_done", left("reboot_done"))
    m.wait_exit(left("poweroff"))


def _builtin_checks(run, sc):
    if sc.crash == "none":
        return
    run.require("capture_init" in run.phases, "the capture kernel never ran its /init")
    run.require(run.exists("capture.rc"), "the capture script left no capture.rc")
    rc = run.text("capture.rc").strip()
    run.require(rc == "0", "the capture script exited %s (see capture.log)" % rc)


def run(sc, say=print, on_line=None, on_phase=None):
    """Play scenario sc; returns a Run with .failures (empty on success)."""
    out = os.path.join(OUT_ROOT, sc.name)
    r = Run(sc, out)
    t = _timeouts(sc)
    try:
        kernel, xen, dom0, disk = prepare(sc, say)
        dom0_kernel = kernel.dom0_kernel()
        r.rootfs_disk = disk
    except Exception as e:  # an image that cannot be built fails this scenario only
        os.makedirs(out, mode=0o700, exist_ok=True)
        r.failures.append("preparing the images: %s" % e)
        _write_timings(r, 0)
        return r
    # Everything that touches the output dir happens under the lock, so two
    # callers playing the same scenario do not clobber each other's files.
    with cache.vm_lock():
        for attempt in (1, 2):
            tail = _play_once(r, sc, t, out, xen, dom0_kernel, dom0, disk, on_line, on_phase)
            if attempt == 1 and _boot_hang(sc, r):
                # Nothing of ours has run before dom0's /init: a guest that hangs
                # there is QEMU TCG's (seen once: the Debian kernel stuck after
                # "IP idents hash table entries").  Keep its log, play it once more.
                say("dom0 never reached /init (hung at boot, before any xen-kdump code ran); "
                    "its log is in %s-boot-hang; playing once more" % out)
                shutil.rmtree(out + "-boot-hang", ignore_errors=True)
                os.rename(out, out + "-boot-hang")
                r.failures, r.phases, r.retried = [], {}, True
                continue
            break
    if r.failures:
        r.tail = tail
    return r


def _boot_hang(sc, r):
    """True when the run failed only by timing out before dom0's /init, on a
    dom0 whose /init is the harness's (a ROOTFS dom0 starts our service first)."""
    return (not sc.rootfs and "dom0_init" not in r.phases and len(r.failures) == 1
            and "waiting for phase dom0_init" in r.failures[0])


def _xen_efi(sc):
    if sc.distro:
        from . import distro
        return distro.xen_efi(distro.profile(sc.distro))
    if not os.path.exists(cache.XEN_EFI):
        raise MachineError("%s is missing: apt-get install xen-hypervisor-4.17-amd64 (make deps)" % cache.XEN_EFI)
    return cache.XEN_EFI


def _play_once(r, sc, t, out, xen, dom0_kernel, dom0, disk, on_line, on_phase):
    """One QEMU run of sc plus its checks, under the VM lock; returns the console tail."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out, mode=0o700)
    wall0 = time.monotonic()
    qemu_args = list(sc.qemu_args)
    if disk:  # first, so dom0 sees it as /dev/vda
        qemu_args[:0] = ["-drive", "file=%s,if=virtio,format=raw,cache=unsafe" % disk]
    firmware_args = None
    if sc.firmware == "uefi":
        try:
            esp = uefi.esp_image(os.path.join(out, "esp.img"), _xen_efi(sc), sc.xen_cmdline(), dom0_kernel,
                                 sc.dom0_cmdline(), dom0)
            firmware_args = uefi.qemu_args(out, esp)
        except (uefi.UefiError, MachineError, OSError) as e:
            r.failures.append("preparing the EFI system partition: %s" % e)
            return ""
    m = Machine(out, xen, sc.xen_cmdline(), dom0_kernel, sc.dom0_cmdline(), dom0, sc.smp,
                sc.memory_mb, qemu_args, on_line=on_line, on_phase=on_phase,
                reboot=bool(sc.reboots), firmware_args=firmware_args)
    try:
        _play(m, sc, t, time.monotonic() + t["TOTAL"])
    except MachineError as e:
        r.failures.append(str(e))
    except Exception as e:
        r.failures.append("harness error: %r" % e)
    finally:
        r.phases = dict(m.phases)
        r.serial = "\n".join(text for _, text in m.lines)
        tail = m.tail()
        m.stop()
    wall = time.monotonic() - wall0
    _secure(out)
    if not r.failures:
        try:
            _builtin_checks(r, sc)
            if sc.check:
                sc.check(r)
        except CheckFailed as e:
            r.failures.append(str(e))
        except AssertionError as e:
            r.failures.append("assertion failed: %s" % (e or "(no message)"))
        except Exception as e:
            r.failures.append("check() raised %r" % e)
        _secure(out)  # what check() wrote, too
    _write_timings(r, wall)
    return tail


def _write_timings(r, wall):
    phases = {p: r.phases[p] for p in PHASES if p in r.phases}
    extra = {p: v for p, v in r.phases.items() if p not in PHASES}
    order = [p for p in PHASES if p in phases]
    steps = {"%s->%s" % (a, b): round(phases[b] - phases[a], 2) for a, b in zip(order, order[1:])}
    data = dict(scenario=r.scenario.name, result="fail" if r.failures else "pass",
                failures=r.failures, phases=phases, steps=steps, other_markers=extra,
                wall_seconds=round(wall, 2), dump_files=r.dump_files(),
                dump_bytes=r.dump_bytes() if r.dump_files() else 0)
    path = r.path("timings.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.chmod(path, 0o600)
    r.timings = data
