"""Host-side tests of the harness itself (tests/vm/run --selftest): no VM, no root."""
import fcntl
import os
import shutil
import struct
import subprocess
import tempfile
import time
import traceback
import types

from . import cache, checks, initramfs, notes, rootfs, runner, scenario, uefi
from .machine import Machine

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def crash_info(major=4, minor=17, phys=0x7f600000):
    return struct.pack("<10Q", major, minor, 0xffff82d040400000, 0, 0, 0, 0, 0, phys, 0)


VMCOREINFO_XEN = b"PAGESIZE=4096\nSYMBOL(domain_list)=ffff82d04057b380\nSIZE(page_info)=32\n\0"


def xen_core(cpus=2, info=True, vmcoreinfo=True, pad_to=0):
    ns = []
    for cpu in range(cpus):
        ns.append(("CORE", notes.NT_PRSTATUS, bytes(336)))
        ns.append(("Xen", notes.XEN_ELFNOTE_CRASH_REGS, bytes(32)))
        if cpu == 0 and info:
            ns.append(("Xen", notes.XEN_ELFNOTE_CRASH_INFO, crash_info()))
    if vmcoreinfo:
        ns.append(("VMCOREINFO_XEN", 0, VMCOREINFO_XEN))
    return notes.build_core(ns, loads=[(0x100000, 4096), (0x200000, 8192)], pad_to=pad_to)


class FakeRun(runner.Run):
    def __init__(self, data, smp=2):
        super().__init__(types.SimpleNamespace(smp=smp, name="fake"), "/nonexistent")
        self._core = notes.Core(data)


def expect_raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return str(e)
    raise AssertionError("%s not raised by %s" % (exc.__name__, fn.__name__))


@test
def notes_of_a_xen_core():
    core = notes.Core(xen_core(cpus=3))
    assert len(core.prstatus()) == 3, core.summary()
    assert len(core.crash_regs()) == 3
    info = core.crash_info()
    assert (info["xen_major_version"], info["xen_minor_version"]) == (4, 17), info
    assert info["xen_phys_start"] == 0x7f600000
    vi = core.vmcoreinfo()
    assert vi["PAGESIZE"] == "4096" and vi["SIZE(page_info)"] == "32", vi
    assert [p["paddr"] for p in core.loads] == [0x100000, 0x200000]
    assert "3 x CORE/0x1" in core.summary(), core.summary()


@test
def xen_notes_check_accepts_a_good_core_and_rejects_bad_ones():
    checks.xen_notes(FakeRun(xen_core(cpus=2), smp=2))
    msg = expect_raises(runner.CheckFailed, checks.xen_notes, FakeRun(xen_core(cpus=1), smp=2))
    assert "1 CORE NT_PRSTATUS" in msg, msg
    msg = expect_raises(runner.CheckFailed, checks.xen_notes, FakeRun(xen_core(info=False)))
    assert "CRASH_INFO" in msg, msg
    msg = expect_raises(runner.CheckFailed, checks.xen_notes, FakeRun(xen_core(vmcoreinfo=False)))
    assert "VMCOREINFO_XEN" in msg, msg
    bad = notes.build_core([("CORE", 1, bytes(336)), ("CORE", 1, bytes(336)),
                            ("Xen", notes.XEN_ELFNOTE_CRASH_REGS, bytes(32)),
                            ("Xen", notes.XEN_ELFNOTE_CRASH_REGS, bytes(32)),
                            ("Xen", notes.XEN_ELFNOTE_CRASH_INFO, crash_info(4, 16)),
                            ("VMCOREINFO_XEN", 0, VMCOREINFO_XEN)], loads=[(0, 4096)])
    msg = expect_raises(runner.CheckFailed, checks.xen_notes, FakeRun(bad))
    assert "4.16" in msg, msg


@test
def truncated_and_malformed_heads_are_errors():
    data = xen_core()
    expect_raises(notes.NotesError, notes.Core, data[:200])        # notes cut off
    expect_raises(notes.NotesError, notes.Core, data[:40])         # header cut off
    expect_raises(notes.NotesError, notes.Core, b"\0" * 4096)      # not ELF
    # A note whose descsz runs past its PT_NOTE.
    ph_off = 64
    note_off = struct.unpack_from("<Q", data, ph_off + 8)[0]
    broken = bytearray(data)
    struct.pack_into("<I", broken, note_off + 4, 1 << 20)
    msg = expect_raises(notes.NotesError, notes.Core, bytes(broken))
    assert "overruns" in msg, msg
    # Zero padding after the last note is fine (what /proc/vmcore may carry).
    padded = notes.parse_notes(b"\x01\0\0\0\0\0\0\0\x07\0\0\0A\0\0\0" + bytes(24), 0, 40)
    assert len(padded) == 1 and padded[0].name == "A" and padded[0].type == 7


def _parse_cpio(data):
    """An independent newc reader: [(name, mode, body)]."""
    out, pos = [], 0
    while True:
        assert data[pos:pos + 6] == b"070701", "bad magic at %d" % pos
        f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize, mode = f[11], f[6], f[1]
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        body = data[pos:pos + filesize]
        pos += filesize
        pos += -pos % 4
        if name == "TRAILER!!!":
            return out
        out.append((name, mode, body))


@test
def cpio_images_round_trip():
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "prog")
        with open(src, "wb") as f:
            f.write(b"\x7fELF-ish" * 3)
        img = initramfs.Image("selftest")
        img.add_file("/usr/sbin/prog", src, 0o755)
        img.add_data("/etc/xkd/env", "A=1\n")
        img.add_link("/bin/sh", "/bin/busybox")
        data = img.cpio()
        entries = {n: (m, b) for n, m, b in _parse_cpio(data)}
        assert entries["usr/sbin/prog"] == (0o100755, b"\x7fELF-ish" * 3), entries["usr/sbin/prog"]
        assert entries["etc/xkd/env"][1] == b"A=1\n"
        assert entries["bin/sh"] == (0o120777, b"/bin/busybox")
        assert entries["usr"][0] == 0o40755 and "usr/sbin" in entries and "etc/xkd" in entries
        if shutil.which("cpio"):  # cross-check with GNU cpio
            r = subprocess.run(["cpio", "-t", "--quiet"], input=data, stdout=subprocess.PIPE)
            assert r.returncode == 0 and "usr/sbin/prog" in r.stdout.decode().split(), r
        d1 = img.digest()
        img.add_data("/etc/xkd/env", "A=2\n")
        assert img.digest() != d1, "the cache key must change with the content"
    finally:
        shutil.rmtree(tmp)


@test
def module_order_puts_dependencies_first_and_skips_builtins():
    tmp = tempfile.mkdtemp()
    try:
        with open(os.path.join(tmp, "modules.dep"), "w") as f:
            f.write("kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n"
                    "kernel/net/9p/9pnet.ko:\n"
                    "kernel/fs/netfs/netfs.ko:\n"
                    "kernel/drivers/xen/xen-privcmd.ko:\n")
        with open(os.path.join(tmp, "modules.builtin"), "w") as f:
            f.write("kernel/drivers/virtio/virtio.ko\n")
        order = initramfs.module_order(tmp, ["9p", "virtio", "xen_privcmd", "9pnet"])
        assert order == ["kernel/net/9p/9pnet.ko", "kernel/fs/netfs/netfs.ko", "kernel/fs/9p/9p.ko",
                         "kernel/drivers/xen/xen-privcmd.ko"], order
        expect_raises(initramfs.ImageError, initramfs.module_order, tmp, ["nosuch"])
    finally:
        shutil.rmtree(tmp)


@test
def every_scenario_loads_and_essentials_exist():
    all_sc = scenario.load_all()
    assert all_sc, "no scenarios"
    assert any(sc.essential for sc in all_sc), "no essential scenario: make check would test nothing"
    for sc in all_sc:
        assert sc.crash in scenario.CRASH_METHODS
        assert ("nmi=fatal" in sc.xen_cmdline()) == (sc.crash == "xen-panic"), sc.xen_cmdline()


@test
def bad_scenarios_are_rejected_with_a_reason():
    mod = types.SimpleNamespace(CRASH="reboot", CAPTURE_SCRIPT="true")
    msg = expect_raises(scenario.ScenarioError, scenario.Scenario, "x", "x.py", mod)
    assert "dom0-panic" in msg, msg
    mod = types.SimpleNamespace(CRASH="dom0-panic", CAPTURE_SCRIPT="true", SMPP=4)
    msg = expect_raises(scenario.ScenarioError, scenario.Scenario, "x", "x.py", mod)
    assert "SMPP" in msg, msg
    mod = types.SimpleNamespace(CRASH="xen-key")
    expect_raises(scenario.ScenarioError, scenario.Scenario, "x", "x.py", mod)


@test
def rootfs_scenarios_are_checked_and_boot_from_their_disk():
    mod = types.SimpleNamespace(ROOTFS="debian", REBOOTS=1)  # no CAPTURE_SCRIPT: the root fs's image
    sc = scenario.Scenario("x", "x.py", mod)
    assert sc.dom0_cmdline().startswith("root=/dev/vda ro "), sc.dom0_cmdline()
    msg = expect_raises(scenario.ScenarioError, scenario.Scenario, "x", "x.py",
                        types.SimpleNamespace(ROOTFS="fedora"))
    assert "debian" in msg, msg
    msg = expect_raises(scenario.ScenarioError, scenario.Scenario, "x", "x.py",
                        types.SimpleNamespace(CAPTURE_SCRIPT="true", REBOOTS=1))
    assert "ROOTFS" in msg, msg
    expect_raises(scenario.ScenarioError, scenario.Scenario, "x", "x.py",
                  types.SimpleNamespace(ROOTFS="debian", REBOOTS=2))
    assert not scenario.Scenario("x", "x.py", types.SimpleNamespace(CAPTURE_SCRIPT="true")).rootfs
    # The recipe's key moves with the kernel (its modules must match) and with the package list.
    assert rootfs._key("6.1.0-1-amd64") != rootfs._key("6.1.0-2-amd64")
    assert "linux-image-6.1.0-1-amd64" in rootfs.packages("6.1.0-1-amd64")


@test
def only_a_rebooting_machine_runs_without_no_reboot():
    tmp = tempfile.mkdtemp()
    try:
        for reboot in (False, True):
            m = Machine(tmp, "/x", "", "/k", "", "/i", 2, 2048, ["-drive", "file=d"], reboot=reboot)
            assert ("-no-reboot" in m.cmd) == (not reboot), m.cmd
            assert m.cmd[-2:] == ["-drive", "file=d"], m.cmd
            m.stop()
    finally:
        shutil.rmtree(tmp)


@test
def a_uefi_machine_boots_firmware_and_its_esp_carries_xen_dom0_and_both_command_lines():
    tmp = tempfile.mkdtemp()
    try:
        fw = ["-drive", "if=pflash,file=code"]
        m = Machine(tmp, "/x,y", "", "/k", "", "/i", 2, 2048, ["-drive", "file=d"], firmware_args=fw)
        assert "-kernel" not in m.cmd and "-initrd" not in m.cmd, m.cmd  # and a comma is no longer refused
        assert m.cmd[-4:] == fw + ["-drive", "file=d"], m.cmd
        m.stop()
        cfg = uefi.xen_config("console=com1 crashkernel=512M", "root=/dev/vda console=hvc0")
        assert "default=xkd" in cfg and "\noptions=console=com1 crashkernel=512M\n" in cfg, cfg
        assert "\nkernel=vmlinuz root=/dev/vda console=hvc0\n" in cfg and "ramdisk=initrd.img" in cfg, cfg
        expect_raises(uefi.UefiError, uefi.xen_config, "a\nb", "")
        if all(os.path.exists(f) for f in (uefi.OVMF_CODE, uefi.OVMF_VARS)) and shutil.which("mcopy"):
            for name, data in (("x.efi", b"MZ" + b"\0" * 4094), ("k", b"K" * 5000), ("i", b"I" * 7000)):
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(data)
            esp = uefi.esp_image(os.path.join(tmp, "esp.img"), os.path.join(tmp, "x.efi"), "xen-args",
                                 os.path.join(tmp, "k"), "dom0-args", os.path.join(tmp, "i"))
            listing = subprocess.run(["mdir", "-i", esp, "-b", "::/EFI/BOOT"], stdout=subprocess.PIPE,
                                     text=True).stdout
            for f in ("BOOTX64.EFI", "BOOTX64.cfg", "vmlinuz", "initrd.img"):
                assert f in listing, listing
            got = subprocess.run(["mtype", "-i", esp, "::/EFI/BOOT/BOOTX64.cfg"], stdout=subprocess.PIPE,
                                 text=True).stdout
            assert "options=xen-args" in got and "kernel=vmlinuz dom0-args" in got, got
            args = uefi.qemu_args(tmp, esp)
            assert "bootindex=0" in " ".join(args) and os.path.exists(os.path.join(tmp, "OVMF_VARS.fd")), args
    finally:
        shutil.rmtree(tmp)


@test
def serial_markers_become_phases():
    tmp = tempfile.mkdtemp()
    try:
        m = Machine(tmp, "/x", "", "/k", "", "/i", 2, 2048)
        m.t0 = 0.0
        m.now = lambda: 12.5
        m._line(b"[    7.1] XKD-PHASE dom0_init\r\n")
        m.now = lambda: 20.0
        m._line(b"garbage XKD-PHASE dom0_init")  # the first one counts
        m._line(b"(XEN) Hardware Dom0 crashed: Executing kexec image on cpu0")
        m._line(b"XKD-FAIL cannot mount the 9p share")
        assert m.phases == {"dom0_init": 12.5, "kexec_exec": 20.0}, m.phases
        assert m.failure == "cannot mount the 9p share", m.failure
        m.stop()
        with open(os.path.join(tmp, "serial.log")) as f:
            log = f.read()
        assert "[   12.50] [    7.1] XKD-PHASE dom0_init\n" in log, log
    finally:
        shutil.rmtree(tmp)


@test
def the_vm_lock_is_exclusive():
    tmp = tempfile.mkdtemp()
    old = cache.LOCK_PATH
    try:
        cache.LOCK_PATH = os.path.join(tmp, "vm.lock")
        with cache.vm_lock(quiet=True):
            with open(cache.LOCK_PATH) as f:
                expect_raises(BlockingIOError, fcntl.flock, f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with open(cache.LOCK_PATH) as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released again
    finally:
        cache.LOCK_PATH = old
        shutil.rmtree(tmp)


@test
def the_vm_lock_serves_callers_in_arrival_order():
    import threading
    tmp = tempfile.mkdtemp()
    old = cache.LOCK_PATH
    try:
        cache.LOCK_PATH = os.path.join(tmp, "vm.lock")
        qdir = cache.LOCK_PATH + ".queue"
        os.makedirs(qdir)
        # An older ticket of a live process (ours) goes first; one of a dead process is dropped.
        earlier = "%020d-%d-aaaaaa" % (1, os.getpid())
        open(os.path.join(qdir, earlier), "w").close()
        open(os.path.join(qdir, "%020d-%d-bbbbbb" % (0, 2 ** 22 + 7)), "w").close()
        got = []

        def caller():
            with cache.vm_lock(quiet=True):
                got.append(time.monotonic())
        t = threading.Thread(target=caller)
        t.start()
        time.sleep(1.5)
        assert not got, "the lock was taken past an older live ticket"
        assert not any(n.startswith("%020d-" % 0) for n in os.listdir(qdir)), "dead ticket kept"
        os.unlink(os.path.join(qdir, earlier))
        t.join(10)
        assert got and not t.is_alive(), "the lock was not taken once the queue moved"
        assert os.listdir(qdir) == [], os.listdir(qdir)
    finally:
        cache.LOCK_PATH = old
        shutil.rmtree(tmp)


@test
def image_cache_keeps_the_most_recently_used():
    tmp = tempfile.mkdtemp()
    old = os.environ.get("XKD_CACHE")
    try:
        os.environ["XKD_CACHE"] = tmp
        for i, name in enumerate(("dom0-a", "dom0-b", "dom0-c", "capture-a")):
            path = cache.image_path(name, ".cpio.gz")
            cache.store(path, b"x")
            os.utime(path, (1000 + i, 1000 + i))
        os.utime(cache.image_path("dom0-a", ".cpio.gz"))  # just used
        cache.prune("dom0-", keep=2)
        left = sorted(os.listdir(os.path.join(tmp, "images")))
        assert left == ["capture-a.cpio.gz", "dom0-a.cpio.gz", "dom0-c.cpio.gz"], left
    finally:
        if old is None:
            os.environ.pop("XKD_CACHE", None)
        else:
            os.environ["XKD_CACHE"] = old
        shutil.rmtree(tmp)


@test
def timings_json_orders_phases_and_steps():
    tmp = tempfile.mkdtemp()
    try:
        r = runner.Run(types.SimpleNamespace(name="t"), tmp)
        r.phases = {"qemu_start": 0.0, "dom0_init": 14.0, "load_done": 17.5, "crash": 17.6,
                    "kexec_exec": 17.7, "capture_init": 27.0}
        with open(os.path.join(tmp, "dump"), "wb") as f:
            f.write(b"x" * 100)
        runner._write_timings(r, 30.0)
        t = r.timings
        assert list(t["phases"]) == ["qemu_start", "dom0_init", "load_done", "crash", "capture_init"]
        assert t["steps"]["crash->capture_init"] == 9.4, t["steps"]
        assert t["other_markers"] == {"kexec_exec": 17.7}
        assert t["dump_bytes"] == 100 and t["result"] == "pass"
        assert os.stat(os.path.join(tmp, "timings.json")).st_mode & 0o077 == 0
    finally:
        shutil.rmtree(tmp)


class _NmiMachine:
    """Machine's surface _nmi_until_panic uses: Xen answers the answer_at-th NMI."""

    def __init__(self, outdir, answer_at):
        self.outdir, self.answer_at, self.smp = outdir, answer_at, 2
        self.lines, self.phases, self.sent = [], {}, []
        self.log = open(os.path.join(outdir, "serial.log"), "w")

    def monitor(self, command):
        self.sent.append(command)
        if command == "nmi" and self.sent.count("nmi") == self.answer_at:
            self.lines.append((1.0, "(XEN) Uhhuh. NMI received for unknown reason 31."))
        if command.startswith("info lapic"):  # Xen's setup: LINT1 is NMI on CPU 0, masked elsewhere
            masked = "masked" if not command.endswith(" 0") else ""
            return "info lapic\r\nLVT1\t 0x000%s0400 active-hi edge %s NMI\r\n(qemu) " % ("1" if masked else "0", masked)
        return "(qemu) "

    def wait_for(self, predicate, timeout, what):
        if not predicate():
            raise runner.MachineError("timed out after %d s waiting for %s" % (timeout, what))


@test
def a_lost_nmi_is_sent_again_and_xen_silent_after_all_fails():
    tmp = tempfile.mkdtemp(prefix="xkd-selftest-")
    try:
        left = lambda phase: 60  # noqa: E731
        m = _NmiMachine(tmp, answer_at=1)
        runner._nmi_until_panic(m, left)
        assert m.sent == ["nmi"] and m.phases["nmi_sent"] == 1, m.sent
        m = _NmiMachine(tmp, answer_at=3)  # two NMIs lost
        runner._nmi_until_panic(m, left)
        assert m.sent.count("nmi") == 3 and m.phases["nmi_sent"] == 3, m.sent
        assert os.path.exists(os.path.join(tmp, "nmi-attempt-2.txt"))
        assert "info registers -a" in m.sent  # what the CPUs did when Xen said nothing
        assert "info lapic 0" in m.sent and "info lapic 1" in m.sent  # and whether LINT1 could take the NMI
        with open(os.path.join(tmp, "nmi-attempt-2.txt")) as f:
            head = f.readline() + f.readline()
        assert "CPU0 LINT1: 0x00000400 active-hi edge NMI" in head and "CPU1 LINT1: 0x00010400" in head, head
        m = _NmiMachine(tmp, answer_at=99)
        expect_raises(runner.MachineError, runner._nmi_until_panic, m, left)
        assert m.sent.count("nmi") == runner.NMI_ATTEMPTS, m.sent
    finally:
        shutil.rmtree(tmp)


from .selftest_vlan import TESTS as _VLAN_TESTS  # noqa: E402 (after this file's own)
TESTS.extend(_VLAN_TESTS)


def main():
    passed = failed = 0
    for i, fn in enumerate(TESTS, 1):
        try:
            fn()
            print("ok %d - %s" % (i, fn.__name__))
            passed += 1
        except Exception:
            print("not ok %d - %s" % (i, fn.__name__))
            print("# " + traceback.format_exc().replace("\n", "\n# "))
            failed += 1
    print("selftest: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
