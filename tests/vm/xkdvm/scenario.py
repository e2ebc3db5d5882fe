"""Scenarios: one python file each under tests/vm/scenarios/ (see tests/vm/README.md).

A scenario file sets module-level names; everything not set takes the default
below.  Files whose name starts with '_' are shared helpers, not scenarios.
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/vm
SCENARIO_DIR = os.path.join(HERE, "scenarios")

CRASH_METHODS = ("dom0-panic", "xen-key", "xen-panic", "none")
ROOTFS_KINDS = (None, "debian")
FIRMWARES = ("bios", "uefi")
DISTROS = ("trixie",)  # profiles in xkdvm/distro.py; None is Debian 12

# What the capture kernel gets on its command line when the loader does not decide.
CAPTURE_CMDLINE = ("console=ttyS0,115200 irqpoll nr_cpus=1 maxcpus=1 reset_devices panic=10 "
                   "no_timer_check rdinit=/init")

DEFAULTS = dict(
    DESCRIPTION="",
    ESSENTIAL=False,        # run by `make check` (tests/vm/run --essential)
    CRASH="dom0-panic",     # one of CRASH_METHODS
    SMP=2,                  # QEMU -smp: the physical CPUs Xen sees
    MEMORY_MB=2048,         # QEMU -m
    CRASHKERNEL="256M",     # Xen crashkernel= (None: leave it off)
    DOM0_MEM="512M",        # Xen dom0_mem= (also used as max:)
    XEN_ARGS="",            # extra Xen command line
    DOM0_ARGS="",           # extra dom0 kernel command line
    QEMU_ARGS=(),           # extra QEMU arguments
    DOM0_BINARIES=(),       # host executables copied into dom0 with their libraries
    DOM0_FILES={},          # {path in dom0: host path}
    CAPTURE_BINARIES=(),    # host executables copied into the capture initramfs
    CAPTURE_FILES={},       # {path in capture initramfs: host path}
    CAPTURE_CMDLINE=CAPTURE_CMDLINE,  # exported to dom0 as $CAPTURE_CMDLINE
    DOM0_SCRIPT="",         # sh -e, in dom0 before the crash (loads the capture image)
    CAPTURE_SCRIPT="",      # sh -e, in the capture kernel (writes to $OUT)
    VMCORE_HEAD=256 * 1024,  # bytes of /proc/vmcore saved to $OUT/vmcore-head
    TIMEOUTS={},            # per-phase overrides, see runner.TIMEOUTS
    ROOTFS=None,            # "debian": dom0 boots a Debian 12 root fs from a virtio disk (xkdvm/rootfs.py)
    ROOTFS_SCRIPT="",       # sh -e on the host: customise the run's copy of the root fs ($ROOT)
    REBOOTS=0,              # 1: after the capture the machine reboots into dom0 once more
    DISTRO=None,            # "trixie": Debian 13's Xen 4.20 + Linux 6.12 (xkdvm/distro.py)
    FIRMWARE="bios",        # "uefi": Xen's xen.efi booted by OVMF from an EFI system partition (xkdvm/uefi.py)
    check=None,             # check(run): host-side assertions on run.out
)
# BASE = {...}: a shared recipe's settings (e.g. _debian.appliance()), taken
# where the scenario does not set the name itself.


class ScenarioError(Exception):
    pass


class Scenario:
    def __init__(self, name, path, module):
        self.name = name
        self.path = path
        base = getattr(module, "BASE", {})
        for key, default in DEFAULTS.items():
            setattr(self, key.lower() if key != "check" else "check",
                    getattr(module, key, base.get(key, default)))
        unknown = [k for k in list(vars(module)) + list(base) if k.isupper() and k not in DEFAULTS and k != "BASE"]
        if unknown:
            raise ScenarioError("%s: unknown setting(s) %s (known: %s)"
                                % (path, ", ".join(unknown), ", ".join(k for k in DEFAULTS if k.isupper())))
        if self.crash not in CRASH_METHODS:
            raise ScenarioError("%s: CRASH = %r; use one of %s" % (path, self.crash, ", ".join(CRASH_METHODS)))
        if self.rootfs not in ROOTFS_KINDS:
            raise ScenarioError("%s: ROOTFS = %r; use one of %s" % (path, self.rootfs, ROOTFS_KINDS))
        # With a root fs the capture image is the one dom0 loads from it.
        if self.crash != "none" and not self.rootfs and not self.capture_script.strip():
            raise ScenarioError("%s: a crash scenario needs a CAPTURE_SCRIPT" % path)
        if self.reboots not in (0, 1):
            raise ScenarioError("%s: REBOOTS = %r; 0 or 1" % (path, self.reboots))
        if self.reboots and not self.rootfs:
            raise ScenarioError("%s: REBOOTS needs a ROOTFS (the busybox dom0 has nothing to reboot into)" % path)
        if self.distro is not None and self.distro not in DISTROS:
            raise ScenarioError("%s: DISTRO = %r; use one of %s" % (path, self.distro, DISTROS))
        if self.firmware not in FIRMWARES:
            raise ScenarioError("%s: FIRMWARE = %r; use one of %s" % (path, self.firmware, FIRMWARES))
        if self.check is not None and not callable(self.check):
            raise ScenarioError("%s: check must be a function check(run)" % path)

    def xen_cmdline(self):
        args = ["console=com1", "com1=115200,8n1", "loglvl=all", "guest_loglvl=all"]
        if self.dom0_mem:
            args.append("dom0_mem=%s,max:%s" % (self.dom0_mem, self.dom0_mem))
        if self.crashkernel:
            args.append("crashkernel=%s" % self.crashkernel)
        if self.crash == "xen-panic" and "nmi=" not in self.xen_args:
            args.append("nmi=fatal")  # an NMI of unknown reason then panics Xen
        if self.xen_args:
            args.append(self.xen_args)
        return " ".join(args)

    def dom0_cmdline(self):
        args = "console=hvc0 earlyprintk=xen"
        if self.rootfs:  # the harness makes the root fs disk the first virtio disk
            args = "root=/dev/vda ro " + args
        return args + (" " + self.dom0_args if self.dom0_args else "")


def _load_module(name, path):
    spec = importlib.util.spec_from_file_location("xkd_scenario_" + name.replace("-", "_"), path)
    mod = importlib.util.module_from_spec(spec)
    import sys
    if SCENARIO_DIR not in sys.path:
        sys.path.insert(0, SCENARIO_DIR)  # scenarios may `import _common`
    spec.loader.exec_module(mod)
    return mod


def _paths():
    """NAME -> file.  Scenarios live one folder down, grouped by what they prove
    (anchor/, load/, collect/, appliance/, trixie/, capture-kernel/, bench/); the
    shared helpers (_*.py) stay at the top, on the import path."""
    found = {}
    for group in sorted(os.listdir(SCENARIO_DIR)):
        folder = os.path.join(SCENARIO_DIR, group)
        if group.startswith(("_", ".")) or not os.path.isdir(folder):
            continue
        for f in os.listdir(folder):
            if f.endswith(".py") and not f.startswith("_"):
                if f[:-3] in found:
                    raise ScenarioError("scenario %s is in two groups: %s and %s" % (f[:-3], found[f[:-3]], folder))
                found[f[:-3]] = os.path.join(folder, f)
    return found


def names():
    return sorted(_paths())


def path_of(name):
    path = _paths().get(name)
    if path is None:
        raise ScenarioError("no scenario %s (tests/vm/run --list shows them)" % name)
    return path


def load(name):
    path = path_of(name)
    return Scenario(name, path, _load_module(name, path))


def load_all():
    return [load(n) for n in names()]
