"""appliance-local on a UEFI host: OVMF boots Xen's own EFI binary (xen.efi, no
boot loader) from an EFI system partition, Xen starts the Debian 12 dom0 with
systemd, the service loads at boot, dom0 panics, the dracut capture image saves
to /var/crash, and after the reboot (OVMF and xen.efi once more) the dump is
found complete.  The capture kernel gets no EFI: it finds ACPI only through the
RSDP address the loader read from dom0's /sys/firmware/efi/systab and put in its
boot parameters, the path only a UEFI host takes (issue 12).
"""
import os
import re

import _debian

DESCRIPTION = "UEFI (OVMF + xen.efi) Debian 12 dom0 appliance: loads at boot, dom0 panics, capture to /var/crash, reboot, dump found"
FIRMWARE = "uefi"
ROOTFS = _debian.ROOTFS
REBOOTS = _debian.REBOOTS
CRASH = _debian.CRASH
CRASHKERNEL = "512M"
# OVMF itself takes 10-30 s under TCG before Xen prints anything, twice.
TIMEOUTS = dict(_debian.TIMEOUTS, dom0_init=420, rebooted=420)

_report_check = r"""grep -q '^Dump: vmcore .*: complete$' "$d/report.txt" ||
	{ sync; umount $OUT; say "XKD-FAIL $d/report.txt does not say complete"; exit 1; }
"""
_config = """# uefi-appliance-local (tests/vm): the defaults but for the harness's hooks.
""" + _debian.CONFIG_HEAD + """target path /var/crash
final_action reboot
""" + _debian.CONFIG_HOOKS
# What dom0 saw of the firmware at each boot, kept on the root fs for check():
# /sys/firmware/efi and the EFI system table's ACPI lines, before the test unit runs.
_efi_probe = r"""
cat > "$ROOT/usr/local/lib/xkd-vm/efi-probe" <<'PROBE'
#!/bin/sh
boot=$(cat /var/lib/xkd-vm/boot)
{ ls /sys/firmware/efi 2>&1; grep -E '^ACPI' /sys/firmware/efi/systab 2>&1; } > /var/lib/xkd-vm/efi-boot$boot.txt
sync
PROBE
chmod 0755 "$ROOT/usr/local/lib/xkd-vm/efi-probe"
mkdir -p "$ROOT/etc/systemd/system/xkd-vm-test.service.d"
printf '[Service]\nExecStartPre=/usr/local/lib/xkd-vm/efi-probe\n' > "$ROOT/etc/systemd/system/xkd-vm-test.service.d/efi-probe.conf"
"""
ROOTFS_SCRIPT = _debian.rootfs_script(_config, _debian.test_script(True, _report_check), setup=_efi_probe)

_rsdp_re = re.compile(r"ACPI: RSDP 0x0*([0-9A-Fa-f]+)")


def check(run):
    serial = run.serial
    run.require("Bootloader: EFI" in serial or "EFI RAM map" in serial,
                "Xen did not say it booted from EFI (no 'Bootloader: EFI' / 'EFI RAM map' on the console)")
    with run.rootfs() as root:
        probe = os.path.join(root, "var", "lib", "xkd-vm", "efi-boot1.txt")
        run.require(os.path.exists(probe), "dom0's first boot left no efi-boot1.txt (the EFI probe did not run)")
        with open(probe) as f:
            efi = f.read()
    m = re.search(r"^ACPI20?=(0x[0-9a-fA-F]+)", efi, re.M)
    run.require(m, "dom0 has no ACPI address in /sys/firmware/efi/systab: %r" % efi[:300])
    systab_rsdp = int(m.group(1), 16)
    # The capture kernel's own log: after Xen's "Executing kexec image" line.
    i = serial.find("Executing kexec image")
    run.require(i >= 0, "Xen never executed the crash image")
    capture = serial[i:]
    m = _rsdp_re.search(capture)
    run.require(m, "the capture kernel found no ACPI RSDP (no 'ACPI: RSDP' after the kexec)")
    run.require(int(m.group(1), 16) == systab_rsdp,
                "the capture kernel's RSDP 0x%s is not the EFI system table's 0x%x" % (m.group(1), systab_rsdp))
    _debian.check_local_capture(run)
