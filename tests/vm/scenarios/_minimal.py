"""Shared by the crash-region size scenarios: capture with a given capture
kernel in a crash region of XKD_CRASHKERNEL (default per scenario), using our
loader and our collector, and record what the capture kernel had to spare.
crashkernel/find-min-vm bisects XKD_CRASHKERNEL over these scenarios."""
import os
import subprocess

from xkdvm import checks

import _lazy

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def minimal_kernel():
    """The cached bzImage of crashkernel/ (make crashkernel), or None."""
    r = subprocess.run([os.path.join(REPO, "crashkernel", "build"), "--path"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def dom0_script(kernel_var):
    # crashkernel/find-min-vm sets XKD_FIND_MIN=1: load must then not refuse on
    # the estimate, so that the search sees what really fails.
    unchecked = "export XKD_LOAD_UNCHECKED_RUNTIME=1\n" if os.environ.get("XKD_FIND_MIN") == "1" else ""
    return unchecked + """
[ -e "%(k)s" ] || { echo "XKD-FAIL no minimal capture kernel: run 'make crashkernel' first"; exit 1; }
xen-kdump estimate --kernel "%(k)s" --initrd "$CAPTURE_INITRD" > /out/estimate.txt 2>&1 || true
cat /out/estimate.txt
xen-kdump -v load --kernel "%(k)s" --initrd "$CAPTURE_INITRD"
""" % dict(k=kernel_var)


CAPTURE_SCRIPT = """
uname -r > /out/capture-release
grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tee /out/meminfo-init
if [ -x /usr/sbin/xen-kdump-collect ]; then
	rc=0
	time -v xen-kdump-collect --output /out --level 1 --quiet > /out/collect.log 2> /out/collect.time || rc=$?
	cat /out/collect.log /out/collect.time
	echo "XKD-RESULT collect rc=$rc"
	[ "$rc" = 0 ] || echo "XKD-FAIL xen-kdump-collect exited $rc"
	# the harness and bench count /out/dump*
	for d in /out/*/vmcore; do [ -e "$d" ] && ln "$d" /out/dump 2>/dev/null || cp "$d" /out/dump; break; done
else
	echo "XKD-FAIL build/xen-kdump-collect is not built (make all)"
fi
grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tee /out/meminfo-done
"""


def check(run):
    checks.xen_notes(run)
    time_log = run.text("collect.time")
    checks.require("Maximum resident set size" in time_log,
                   "no peak RSS for the collector: %s" % time_log[-500:])
    dumps = [d for d in os.listdir(run.out) if os.path.isdir(os.path.join(run.out, d))
             and os.path.exists(os.path.join(run.out, d, "vmcore"))]
    checks.require(dumps, "the collector left no finished vmcore in %s" % run.out)
    checks.require(not any(os.path.exists(os.path.join(run.out, d, "INCOMPLETE")) for d in dumps),
                   "a dump is still marked INCOMPLETE")
    checks.dump_written(run, "dump", elf=False)
    with open(run.path("dump"), "rb") as f:
        checks.require(f.read(8) == b"KDUMP   ", "the collector's dump is not kdump-compressed")


# --- the minimal kernel with its real capture initramfs (dracut, no modules) ---

# Where dom0 finds them: the installed paths, so that a bare `xen-kdump load`
# picks both by itself (config defaults: capture-kernel.h).
MINIMAL_KERNEL_IN_DOM0 = "/usr/lib/xen-kdump/vmlinuz-minimal"
MINIMAL_INITRD_IN_DOM0 = "/var/lib/xen-kdump/initrd-minimal.img"


def build_appliance(name, kernel, config_lines, disk_mb=1024):
    """Like _appliance.build, for the minimal kernel: `xen-kdump rebuild` sees a
    module-less kernel and builds the small image (dracut --no-kernel, no
    systemd).  Returns (disk, initrd); the image has no sidecar config in dom0,
    so load uses it as it is instead of rebuilding it there."""
    import shutil
    import _appliance
    from xkdvm.images import BUILD

    work = os.path.join(_appliance.WORK, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    disk = os.path.join(work, "disk.img")
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    with open(disk, "wb") as f:
        f.truncate(disk_mb << 20)
    _appliance._run(["mkfs.ext4", "-q", "-F", "-L", "xkd-crash", disk])
    loop = _appliance._run(["losetup", "-f", "--show", disk]).strip()
    try:
        _appliance._run(["mount", loop, mnt])
        try:
            os.makedirs(os.path.join(mnt, "crash"))
            for h, text in (("pre", _appliance.PRE_HOOK), ("post", _appliance.POST_HOOK)):
                p = os.path.join(work, h + "-hook")
                with open(p, "w") as f:
                    f.write(text)
                os.chmod(p, 0o755)
            conf = os.path.join(work, "xen-kdump.conf")
            with open(conf, "w") as f:
                f.write("kernel %s\ninitrd %s/initrd.img\n" % (kernel, work))
                f.write("pre_hook %s/pre-hook\npost_hook %s/post-hook\n" % (work, work))
                for line in config_lines:
                    f.write(line.replace("@MNT@", mnt) + "\n")
            env = dict(os.environ, dracutbasedir=_appliance._dracut_tree(work), TMPDIR=work)
            out = _appliance._run([os.path.join(BUILD, "xen-kdump"), "-v", "rebuild", "--config", conf],
                                  env=env)
            with open(os.path.join(work, "rebuild.log"), "w") as f:
                f.write(out)
        finally:
            _appliance._run(["umount", mnt])
    finally:
        _appliance._run(["losetup", "-d", loop])
    return disk, os.path.join(work, "initrd.img")


class LazyMinimalFiles(_lazy.LazyFiles):
    """DOM0_FILES: the minimal kernel and its image at their installed paths,
    built the first time the harness reads them (not when scenarios are listed)."""

    def __init__(self, name, config_lines):
        self.name, self.config_lines = name, config_lines

    def _make(self):
        kernel = minimal_kernel()
        if not kernel:
            raise RuntimeError("no minimal kernel: run 'make crashkernel' first")
        _disk, initrd = build_appliance(self.name, kernel, self.config_lines)
        # /boot/xkd-vmlinuz too: where the region search (bench/region.py)
        # looks for the scenario's kernel when it runs the estimate.
        return {MINIMAL_KERNEL_IN_DOM0: kernel, MINIMAL_INITRD_IN_DOM0: initrd,
                "/boot/xkd-vmlinuz": kernel}


def appliance_dom0_script():
    """dom0: no --kernel, no --initrd, no config file: the defaults must pick
    the installed minimal kernel and its image."""
    unchecked = "export XKD_LOAD_UNCHECKED_RUNTIME=1\n" if os.environ.get("XKD_FIND_MIN") == "1" else ""
    return unchecked + """
xen-kdump show > /out/show.txt
cat /out/show.txt
xen-kdump estimate > /out/estimate.txt 2>&1 || true
cat /out/estimate.txt
xen-kdump -v load
xen-kdump status
"""
