"""Assertions scenarios share.  Each raises runner.CheckFailed with a message
that says what was expected and what was found."""
from . import distro, notes
from .runner import CheckFailed


def require(cond, message):
    if not cond:
        raise CheckFailed(message)


def xen_notes(run, cpus=None):
    """The capture's /proc/vmcore carries what Xen writes at a crash: one CORE
    NT_PRSTATUS and one Xen CRASH_REGS per physical CPU, Xen CRASH_INFO (4.17),
    VMCOREINFO_XEN.  Returns the parsed core."""
    cpus = run.scenario.smp if cpus is None else cpus
    core = run.core()
    require(core.e_type == notes.ET_CORE and core.e_machine == notes.EM_X86_64,
            "vmcore is ELF type %d machine %d, expected ET_CORE/x86_64" % (core.e_type, core.e_machine))
    n = len(core.prstatus())
    require(n == cpus, "%d CORE NT_PRSTATUS notes, expected one per physical CPU (%d); notes: %s"
            % (n, cpus, core.summary()))
    n = len(core.crash_regs())
    require(n == cpus, "%d Xen CRASH_REGS notes, expected %d; notes: %s" % (n, cpus, core.summary()))
    info = core.crash_info()
    require(info is not None, "no Xen CRASH_INFO (0x1000001) note; notes: %s" % core.summary())
    want = distro.xen_version(run.scenario)
    require((info["xen_major_version"], info["xen_minor_version"]) == want,
            "CRASH_INFO says Xen %d.%d, expected %d.%d"
            % (info["xen_major_version"], info["xen_minor_version"], *want))
    require(info["xen_phys_start"] and info["xen_phys_start"] % 4096 == 0,
            "CRASH_INFO xen_phys_start %#x is not a page address" % info["xen_phys_start"])
    vi = core.vmcoreinfo("VMCOREINFO_XEN")
    require(vi is not None, "no VMCOREINFO_XEN note; notes: %s" % core.summary())
    require(vi.get("PAGESIZE") == "4096", "VMCOREINFO_XEN PAGESIZE=%r" % vi.get("PAGESIZE"))
    require("SYMBOL(domain_list)" in vi, "VMCOREINFO_XEN lacks SYMBOL(domain_list): %s" % sorted(vi))
    require(core.loads, "the vmcore has no PT_LOAD segments")
    return core


def dump_written(run, name="dump", min_bytes=16 << 20, elf=True):
    """The capture wrote a dump file of non-trivial size (an ELF core if elf)."""
    require(run.exists(name), "no dump file %s in %s (capture.log says: %s)"
            % (name, run.out, run.text("capture.log")[-300:] if run.exists("capture.log") else "-"))
    size = run.size(name)
    require(size >= min_bytes, "dump %s is %d bytes, expected at least %d" % (name, size, min_bytes))
    if elf:
        with open(run.path(name), "rb") as f:
            head = f.read(4096)
        try:
            c = notes.Core(head) if len(head) >= 64 else None
        except notes.NotesError:
            c = None  # notes may extend past the first page; the magic is what matters here
        require(head[:4] == b"\x7fELF", "dump %s is not an ELF file (starts %r)" % (name, head[:8]))
        if c is not None:
            require(c.e_type == notes.ET_CORE, "dump %s is ELF type %d, not ET_CORE" % (name, c.e_type))
    return size


def serial_has(run, text):
    require(text in run.serial, "the serial log never showed %r" % text)
