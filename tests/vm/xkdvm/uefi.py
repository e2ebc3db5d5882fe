"""Booting Xen as an EFI application under OVMF, as UEFI hosts do.

No boot loader: OVMF finds \\EFI\\BOOT\\BOOTX64.EFI (Xen's xen.efi) on an EFI
system partition (a FAT image built with mtools, no root, no loop device) and
Xen reads its command line, dom0's kernel and initrd through its own config
file, BOOTX64.cfg beside it (Xen looks for <its own file name>.cfg).  After the
capture reboots the machine OVMF starts again and boots the same Xen.
"""
import os
import shutil
import subprocess

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
ESP_MB = 64


class UefiError(Exception):
    pass


def xen_config(xen_cmdline, dom0_cmdline):
    """Xen's EFI config file: one section, chosen by [global] default=."""
    for what, text in (("Xen", xen_cmdline), ("dom0", dom0_cmdline)):
        if "\n" in text:
            raise UefiError("%s's command line holds a newline: Xen's config file cannot carry it" % what)
    return ("[global]\ndefault=xkd\n\n[xkd]\noptions=%s\nkernel=vmlinuz %s\nramdisk=initrd.img\n"
            % (xen_cmdline, dom0_cmdline))


def _run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise UefiError("%s failed: %s" % (" ".join(cmd), r.stdout.strip()[-300:]))


def esp_image(path, xen_efi, xen_cmdline, vmlinuz, dom0_cmdline, initrd):
    """Writes a FAT system partition image at path holding Xen, its config,
    dom0's kernel and initrd."""
    for f in (OVMF_CODE, OVMF_VARS, xen_efi):
        if not os.path.exists(f):
            raise UefiError("%s is missing: apt-get install ovmf mtools and Xen's hypervisor package (make deps)" % f)
    if not shutil.which("mcopy") or not shutil.which("mkfs.vfat"):
        raise UefiError("mtools/dosfstools are missing: apt-get install mtools dosfstools (make deps)")
    need = sum(os.path.getsize(f) for f in (xen_efi, vmlinuz, initrd)) >> 20
    size_mb = max(ESP_MB, need + 16)
    if os.path.exists(path):
        os.unlink(path)
    _run(["mkfs.vfat", "-C", "-n", "ESP", path, str(size_mb * 1024)])
    cfg = path + ".cfg"
    with open(cfg, "w") as f:
        f.write(xen_config(xen_cmdline, dom0_cmdline))
    _run(["mmd", "-i", path, "::/EFI", "::/EFI/BOOT"])
    for src, dst in ((xen_efi, "BOOTX64.EFI"), (cfg, "BOOTX64.cfg"), (vmlinuz, "vmlinuz"),
                     (initrd, "initrd.img")):
        _run(["mcopy", "-i", path, src, "::/EFI/BOOT/" + dst])
    return path


def qemu_args(outdir, esp):
    """What replaces -kernel/-append/-initrd: OVMF's code (read-only) and a private
    copy of its variable store, and the ESP as an IDE disk that boots first (dom0
    then sees it as /dev/sda; the root fs stays /dev/vda)."""
    nvram = os.path.join(outdir, "OVMF_VARS.fd")
    shutil.copyfile(OVMF_VARS, nvram)
    return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=%s" % OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=%s" % nvram,
            "-drive", "if=none,id=esp,format=raw,file=%s" % esp,
            "-device", "ide-hd,drive=esp,bootindex=0"]
