"""The end-to-end anchor of make bench: Debian's kernel with a busybox
initramfs boots after dom0 panics, and makedumpfile saves the dump the way
Debian's kdump-tools does (-c: zlib, -d 31: no zero, cache, user or free
pages, -X: Xen's own filter).  bench/run sets the crash-to-dump-saved time of
each appliance against this one.

Loaded by our loader, not kexec-tools: kexec-tools puts no dom0 VMCOREINFO
into a Xen dump, so makedumpfile refuses -d 31 after `kexec -p` ("/proc/vmcore
doesn't contain vmcoreinfo"), and given dom0's VMCOREINFO with -i it takes it
for Xen's ("get_xen_basic_info_x86_64: Can't get pml4"; tried 2026-12-05).
Our loader adds dom0's note, which is what makes -d 31 possible at all; the
capture kernel, its command line and the engine are the anchor's, and so is
the kernel's entry: kexec-tools loads the bzImage, whose decompressor runs at
the crash, so our loader is told `kernel_entry decompressor` (its default
unpacks the kernel in dom0)."""
from _loader import CAPTURE_BINARIES  # noqa: F401
from xkdvm import checks

DESCRIPTION = "Debian's kernel + makedumpfile -c -X -d 31 after a dom0 panic (the bench's end-to-end anchor)"
CRASH = "dom0-panic"

DOM0_SCRIPT = """
printf 'kernel_entry decompressor\\n' > /tmp/anchor.conf
XEN_KDUMP_CONF=/tmp/anchor.conf xen-kdump load --kernel "$CAPTURE_KERNEL" --initrd "$CAPTURE_INITRD"
"""

CAPTURE_SCRIPT = """
export TMPDIR=/tmp
makedumpfile -c -X -d 31 "$VMCORE" "$DUMP"
ls -l "$DUMP"
"""


def check(run):
    checks.serial_has(run, "Capture kernel: bzImage, decompressing itself at the crash (kernel_entry decompressor)")
    checks.xen_notes(run)
    checks.dump_written(run, "dump", min_bytes=1 << 20, elf=False)
    with open(run.path("dump"), "rb") as f:
        checks.require(f.read(8) == b"KDUMP   ", "makedumpfile -c did not write a kdump-compressed file")
