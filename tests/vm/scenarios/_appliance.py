"""Shared by the appliance scenarios.  The network targets' servers (sshd,
NFS-Ganesha) on the host's loopback and the dump checks serve all of them;
the Debian-dom0 ones (appliance-local, -ssh, -ssh-unreachable, -nfs) build
their root fs with _debian.py.  The busybox-dom0 ones (appliance-capture-local,
minimal-kernel-appliance) use build() below: the capture initramfs is the real one,
built by `xen-kdump rebuild` with dracut and initramfs/99xen-kdump, and the
dump lands on a real ext4 disk the VM sees as virtio-blk.

On the host, before the VM starts (lazily: only when the scenario is played,
not when it is listed):
  1. a scratch ext4 image is made and loop-mounted;
  2. a config with `target path <mount>/crash` is written, plus hooks that
     print the harness's phase markers and write capture.rc to the 9p share;
  3. `xen-kdump rebuild` builds the image against the harness's Debian kernel
     (the dracut module records the disk by UUID, so the VM finds it);
  4. the disk is unmounted and handed to QEMU.
dom0 loads that image with `xen-kdump load`; after the crash, systemd inside
it runs xen-kdump-capture.service, which saves to the disk and powers off
(final_action).  check() then loop-mounts the disk read-only and inspects it.
"""
import contextlib
import json
import os
import re
import stat
import shutil
import subprocess
import tempfile
import time

from xkdvm import cache

import _lazy
from xkdvm.images import BUILD, REPO

# Per checkout: two clones (a developer and CI, say) must never rebuild each
# other's dump disk while a VM that uses it waits for the lock or runs.
WORK = os.environ.get("XKD_APPLIANCE_WORK", os.path.join(REPO, "tests", "vm", "out", ".appliance-work"))
DRACUT_DRIVERS = "virtio_blk virtio_pci virtio_net 9p 9pnet_virtio ext4"
IMAGE_IN_DOM0 = "/boot/xkd-appliance-initrd.img"

# The transport scenarios (ssh, nfs) test the target, not the engine: they keep
# makedumpfile's path, since appliance-local covers the default (native) engine.
MAKEDUMPFILE_ENGINE = ["engine makedumpfile", "dump_level 33"]
# The harness requires a capture script for crash scenarios; it never runs in
# these, because the capture kernel boots the dracut image that load armed.
CAPTURE_SCRIPT = "echo 'XKD-FAIL the harness capture image ran instead of the appliance image'"

# The hooks are the harness's contract, not the appliance's: markers on the
# console, and capture.rc (plus what the capture saved, listed) in the 9p share.
PRE_HOOK = """#!/bin/sh
echo "XKD-PHASE capture_init"
"""
POST_HOOK = """#!/bin/sh
mkdir -p /out
modprobe -q 9pnet_virtio; modprobe -q 9p
if mount -t 9p -o trans=virtio,version=9p2000.L out /out; then
	ls -lR "$1" > /out/saved.txt 2>&1
	echo 0 > /out/capture.rc
	sync; umount /out
fi
echo "XKD-PHASE capture_done"
"""


def _run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stdout[-2000:]))
    return r.stdout


def _dracut_tree(root):
    """/usr/lib/dracut with this checkout's module in it (no install needed)."""
    tree = os.path.join(root, "dracut")
    os.makedirs(os.path.join(tree, "modules.d"))
    for f in os.listdir("/usr/lib/dracut"):
        if f != "modules.d":
            os.symlink(os.path.join("/usr/lib/dracut", f), os.path.join(tree, f))
    for m in os.listdir("/usr/lib/dracut/modules.d"):
        os.symlink(os.path.join("/usr/lib/dracut/modules.d", m), os.path.join(tree, "modules.d", m))
    os.symlink(os.path.join(REPO, "initramfs", "99xen-kdump"),
               os.path.join(tree, "modules.d", "99xen-kdump"))
    return tree


def fresh_work(name):
    """The scenario's empty scratch directory (host side), servers left by a
    failed run of it stopped."""
    work = os.path.join(WORK, name)
    stop_sshd(work)
    stop_nfs(work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    return work


def build(name, config_lines, disk_mb=1024):
    """Disk image and capture initramfs for scenario name; returns (disk, initrd).
    In config_lines, @MNT@ is the disk's mount point and @WORK@ the scratch
    directory."""
    work = fresh_work(name)
    disk = os.path.join(work, "disk.img")
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    subst = {"MNT": mnt, "WORK": work}
    with open(disk, "wb") as f:
        f.truncate(disk_mb << 20)
    _run(["mkfs.ext4", "-q", "-F", "-L", "xkd-crash", disk])
    loop = _run(["losetup", "-f", "--show", disk]).strip()
    try:
        _run(["mount", loop, mnt])
        try:
            os.makedirs(os.path.join(mnt, "crash"))
            hooks = {"pre": PRE_HOOK, "post": POST_HOOK}
            for h, text in hooks.items():
                p = os.path.join(work, h + "-hook")
                with open(p, "w") as f:
                    f.write(text)
                os.chmod(p, 0o755)
            kernel = cache.kernel()
            conf = os.path.join(work, "xen-kdump.conf")
            with open(conf, "w") as f:
                f.write("kernel %s\ninitrd %s/initrd.img\n" % (kernel.vmlinuz, work))
                f.write("pre_hook %s/pre-hook\npost_hook %s/post-hook\n" % (work, work))
                for line in config_lines:
                    for k, v in subst.items():
                        line = line.replace("@%s@" % k, v)
                    f.write(line + "\n")
            env = dict(os.environ, dracutbasedir=_dracut_tree(work), TMPDIR=work)
            # --no-hostonly: the drivers the VM needs are not this build host's.
            # XKD_APPLIANCE_DRIVERS_ONLY=1 keeps just the VM's drivers (--drivers),
            # which is what host-only gives on the real machine: a much smaller image.
            only = os.environ.get("XKD_APPLIANCE_DRIVERS_ONLY") == "1"
            _run([os.path.join(BUILD, "xen-kdump"), "rebuild", "--config", conf,
                  "--kmoddir", kernel.moddir, "--no-hostonly", "--",
                  "--drivers" if only else "--add-drivers", DRACUT_DRIVERS], env=env)
        finally:
            _run(["umount", mnt])
    finally:
        _run(["losetup", "-d", loop])
    return disk, os.path.join(work, "initrd.img")


class LazyFiles(_lazy.LazyFiles):
    """DOM0_FILES that builds the appliance image the first time the harness reads it."""

    def __init__(self, name, config_lines):
        self.name, self.config_lines = name, config_lines

    def _make(self):
        _disk, initrd = build(self.name, self.config_lines)
        return {IMAGE_IN_DOM0: initrd}


def disk_path(name):
    return os.path.join(WORK, name, "disk.img")


def qemu_disk_args(name):
    return ("-drive", "file=%s,if=virtio,format=raw,cache=unsafe" % disk_path(name))


# QEMU user networking: the host is 10.0.2.2 to the guest, DHCP included.
QEMU_NET_ARGS = ("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0")


def ssh_identity(work):
    """An identity for the capture kernel (the scenario's ssh_key)."""
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "xkd-capture", "-f",
          os.path.join(work, "id")])


def serial_times(run):
    """[(seconds since QEMU start, line)] from serial.log."""
    out = []
    for line in run.text("serial.log").splitlines():
        m = re.match(r"^\[\s*([0-9.]+)\] (.*)$", line)
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return out


def first_time(run, text):
    """When text first appeared on the console, or None."""
    for t, line in serial_times(run):
        if text in line:
            return t
    return None


DOM0_SCRIPT = """
xen-kdump -v load --kernel "$CAPTURE_KERNEL" --initrd %s
xen-kdump status
""" % IMAGE_IN_DOM0


class Disk:
    """The scenario's disk, loop-mounted for check() (read-write: an unclean
    shutdown leaves a journal to replay; the disk is scratch anyway)."""

    def __init__(self, name):
        self.disk = disk_path(name)
        self.mnt = tempfile.mkdtemp(prefix="xkd-check-")
        self.loop = None

    def __enter__(self):
        self.loop = _run(["losetup", "-f", "--show", self.disk]).strip()
        try:
            _run(["mount", self.loop, self.mnt])
        except RuntimeError:
            subprocess.run(["losetup", "-d", self.loop])
            os.rmdir(self.mnt)
            raise
        return self.mnt

    def __exit__(self, *exc):
        subprocess.run(["umount", self.mnt])
        subprocess.run(["losetup", "-d", self.loop])
        os.rmdir(self.mnt)


@contextlib.contextmanager
def mounted_disk(run, name):
    """The scenario's dump disk, mounted on the host, for check()."""
    disk = Disk(name)
    try:
        mnt = disk.__enter__()
    except RuntimeError as e:
        run.require(False, "cannot mount the dump disk: %s" % e)
    try:
        yield mnt
    finally:
        disk.__exit__(None, None, None)


def check_dump_dir(run, top, vmcore="vmcore", magic=b"KDUMP   ", min_bytes=16 << 20):
    """Exactly one complete dump directory in top (0700) holding a 0600 dump
    that starts with magic; returns the dump's size."""
    entries = sorted(os.listdir(top)) if os.path.isdir(top) else []
    run.require(len(entries) == 1 and not entries[0].startswith("."),
                "expected one complete dump directory in %s, found %s" % (top, entries))
    d = os.path.join(top, entries[0])
    mode = stat.S_IMODE(os.stat(d).st_mode)
    run.require(mode == 0o700, "dump directory %s is mode %o, expected 700" % (entries[0], mode))
    path = os.path.join(d, vmcore)
    run.require(os.path.exists(path), "no %s in %s: %s" % (vmcore, entries[0], os.listdir(d)))
    size = os.path.getsize(path)
    run.require(size >= min_bytes, "%s is only %d bytes" % (vmcore, size))
    mode = stat.S_IMODE(os.stat(path).st_mode)
    run.require(mode == 0o600, "%s is mode %o, expected 600" % (vmcore, mode))
    with open(path, "rb") as f:
        head = f.read(len(magic))
    run.require(head == magic, "%s starts %r, expected %r" % (vmcore, head, magic))
    with open(os.path.join(run.out, "saved-dump-size.txt"), "w") as f:
        f.write("%d\n" % size)
    return size


SSHD_PORT = 2222
SSHD_CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {work}/sshd_host_key
PidFile {work}/sshd.pid
UsePAM no
PermitRootLogin prohibit-password
AllowUsers root
AuthorizedKeysFile {work}/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel VERBOSE
"""


def _sshd_binary():
    """Debian's sshd, unpacked (not installed: no service, no system user)."""
    root = os.path.join(cache.root(), "sshd")
    sshd = os.path.join(root, "usr", "sbin", "sshd")
    if not os.path.exists(sshd):
        tmp = tempfile.mkdtemp(dir=cache.root())
        os.chmod(tmp, 0o755)  # apt's _apt user downloads into it
        _run(["apt-get", "download", "-q", "openssh-server"], cwd=tmp)
        deb = [f for f in os.listdir(tmp) if f.endswith(".deb")][0]
        _run(["dpkg-deb", "-x", os.path.join(tmp, deb), root])
        shutil.rmtree(tmp)
    return sshd


def free_port():
    """A TCP port free on 127.0.0.1 now: scenarios queued behind the VM lock
    each start their server at once, so a fixed port would collide."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sshd(work, lifetime=1800, port=SSHD_PORT):
    """A real OpenSSH server on the host's 127.0.0.1:port (the guest's
    10.0.2.2), accepting the capture identity for root.  It runs in its own
    mount namespace, where /etc/passwd gains the privilege-separation user
    sshd needs, so nothing on the host changes; `timeout` ends it in any case."""
    sshd = _sshd_binary()
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(work, "sshd_host_key")])
    shutil.copy(os.path.join(work, "id.pub"), os.path.join(work, "authorized_keys"))
    with open(os.path.join(work, "sshd_config"), "w") as f:
        f.write(SSHD_CONFIG.format(port=port, work=work))
    with open("/etc/passwd") as f:
        passwd = f.read()
    with open(os.path.join(work, "passwd"), "w") as f:
        f.write(passwd + "sshd:x:%d:65534::/run/sshd:/usr/sbin/nologin\n" % 64999)
    # /run is a private tmpfs in the namespace, so /run/sshd never appears on the host.
    script = ("mount --bind {w}/passwd /etc/passwd && mount -t tmpfs tmpfs /run && "
              "mkdir -m 0755 /run/sshd && "
              "exec timeout {t} {sshd} -D -e -f {w}/sshd_config").format(w=work, t=lifetime, sshd=sshd)
    log = open(os.path.join(work, "sshd.log"), "w")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(50):
        if os.path.exists(os.path.join(work, "sshd.pid")):
            break
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if proc.poll() is not None:
        with open(os.path.join(work, "sshd.log")) as f:
            raise RuntimeError("sshd did not start: " + f.read()[-1000:])
    with open(os.path.join(work, "sshd_host_key.pub")) as f:
        host_key = " ".join(f.read().split()[:2])
    return proc, host_key


def ssh_target_check(work, check):
    """A check() for a scenario whose dump goes to the sshd in WORK: the capture
    must have said it saved there, then check(run); the sshd is stopped either way."""
    def run_check(run):
        try:
            run.require(first_time(run, "xen-kdump: saved 10.0.2.2:") is not None,
                        "the capture never said it saved over ssh (see serial.log; sshd: %s/sshd.log)" % work)
            check(run)
        finally:
            stop_sshd(work)
    return run_check


def stop_sshd(work):
    try:
        with open(os.path.join(work, "sshd.pid")) as f:
            os.kill(int(f.read().strip()), 15)
    except (OSError, ValueError):
        pass


NFS_PACKAGES = ("nfs-ganesha", "nfs-ganesha-vfs", "libntirpc4.3", "liburcu8", "libwbclient0")
GANESHA_CONFIG = """NFS_CORE_PARAM {{
	Protocols = 4;
	NFS_Port = 2049;
	Bind_addr = 127.0.0.1;
	Plugins_Dir = "{root}/usr/lib/x86_64-linux-gnu/ganesha";
	Enable_NLM = false;
	Enable_RQUOTA = false;
}}
NFSV4 {{ Graceless = true; }}
EXPORT {{
	Export_Id = 1;
	Path = "{work}/export";
	Pseudo = "/export";
	Access_Type = RW;
	Squash = No_Root_Squash;
	Protocols = 4;
	Transports = TCP;
	SecType = sys;
	FSAL {{ Name = VFS; }}
}}
"""


def _ganesha_root():
    """NFS-Ganesha (a userspace NFS server: this host's kernel has no nfsd),
    unpacked with its libraries, not installed."""
    root = os.path.join(cache.root(), "ganesha")
    if not os.path.exists(os.path.join(root, "usr", "bin", "ganesha.nfsd")):
        tmp = tempfile.mkdtemp(dir=cache.root())
        os.chmod(tmp, 0o755)
        _run(["apt-get", "download", "-q"] + list(NFS_PACKAGES), cwd=tmp)
        for deb in os.listdir(tmp):
            _run(["dpkg-deb", "-x", os.path.join(tmp, deb), root])
        shutil.rmtree(tmp)
    return root


def start_nfs(work, lifetime=1800):
    """An NFSv4 server on the host's 127.0.0.1:2049 (the guest's 10.0.2.2),
    exporting work/export as /export; `timeout` ends it in any case."""
    root = _ganesha_root()
    os.makedirs(os.path.join(work, "export"), mode=0o700, exist_ok=True)
    conf = os.path.join(work, "ganesha.conf")
    with open(conf, "w") as f:
        f.write(GANESHA_CONFIG.format(root=root, work=work))
    env = dict(os.environ, LD_LIBRARY_PATH="%s/usr/lib/x86_64-linux-gnu:%s/usr/lib/ganesha" % (root, root))
    log = open(os.path.join(work, "ganesha.out"), "w")
    proc = subprocess.Popen(["timeout", str(lifetime), os.path.join(root, "usr", "bin", "ganesha.nfsd"),
                             "-F", "-L", os.path.join(work, "ganesha.log"), "-f", conf,
                             "-p", os.path.join(work, "ganesha.pid"), "-N", "NIV_EVENT"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(work, "nfs.pid"), "w") as f:
        f.write("%d\n" % proc.pid)
    for _ in range(100):
        if os.path.exists(os.path.join(work, "ganesha.log")):
            with open(os.path.join(work, "ganesha.log")) as f:
                if "NFS SERVER INITIALIZED" in f.read():
                    return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("the NFS server did not start (see %s/ganesha.log)" % work)


def stop_nfs(work):
    try:
        with open(os.path.join(work, "nfs.pid")) as f:
            os.killpg(int(f.read().strip()), 15)
    except (OSError, ValueError):
        pass


EVIDENCE = ("report.txt", "report.json", "dmesg.txt", "xen-console.txt")


def check_evidence(run, top):
    """The dump directory in top (check_dump_dir's one) holds the same evidence
    on every target: the crash report, dom0's whole kernel log and Xen's
    console ring, each 0600, nothing left marked incomplete or half-written;
    copies go to run.out.  Returns the directory."""
    d = os.path.join(top, sorted(os.listdir(top))[0])
    names = sorted(os.listdir(d))
    for left in ("INCOMPLETE", "vmcore.incomplete"):
        run.require(left not in names, "%s still holds %s: %s" % (d, left, names))
    run.require(not [n for n in names if n.startswith(".")],
                "temporary files left in %s: %s" % (d, names))
    text = {}
    for name in EVIDENCE + ("xen-kdump.id",):
        path = os.path.join(d, name)
        run.require(os.path.isfile(path), "no %s beside the dump in %s: %s" % (name, d, names))
        mode = stat.S_IMODE(os.stat(path).st_mode)
        run.require(mode == 0o600, "%s is mode %o, expected 600" % (name, mode))
        run.require(os.path.getsize(path) > 0, "%s is empty" % name)
        with open(path, "rb") as f:
            data = f.read()
        if name in ("dmesg.txt", "xen-console.txt"):
            # Bytes from the crashed machine's memory: made harmless for a terminal.
            run.require(all(b == 10 or b == 9 or 32 <= b < 127 for b in data),
                        "%s holds bytes other than printable ASCII, tab and newline" % name)
        try:
            text[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            run.require(False, "%s is not valid UTF-8" % name)
        if name != "xen-kdump.id":
            with open(os.path.join(run.out, "evidence-" + name), "w") as f:
                f.write(text[name])
    report = json.loads(text["report.json"])
    run.require(report.get("format") == "xen-kdump-report", "report.json is not a xen-kdump report")
    run.require("Kernel panic - not syncing" in text["dmesg.txt"],
                "dmesg.txt does not hold dom0's panic (%d bytes)" % len(text["dmesg.txt"]))
    run.require("Linux version" in text["dmesg.txt"],
                "dmesg.txt does not start at dom0's boot: not the whole log")
    run.require("(XEN) " in text["xen-console.txt"] and "Dom0 crashed" in text["xen-console.txt"],
                "xen-console.txt does not hold Xen's console with the crash (%d bytes)" % len(text["xen-console.txt"]))
    return d
