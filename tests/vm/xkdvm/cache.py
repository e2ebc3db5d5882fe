"""Downloads and built images, cached outside the clone.

${XKD_CACHE:-/var/cache/xen-kdump-tests}/
  kernel/VERSION/      the Debian kernel package unpacked (boot/vmlinuz-*, lib/modules/*)
  images/HASH.*        Xen binaries and initramfs images, keyed by a hash of their content
Only apt downloads: the kernel package comes from `apt-get download`.
"""
import contextlib
import fcntl
import gzip
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile
import time

XEN_GZ = "/boot/xen-4.17-amd64.gz"
XEN_EFI = "/boot/xen-4.17-amd64.efi"    # the same Xen as an EFI application (FIRMWARE = "uefi")
LOCK_PATH = os.environ.get("XKD_VM_LOCK", "/var/lock/xen-kdump-vm.lock")
KERNEL_RE = re.compile(r"^linux-image-(6\.1\.0-(\d+)-amd64)$")


def root():
    return os.environ.get("XKD_CACHE", "/var/cache/xen-kdump-tests")


def _mkdir(path):
    os.makedirs(path, mode=0o755, exist_ok=True)
    return path


def log(msg):
    print("vm: " + msg, flush=True)


class CacheError(Exception):
    pass


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _apt_kernel_version():
    """The 6.1 kernel flavour apt currently offers, e.g. '6.1.0-56-amd64', or None."""
    r = _run(["apt-cache", "depends", "linux-image-amd64"])
    for line in r.stdout.splitlines():
        m = re.search(r"Depends: linux-image-(6\.1\.0-\d+-amd64)\s*$", line)
        if m:
            return m.group(1)
    # Fall back to the newest 6.1.0-NN-amd64 image package apt knows.
    r = _run(["apt-cache", "pkgnames", "linux-image-6.1.0-"])
    best = None
    for name in r.stdout.split():
        m = KERNEL_RE.match(name)
        if m and (best is None or int(m.group(2)) > best[0]):
            best = (int(m.group(2)), m.group(1))
    return best[1] if best else None


def _cached_kernels():
    d = os.path.join(root(), "kernel")
    if not os.path.isdir(d):
        return []
    vers = [v for v in os.listdir(d) if os.path.exists(os.path.join(d, v, ".complete"))]
    return sorted(vers, key=lambda v: int(v.split("-")[1]) if v.count("-") >= 2 else 0)


class Kernel:
    def __init__(self, version, path):
        self.version = version
        self.path = path
        self.vmlinuz = os.path.join(path, "boot", "vmlinuz-" + version)
        self.moddir = os.path.join(path, "lib", "modules", version)

    def dom0_kernel(self):
        """The ELF inside the bzImage, for Xen to boot as dom0.  Xen would
        otherwise unpack the xz payload itself, which costs ~5 s under TCG on
        every boot; here it is done once per kernel version."""
        if os.environ.get("XKD_DOM0_BZIMAGE"):
            return self.vmlinuz
        path = os.path.join(self.path, "boot", "vmlinux-%s.elf" % self.version)
        if os.path.exists(path):
            return path
        with open(self.vmlinuz, "rb") as f:
            bz = f.read()
        start = bz.find(b"\xfd7zXZ\x00")
        if start < 0:
            return self.vmlinuz  # not xz: let Xen unpack it
        elf = lzma.LZMADecompressor().decompress(bz[start:])
        if elf[:4] != b"\x7fELF":
            return self.vmlinuz
        store(path, elf)
        return path


def kernel():
    """The Debian 6.1 dom0/capture kernel, downloaded once per version."""
    version = os.environ.get("XKD_KERNEL_VERSION") or _apt_kernel_version()
    if version is None:
        log("apt knows no linux-image-6.1.0-NN-amd64; running apt-get update")
        _run(["apt-get", "update", "-q"])
        version = _apt_kernel_version()
    if version is None:
        cached = _cached_kernels()
        if not cached:
            raise CacheError("apt offers no linux-image-6.1.0-NN-amd64 and nothing is cached in "
                             "%s: check /etc/apt/sources.list (bookworm, bookworm-security)" % root())
        version = cached[-1]
        log("apt offers no 6.1 kernel; using cached %s" % version)
    path = os.path.join(_mkdir(os.path.join(root(), "kernel")), version)
    if os.path.exists(os.path.join(path, ".complete")):
        return Kernel(version, path)
    log("fetching linux-image-%s with apt-get download" % version)
    tmp = tempfile.mkdtemp(prefix="dl-", dir=os.path.join(root(), "kernel"))
    try:
        os.chmod(tmp, 0o755)  # apt's _apt user writes the download here
        pkg = "linux-image-" + version
        r = _run(["apt-get", "download", "-q", pkg], cwd=tmp)
        if r.returncode != 0:
            _run(["apt-get", "update", "-q"])
            r = _run(["apt-get", "download", "-q", pkg], cwd=tmp)
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if r.returncode != 0 or not debs:
            raise CacheError("apt-get download %s failed: %s" % (pkg, r.stdout.strip()[-400:]))
        tree = os.path.join(tmp, "tree")
        r = _run(["dpkg-deb", "-x", os.path.join(tmp, debs[0]), tree])
        if r.returncode != 0:
            raise CacheError("dpkg-deb -x %s failed: %s" % (debs[0], r.stdout.strip()))
        r = _run(["depmod", "-b", tree, version])
        if r.returncode != 0:
            raise CacheError("depmod -b failed: %s (install kmod)" % r.stdout.strip())
        open(os.path.join(tree, ".complete"), "w").close()
        shutil.rmtree(path, ignore_errors=True)
        os.rename(tree, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Kernel(version, path)


def image_path(digest, suffix):
    return os.path.join(_mkdir(os.path.join(root(), "images")), digest + suffix)


def store(path, data):
    """Write data atomically (concurrent builders of the same hash are harmless)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def prune(prefix, keep):
    """Drop all but the keep most recently used images whose name starts with prefix."""
    d = os.path.join(root(), "images")
    found = []
    for name in os.listdir(d):
        if name.startswith(prefix):
            try:
                found.append((os.stat(os.path.join(d, name)).st_mtime, name))
            except FileNotFoundError:
                pass
    for _, name in sorted(found, reverse=True)[keep:]:
        try:
            os.unlink(os.path.join(d, name))
        except FileNotFoundError:
            pass


def xen_binary():
    """Xen's multiboot ELF (QEMU's -kernel does not take the .gz)."""
    if not os.path.exists(XEN_GZ):
        raise CacheError("%s is missing: apt-get install xen-hypervisor-4.17-amd64 (make deps)" % XEN_GZ)
    with open(XEN_GZ, "rb") as f:
        gz = f.read()
    path = image_path("xen-" + hashlib.sha256(gz).hexdigest()[:16], "")
    if not os.path.exists(path):
        store(path, gzip.decompress(gz))
    return path


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _queue_head(qdir):
    """The oldest ticket whose owner still runs; tickets of dead owners are dropped."""
    for name in sorted(os.listdir(qdir)):
        try:
            pid = int(name.split("-")[1])
        except (IndexError, ValueError):
            pid = -1
        if pid > 0 and _alive(pid):
            return name
        try:
            os.unlink(os.path.join(qdir, name))
        except FileNotFoundError:
            pass
    return None


def _take_turn(f, qdir, ticket):
    """Wait for our ticket to head the queue, then for the flock itself.
    flock alone is not fair: with several callers one can starve for many minutes."""
    while True:
        if _queue_head(qdir) == ticket:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
        time.sleep(0.5)


@contextlib.contextmanager
def vm_lock(quiet=False):
    """One TCG guest at a time: 2 cores cannot run two.  Callers are served in
    arrival order (a ticket in LOCK_PATH.queue/).  Waiting is not timed."""
    os.makedirs(os.path.dirname(LOCK_PATH), exist_ok=True)
    qdir = LOCK_PATH + ".queue"
    os.makedirs(qdir, exist_ok=True)
    ticket = "%020d-%d-%s" % (time.time_ns(), os.getpid(), os.urandom(3).hex())
    with open(LOCK_PATH, "a") as f:
        open(os.path.join(qdir, ticket), "w").close()
        try:
            if _queue_head(qdir) == ticket:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    waited = None
                except BlockingIOError:
                    waited = time.monotonic()
            else:
                waited = time.monotonic()
            if waited is not None:
                if not quiet:
                    log("waiting for %s (another VM run holds it; %d queued)"
                        % (LOCK_PATH, len(os.listdir(qdir)) - 1))
                _take_turn(f, qdir, ticket)
                if not quiet:
                    log("got the lock after %.0f s" % (time.monotonic() - waited))
        finally:
            try:
                os.unlink(os.path.join(qdir, ticket))
            except FileNotFoundError:
                pass
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def debug_vmlinux(version):
    """dom0's debug vmlinux (for crash), from linux-image-VERSION-dbg: ~860 MB
    downloaded once, only usr/lib/debug/boot/vmlinux-VERSION kept, under
    $XKD_CACHE/dbg/ (the layout `dpkg-deb -x` of the package gives)."""
    rel = os.path.join("usr", "lib", "debug", "boot", "vmlinux-" + version)
    top = _mkdir(os.path.join(root(), "dbg"))
    path = os.path.join(top, rel)
    if os.path.exists(path):
        return path
    pkg = "linux-image-%s-dbg" % version
    log("fetching %s with apt-get download (~860 MB, once)" % pkg)
    tmp = tempfile.mkdtemp(prefix="dl-", dir=top)
    try:
        os.chmod(tmp, 0o755)  # apt's _apt user writes the download here
        r = _run(["apt-get", "download", "-q", pkg], cwd=tmp)
        if r.returncode != 0:
            _run(["apt-get", "update", "-q"])
            r = _run(["apt-get", "download", "-q", pkg], cwd=tmp)
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if r.returncode != 0 or not debs:
            raise CacheError("apt-get download %s failed: %s (is the bookworm debug archive or "
                             "main with -dbg packages in sources.list?)" % (pkg, r.stdout.strip()[-400:]))
        # Only the vmlinux (the module debug files are most of the 5 GB unpacked); it comes
        # early in the archive, so --occurrence stops after ~5 s instead of a 60 s full read
        # (dpkg-deb then dies of SIGPIPE, which is fine: tar's status is the pipeline's).
        p = subprocess.run("dpkg-deb --fsys-tarfile %s 2>/dev/null | tar -x --occurrence=1 -C %s ./%s"
                           % (os.path.join(tmp, debs[0]), tmp, rel), shell=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        got = os.path.join(tmp, rel)
        if p.returncode != 0 or not os.path.exists(got):
            raise CacheError("extracting %s from %s failed: %s" % (rel, debs[0], p.stdout.strip()[-400:]))
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        os.rename(got, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path
