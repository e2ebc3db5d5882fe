"""The dom0 and capture initramfs of a scenario."""
import os

from .initramfs import Image
from .scenario import HERE

REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("XKD_BUILD", os.path.join(REPO, "build"))
PROJECT_BINARIES = ("xen-kdump", "xen-kdump-collect")

# 9p output share; the recipe's list (builtins are skipped).
SHARE_MODULES = ("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                 "virtio_pci", "9pnet", "9pnet_virtio", "netfs", "fscache", "9p")
XEN_MODULES = ("xen-privcmd", "xen-evtchn", "xenfs")

CAPTURE_KERNEL = "/boot/capture-vmlinuz"
CAPTURE_INITRD = "/boot/capture-initrd.img"

COMMON_INIT = r"""#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /run /var/run /var/tmp /out
echo "XKD-PHASE %(phase)s"
for m in $(cat /etc/xkd/modules); do
	insmod "$m" || echo "XKD-WARN insmod $m failed"
done
mount_out() {
	i=0
	while ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then echo "XKD-FAIL cannot mount the 9p share 'out' on /out"; return 1; fi
		sleep 0.1
	done
}
die() { echo "XKD-FAIL $*"; sync; poweroff -f; while :; do sleep 3600; done; }
. /etc/xkd/env
"""

DOM0_INIT = COMMON_INIT + r"""
mount -t xenfs xenfs /proc/xen || echo "XKD-WARN cannot mount xenfs on /proc/xen"
mount_out || die "no output share in dom0"
cd /tmp
{ sh -e /etc/xkd/dom0.sh; echo $? > /tmp/dom0.rc; } 2>&1 | tee /out/dom0.log
rc=$(cat /tmp/dom0.rc)
[ "$rc" = 0 ] || die "dom0 script exited $rc (see dom0.log)"
echo "XKD-PHASE load_done"
sync
case "$XKD_CRASH" in
dom0-panic)
	echo "XKD-PHASE crash"
	echo c > /proc/sysrq-trigger ;;
none)
	echo "XKD-PHASE done"
	poweroff -f ;;
*)
	echo "XKD-PHASE ready" ;;  # the harness crashes the host now
esac
while :; do sleep 3600; done
"""

CAPTURE_INIT = COMMON_INIT + r"""
mount_out || die "no output share in the capture kernel"
cat /proc/cmdline > /out/capture-cmdline
if [ -e /proc/vmcore ]; then
	stat -c %%s /proc/vmcore > /out/vmcore.size
	dd if=/proc/vmcore of=/out/vmcore-head bs=4096 count=%(head_pages)d 2>/dev/null
else
	echo "XKD-WARN no /proc/vmcore (no elfcorehdr= on the command line?)"
fi
cd /tmp
{ sh -e /etc/xkd/capture.sh; echo $? > /out/capture.rc; } 2>&1 | tee /out/capture.log
echo "XKD-PHASE capture_done"
sync
umount /out
poweroff -f
while :; do sleep 3600; done
"""


def _env(pairs):
    return "".join("export %s='%s'\n" % (k, str(v).replace("'", "'\\''")) for k, v in pairs)


def _base(kind, kernel, scenario_binaries, files):
    img = Image(kind)
    img.add_busybox()
    for d in ("/proc", "/sys", "/dev", "/tmp", "/out", "/etc/xkd", "/root"):
        img.add_dir(d)
    for prog in PROJECT_BINARIES:
        path = os.path.join(BUILD, prog)
        if os.path.exists(path):
            img.add_binary(path, "/usr/sbin/" + prog)
    for b in scenario_binaries:
        img.add_binary(b)
    for dest, src in files.items():
        img.add_file(dest, src)
    return img


def capture_image(sc, kernel):
    img = _base("capture", kernel, sc.capture_binaries, sc.capture_files)
    mods = img.add_modules(kernel, SHARE_MODULES)
    img.add_data("/etc/xkd/modules", "\n".join(mods) + "\n")
    img.add_data("/etc/xkd/env", _env([("OUT", "/out"), ("VMCORE", "/proc/vmcore"),
                                       ("DUMP", "/out/dump"), ("XKD_SCENARIO", sc.name)]))
    img.add_data("/init", CAPTURE_INIT % dict(phase="capture_init",
                                              head_pages=max(1, sc.vmcore_head // 4096)), 0o755)
    img.add_data("/etc/xkd/capture.sh", sc.capture_script, 0o755)
    return img.build()


def dom0_image(sc, kernel, capture_initrd):
    img = _base("dom0", kernel, sc.dom0_binaries, sc.dom0_files)
    mods = img.add_modules(kernel, XEN_MODULES + SHARE_MODULES)
    img.add_data("/etc/xkd/modules", "\n".join(mods) + "\n")
    img.add_file(CAPTURE_KERNEL, kernel.vmlinuz, 0o644)
    img.add_file(CAPTURE_INITRD, capture_initrd, 0o644)
    img.add_data("/etc/xkd/env", _env([
        ("OUT", "/out"), ("XKD_SCENARIO", sc.name), ("XKD_CRASH", sc.crash), ("XKD_SMP", sc.smp),
        ("CAPTURE_KERNEL", CAPTURE_KERNEL), ("CAPTURE_INITRD", CAPTURE_INITRD),
        ("CAPTURE_CMDLINE", sc.capture_cmdline)]))
    img.add_data("/init", DOM0_INIT % dict(phase="dom0_init"), 0o755)
    img.add_data("/etc/xkd/dom0.sh", sc.dom0_script, 0o755)
    return img.build()


# ROOTFS scenarios: just enough to mount the root fs disk and hand over to its
# systemd.  (The root fs's own dracut initramfs works too, XKD_ROOTFS_OWN_INITRD=1,
# but spends ~100 s per boot under TCG where this spends a few.)
ROOT_MODULES = ("virtio_pci", "virtio_blk", "crc32c_generic", "ext4")
SWITCH_ROOT_INIT = r"""#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/xkd/modules); do
	insmod "$m" || echo "XKD-WARN insmod $m failed"
done
root=$(sed -n 's/.*root=\([^ ]*\).*/\1/p' /proc/cmdline)
start=$(date +%s)
while [ ! -b "$root" ]; do
	if [ $(($(date +%s) - start)) -ge 60 ]; then echo "XKD-FAIL the root fs disk $root did not appear in 60 s"; poweroff -f; fi
	sleep 0.1
done
mkdir -p /newroot
mount -t ext4 -o ro "$root" /newroot || { echo "XKD-FAIL cannot mount $root"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
"""


def switch_root_image(kernel):
    img = Image("rootfs-initrd")
    img.add_busybox()
    for d in ("/proc", "/sys", "/dev", "/newroot", "/etc/xkd"):
        img.add_dir(d)
    mods = img.add_modules(kernel, ROOT_MODULES)
    img.add_data("/etc/xkd/modules", "\n".join(mods) + "\n")
    img.add_data("/init", SWITCH_ROOT_INIT, 0o755)
    return img.build()
