"""Distro profiles: a scenario with DISTRO = "trixie" (or `tests/vm/run --distro trixie`)
boots Debian 13's Xen 4.20 with its Linux 6.12 dom0 instead of Debian 12's 4.17 + 6.1.

Nothing touches the host's apt sources.  Per profile, under ${XKD_CACHE}/SUITE/:
  apt/            a private apt configuration (sources.list, lists, archives) for SUITE
  debs/           packages fetched with `apt-get download` through it
  xen-VERSION/    the hypervisor package unpacked (boot/xen-4.20-amd64.gz)
  root-HASH/      a debootstrapped SUITE root fs (minbase + the ROOT_PACKAGES below),
                  HASH over the recipe: the build chroot (gcc 14, libxen-dev 4.20) and the
                  sysroot every binary of the busybox dom0 / capture images comes from
The kernel is unpacked to ${XKD_CACHE}/kernel/VERSION/ like Debian 12's (its modules
decompressed: the images take plain .ko files).

Binaries in DOM0_BINARIES / CAPTURE_BINARIES are paths inside that root fs; their
libraries and loader are the root fs's (resolved with its own ld.so), never the host's.
Our xen-kdump binaries are built inside the root fs by `make BUILD=build/SUITE`: binaries
built on the host link libxenctrl.so.4.17, which a 4.20 system does not have.
"""
import fcntl
import hashlib
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import time

from . import cache, images
from .initramfs import Image, ImageError

MIRROR = os.environ.get("XKD_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY = os.environ.get("XKD_DEBIAN_SECURITY", "http://deb.debian.org/debian-security")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class Profile:
    def __init__(self, name, suite, xen_pkg, xen_gz, xen_version, kernel_re, root_packages):
        self.name = name
        self.suite = suite
        self.xen_pkg = xen_pkg
        self.xen_gz = xen_gz            # inside the hypervisor package
        self.xen_version = xen_version  # (major, minor): what Xen's CRASH_INFO note says
        self.kernel_re = re.compile(kernel_re)
        self.root_packages = root_packages


PROFILES = {
    "trixie": Profile(
        "trixie", "trixie", "xen-hypervisor-4.20-amd64", "boot/xen-4.20-amd64.gz", (4, 20),
        r"^linux-image-(6\.12\.\S+-amd64)$",
        # build: gcc 14, libxen-dev 4.20 and the libraries our Makefile's pkg-config names;
        # the anchor: kexec-tools 2.0.29, makedumpfile 1.7.6; analysis: crash 8.0.6.
        ("gcc", "make", "pkg-config", "libc6-dev", "libelf-dev", "libzstd-dev", "zlib1g-dev",
         "liblzma-dev", "libxen-dev", "kexec-tools", "makedumpfile", "crash", "xz-utils", "kmod",
         "ca-certificates")),
}


class DistroError(Exception):
    pass


def profile(name):
    if name not in PROFILES:
        raise DistroError("unknown distro %r (known: %s)" % (name, ", ".join(sorted(PROFILES))))
    return PROFILES[name]


def _top(p):
    return cache._mkdir(os.path.join(cache.root(), p.suite))


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


class _Locked:
    """flock on a file under the profile's cache dir: one builder of a cached thing at a time."""

    def __init__(self, p, what):
        self.path = os.path.join(_top(p), "." + what + ".lock")

    def __enter__(self):
        self.f = open(self.path, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


# --- a private apt configuration ------------------------------------------------------

def _apt_opts(p):
    d = os.path.join(_top(p), "apt")
    for sub in ("lists/partial", "cache/archives/partial", "etc"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    src = os.path.join(d, "etc", "sources.list")
    want = ("deb [signed-by=%s] %s %s main\ndeb [signed-by=%s] %s %s-security main\n"
            % (KEYRING, MIRROR, p.suite, KEYRING, SECURITY, p.suite))
    if not os.path.exists(src) or open(src).read() != want:
        with open(src, "w") as f:
            f.write(want)
    return ["-o", "Dir::Etc::SourceList=" + src, "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", "Dir::State::Lists=" + os.path.join(d, "lists"),
            "-o", "Dir::Cache=" + os.path.join(d, "cache"),
            "-o", "Dir::State::Status=/dev/null", "-o", "Debug::NoLocking=1"]


def _apt_update(p):
    r = _run(["apt-get", "-q"] + _apt_opts(p) + ["update"])
    if r.returncode != 0:
        raise DistroError("apt-get update for %s (private config) failed: %s" % (p.suite, r.stdout[-400:]))


def _apt_kernel_version(p):
    r = _run(["apt-cache"] + _apt_opts(p) + ["depends", "linux-image-amd64"])
    for line in r.stdout.splitlines():
        m = re.search(r"Depends: (linux-image-\S+)\s*$", line)
        if m and p.kernel_re.match(m.group(1)):
            return p.kernel_re.match(m.group(1)).group(1)
    return None


def download(p, pkg):
    """Path of pkg's .deb (the candidate of the private apt config), fetched once."""
    d = cache._mkdir(os.path.join(_top(p), "debs"))
    os.chmod(d, 0o755)

    def have():
        found = sorted(f for f in os.listdir(d) if f.startswith(pkg + "_") and f.endswith(".deb"))
        return os.path.join(d, found[-1]) if found else None
    if have():
        return have()
    r = _run(["apt-get", "-q"] + _apt_opts(p) + ["download", pkg], cwd=d)
    if r.returncode != 0:
        _apt_update(p)
        r = _run(["apt-get", "-q"] + _apt_opts(p) + ["download", pkg], cwd=d)
    if r.returncode != 0 or not have():
        raise DistroError("apt-get download %s (%s) failed: %s" % (pkg, p.suite, r.stdout[-400:]))
    return have()


def unpacked(p, pkg):
    """pkg's .deb unpacked once under $XKD_CACHE/SUITE/pkg-NAME_VERSION/ (not into the
    sysroot: its recipe hash stays the build chroot's); binaries taken from it get their
    libraries from the sysroot (DOM0_FILES of a DISTRO scenario)."""
    deb = download(p, pkg)
    tree = os.path.join(_top(p), "pkg-" + os.path.basename(deb)[:-4])
    if not os.path.exists(os.path.join(tree, ".complete")):
        tmp = tempfile.mkdtemp(dir=_top(p))
        r = _run(["dpkg-deb", "-x", deb, tmp])
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise DistroError("dpkg-deb -x %s: %s" % (deb, r.stdout))
        open(os.path.join(tmp, ".complete"), "w").close()
        shutil.rmtree(tree, ignore_errors=True)
        os.rename(tmp, tree)
        os.chmod(tree, 0o755)
    return tree


# --- Xen and the kernel -----------------------------------------------------------------

def xen_binary(p):
    """Xen's multiboot ELF from the suite's hypervisor package."""
    deb = download(p, p.xen_pkg)
    tree = os.path.join(_top(p), "xen-" + os.path.basename(deb)[:-4].split("_", 1)[1])
    gz = os.path.join(tree, p.xen_gz)
    if not os.path.exists(gz):
        tmp = tempfile.mkdtemp(dir=_top(p))
        r = _run(["dpkg-deb", "-x", deb, tmp])
        if r.returncode != 0:
            raise DistroError("dpkg-deb -x %s: %s" % (deb, r.stdout))
        shutil.rmtree(tree, ignore_errors=True)
        os.rename(tmp, tree)
    with open(gz, "rb") as f:
        data = f.read()
    path = cache.image_path("xen-" + hashlib.sha256(data).hexdigest()[:16], "")
    if not os.path.exists(path):
        cache.store(path, gzip.decompress(data))
    return path


def xen_efi(p):
    """Xen as an EFI application, from the same hypervisor package as xen_binary()."""
    xen_binary(p)  # unpacks the package
    deb = download(p, p.xen_pkg)
    tree = os.path.join(_top(p), "xen-" + os.path.basename(deb)[:-4].split("_", 1)[1])
    path = os.path.join(tree, p.xen_gz[:-len(".gz")] + ".efi")
    if not os.path.exists(path):
        raise DistroError("%s has no %s" % (p.xen_pkg, path))
    return path


def kernel(p):
    """The suite's dom0/capture kernel, unpacked to $XKD_CACHE/kernel/VERSION/ once."""
    version = os.environ.get("XKD_%s_KERNEL_VERSION" % p.name.upper()) or _apt_kernel_version(p)
    if version is None:
        _apt_update(p)
        version = _apt_kernel_version(p)
    if version is None:
        raise DistroError("the %s archive names no linux-image matching %s" % (p.suite, p.kernel_re.pattern))
    path = os.path.join(cache._mkdir(os.path.join(cache.root(), "kernel")), version)
    if os.path.exists(os.path.join(path, ".complete")):
        return cache.Kernel(version, path)
    with _Locked(p, "kernel"):
        if os.path.exists(os.path.join(path, ".complete")):
            return cache.Kernel(version, path)
        cache.log("fetching linux-image-%s (%s) with a private apt config" % (version, p.suite))
        deb = download(p, "linux-image-" + version)
        tmp = tempfile.mkdtemp(prefix="dl-", dir=os.path.dirname(path))
        try:
            tree = os.path.join(tmp, "tree")
            r = _run(["dpkg-deb", "-x", deb, tree])
            if r.returncode != 0:
                raise DistroError("dpkg-deb -x %s: %s" % (deb, r.stdout))
            # usr-merged: modules live in usr/lib/modules; depmod -b and the harness look in lib/.
            if not os.path.exists(os.path.join(tree, "lib")):
                os.symlink("usr/lib", os.path.join(tree, "lib"))
            moddir = os.path.join(tree, "lib", "modules", version)
            r = _run(["find", moddir, "-name", "*.ko.xz", "-exec", "xz", "-d", "{}", "+"])
            if r.returncode != 0:
                raise DistroError("decompressing %s's modules: %s" % (version, r.stdout[-400:]))
            r = _run(["depmod", "-b", tree, version])
            if r.returncode != 0:
                raise DistroError("depmod -b %s: %s" % (tree, r.stdout[-400:]))
            open(os.path.join(tree, ".complete"), "w").close()
            shutil.rmtree(path, ignore_errors=True)
            os.rename(tree, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return cache.Kernel(version, path)


# --- the suite's root fs: build chroot and sysroot ----------------------------------------

def root(p, say=cache.log):
    """A debootstrapped root fs of the suite with ROOT_PACKAGES, built once per recipe."""
    recipe = "%s %s minbase %s" % (p.suite, MIRROR, ",".join(p.root_packages))
    path = os.path.join(_top(p), "root-" + hashlib.sha256(recipe.encode()).hexdigest()[:12])
    if os.path.exists(os.path.join(path, ".complete")):
        return path
    with _Locked(p, "root"):
        if os.path.exists(os.path.join(path, ".complete")):
            return path
        say("debootstrapping the %s root fs into %s (once per recipe; minutes)" % (p.suite, path))
        tmp = path + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        r = _run(["nice", "debootstrap", "--variant=minbase", "--include=" + ",".join(p.root_packages),
                  p.suite, tmp, MIRROR])
        with open(path + ".log", "w") as f:
            f.write(r.stdout)
        if r.returncode != 0:
            raise DistroError("debootstrap %s failed (log: %s.log): %s" % (p.suite, path, r.stdout[-400:]))
        open(os.path.join(tmp, ".complete"), "w").close()
        os.rename(tmp, path)
    return path


def build(p, rootfs, say=cache.log):
    """Build the checkout inside the suite's root fs (its gcc, its libxen) into
    build/SUITE/; returns that directory.  make decides what is out of date."""
    out = os.path.join(images.REPO, "build", p.suite)
    os.makedirs(out, exist_ok=True)
    script = ("set -e; mount --bind %s %s/src; mount -t proc proc %s/proc; "
              "chroot %s sh -c 'cd /src && nice make BUILD=build/%s all'"
              % (images.REPO, rootfs, rootfs, rootfs, p.suite))
    os.makedirs(os.path.join(rootfs, "src"), exist_ok=True)
    r = _run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    with open(os.path.join(out, "build.log"), "w") as f:
        f.write(r.stdout)
    if r.returncode != 0:
        raise DistroError("make inside the %s root fs failed (%s/build.log): %s"
                          % (p.suite, out, r.stdout[-600:]))
    return out


class SysrootImage(Image):
    """An initramfs whose dynamic binaries come with the sysroot's libraries and
    loader (resolved by the sysroot's own ld.so), not the host's."""

    LIBDIR = "usr/lib/x86_64-linux-gnu"
    LOADER = "/lib64/ld-linux-x86-64.so.2"

    def __init__(self, kind, sysroot):
        Image.__init__(self, kind)
        self.sysroot = sysroot

    def add_binary(self, src, dest=None):
        # Our build, or a package unpacked into the cache (unpacked()): as is; else the sysroot's.
        outside = src.startswith(images.REPO + "/") or src.startswith(cache.root() + "/")
        host = src if outside else os.path.join(self.sysroot, src.lstrip("/"))
        if not os.path.isfile(host):
            raise ImageError("%s image: %s not found in %s (add its package to the profile)"
                             % (self.kind, src, self.sysroot))
        self.add_file(dest or src, host, 0o755)
        with open(host, "rb") as f:
            head = f.read(4096)
        if b"ld-linux-x86-64.so.2" not in head:
            return  # static (or a script)
        ld = os.path.join(self.sysroot, self.LIBDIR, "ld-linux-x86-64.so.2")
        libpath = ":".join(os.path.join(self.sysroot, d) for d in (self.LIBDIR, "lib/x86_64-linux-gnu"))
        r = _run([ld, "--library-path", libpath, "--list", host])
        if r.returncode != 0:
            raise ImageError("%s: the %s loader cannot resolve it: %s" % (src, self.sysroot, r.stdout[-300:]))
        self.add_file(self.LOADER, ld, 0o755)
        for line in r.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (/\S+)", line)
            if not m:
                if "not found" in line:
                    raise ImageError("%s: %s" % (src, line.strip()))
                continue
            lib = m.group(2)
            if not lib.startswith(self.sysroot + "/"):
                raise ImageError("%s: %s resolved outside the sysroot (%s)" % (src, m.group(1), lib))
            self.add_file("/" + self.LIBDIR + "/" + m.group(1), lib, 0o755)


def _modules(kernel, names):
    """Drop names the kernel does not have as a module or builtin (6.12 folded fscache into netfs)."""
    have = set()
    for fn in ("modules.dep", "modules.builtin"):
        try:
            with open(os.path.join(kernel.moddir, fn)) as f:
                for line in f:
                    base = os.path.basename(line.split(":")[0].strip())
                    have.add(re.sub(r"\.ko.*$", "", base).replace("-", "_"))
        except FileNotFoundError:
            pass
    return [n for n in names if n.replace("-", "_") in have]


def _base(kind, sysroot, build_dir, binaries, files):
    img = SysrootImage(kind, sysroot)
    img.add_busybox()
    for d in ("/proc", "/sys", "/dev", "/tmp", "/out", "/etc/xkd", "/root"):
        img.add_dir(d)
    for prog in images.PROJECT_BINARIES:
        path = os.path.join(build_dir, prog)
        if os.path.exists(path):
            img.add_binary(path, "/usr/sbin/" + prog)
    for b in binaries:
        img.add_binary(b)
    for dest, src in files.items():
        if _dynamic_elf(src):
            img.add_binary(src, dest)   # with its libraries from the sysroot
        else:
            img.add_file(dest, src)
    return img


def _dynamic_elf(path):
    with open(path, "rb") as f:
        head = f.read(4096)
    return head[:4] == b"\x7fELF" and b"ld-linux-x86-64.so.2" in head


def capture_image(sc, kernel, sysroot, build_dir):
    img = _base("capture", sysroot, build_dir, sc.capture_binaries, sc.capture_files)
    mods = img.add_modules(kernel, _modules(kernel, images.SHARE_MODULES))
    img.add_data("/etc/xkd/modules", "\n".join(mods) + "\n")
    img.add_data("/etc/xkd/env", images._env([("OUT", "/out"), ("VMCORE", "/proc/vmcore"),
                                              ("DUMP", "/out/dump"), ("XKD_SCENARIO", sc.name)]))
    img.add_data("/init", images.CAPTURE_INIT % dict(phase="capture_init",
                                                     head_pages=max(1, sc.vmcore_head // 4096)), 0o755)
    img.add_data("/etc/xkd/capture.sh", sc.capture_script, 0o755)
    return img.build()


def dom0_image(sc, kernel, capture_initrd, sysroot, build_dir):
    img = _base("dom0", sysroot, build_dir, sc.dom0_binaries, sc.dom0_files)
    mods = img.add_modules(kernel, _modules(kernel, images.XEN_MODULES + images.SHARE_MODULES))
    img.add_data("/etc/xkd/modules", "\n".join(mods) + "\n")
    img.add_file(images.CAPTURE_KERNEL, kernel.vmlinuz, 0o644)
    img.add_file(images.CAPTURE_INITRD, capture_initrd, 0o644)
    img.add_data("/etc/xkd/env", images._env([
        ("OUT", "/out"), ("XKD_SCENARIO", sc.name), ("XKD_CRASH", sc.crash), ("XKD_SMP", sc.smp),
        ("CAPTURE_KERNEL", images.CAPTURE_KERNEL), ("CAPTURE_INITRD", images.CAPTURE_INITRD),
        ("CAPTURE_CMDLINE", sc.capture_cmdline), ("XKD_DISTRO", sc.distro)]))
    img.add_data("/init", images.DOM0_INIT % dict(phase="dom0_init"), 0o755)
    img.add_data("/etc/xkd/dom0.sh", sc.dom0_script, 0o755)
    return img.build()


def prepare(sc, say=cache.log):
    """runner.prepare() for a DISTRO scenario: (kernel, xen, dom0 initrd, None)."""
    p = profile(sc.distro)
    k = kernel(p)
    xen = xen_binary(p)
    if sc.rootfs:
        disk, dom0 = prepare_rootfs(sc, p, k, say)
        return k, xen, dom0, disk
    sysroot = root(p, say)
    build_dir = build(p, sysroot, say)
    say("building %s images (kernel %s, Xen %d.%d)" % (p.name, k.version, *p.xen_version))
    capture = capture_image(sc, k, sysroot, build_dir)
    dom0 = dom0_image(sc, k, capture, sysroot, build_dir)
    return k, xen, dom0, None


def xen_version(sc):
    """(major, minor) the scenario's Xen reports: 4.17 for Debian 12."""
    d = getattr(sc, "distro", None)
    return PROFILES[d].xen_version if d else (4, 17)


def debug_vmlinux(p, version):
    """dom0's debug vmlinux (for crash) from the suite's linux-image-VERSION-dbg, under
    $XKD_CACHE/dbg/ like Debian 12's (only the vmlinux is kept; the .deb is dropped)."""
    rel = os.path.join("usr", "lib", "debug", "boot", "vmlinux-" + version)
    top = cache._mkdir(os.path.join(cache.root(), "dbg"))
    path = os.path.join(top, rel)
    if os.path.exists(path):
        return path
    with _Locked(p, "dbg"):
        if os.path.exists(path):
            return path
        cache.log("fetching linux-image-%s-dbg (%s, ~1 GB, once)" % (version, p.suite))
        deb = download(p, "linux-image-%s-dbg" % version)
        tmp = tempfile.mkdtemp(prefix="dl-", dir=top)
        try:
            r = subprocess.run("dpkg-deb --fsys-tarfile %s 2>/dev/null | tar -x --occurrence=1 -C %s ./%s"
                               % (deb, tmp, rel), shell=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            got = os.path.join(tmp, rel)
            if r.returncode != 0 or not os.path.exists(got):
                raise DistroError("extracting %s from %s: %s" % (rel, deb, r.stdout[-400:]))
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            os.rename(got, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            os.unlink(deb)
    return path


def chroot_run(p, argv, binds=(), timeout=900, input=None):
    """Run argv inside the suite's root fs (e.g. its crash 8.0.6) with host dirs
    bind-mounted at the same paths; returns the CompletedProcess."""
    rootfs = root(p)
    script = "set -e; mount -t proc proc %s/proc; " % rootfs
    for d in binds:
        os.makedirs(rootfs + d, exist_ok=True)
        script += "mount --bind %s %s%s; " % (d, rootfs, d)
    script += 'exec chroot %s "$@"' % rootfs
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + list(argv),
                          input=input, capture_output=True, text=True, timeout=timeout)


# --- ROOTFS = "debian" with a DISTRO: the suite's dom0 root fs with systemd ---------------

# Like rootfs.PACKAGES for Debian 12, plus what building the checkout inside the root fs
# needs (the appliance is built there, with the suite's gcc and libxen-dev).
ROOTFS_PACKAGES = {
    "trixie": ("systemd-sysv", "udev", "kmod", "e2fsprogs", "util-linux", "procps",
               "dracut", "dracut-core", "zstd", "xz-utils",
               "xen-utils-4.20", "xen-utils-common", "libxenmisc4.20", "libxencall1",
               "gcc", "make", "pkg-config", "libc6-dev", "libelf-dev", "libzstd-dev", "zlib1g-dev",
               "liblzma-dev", "libxen-dev",
               "linux-image-{kver}"),
}
ROOTFS_RECIPE = "1"


def rootfs_base(p, kver, log=cache.log):
    """The suite's dom0 root fs image (rootfs.Base), built once per recipe with
    rootfs.py's BUILD_SCRIPT and layout under $XKD_CACHE/rootfs/SUITE-KVER-HASH/."""
    from . import rootfs
    pkgs = [x.format(kver=kver) for x in ROOTFS_PACKAGES[p.name]]
    h = hashlib.sha256("\0".join((ROOTFS_RECIPE, rootfs.RECIPE_VERSION, p.suite, MIRROR, SECURITY,
                                  str(rootfs.IMAGE_MB), rootfs.ROOT_UUID) + tuple(pkgs)).encode())
    path = os.path.join(cache.root(), "rootfs", "%s-%s-%s" % (p.suite, kver, h.hexdigest()[:16]))
    b = rootfs.Base(path, kver)
    if os.path.exists(os.path.join(path, ".complete")):
        return b
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with _Locked(p, "rootfs"):
        if os.path.exists(os.path.join(path, ".complete")):
            return b
        work = tempfile.mkdtemp(prefix="%s-build-" % p.suite, dir=os.path.dirname(path))
        log("building the Debian %s dom0 root fs (debootstrap + apt, once per recipe): %s"
            % (p.suite, os.path.basename(path)))
        tree = os.path.join(work, "tree")
        os.makedirs(tree)
        script = rootfs.BUILD_SCRIPT.format(suite=p.suite, mirror=MIRROR, security=SECURITY,
                                            uuid=rootfs.ROOT_UUID)
        blog = os.path.join(work, "build.log")
        try:
            with open(blog, "w") as f:
                r = subprocess.run(["nice", "-n", "19", "ionice", "-c3", "unshare", "--mount",
                                    "--propagation", "private", "sh", "-c", script, "build", tree, kver] + pkgs,
                                   stdout=f, stderr=subprocess.STDOUT, timeout=rootfs.BUILD_TIMEOUT)
            if r.returncode != 0:
                raise DistroError("building the %s root fs failed (rc %d; log %s): %s"
                                  % (p.suite, r.returncode, blog, open(blog).read()[-1500:]))
            shutil.copy(os.path.join(tree, "boot", "initrd.img-" + kver), os.path.join(work, "initrd.img"))
            rootfs.image_from_tree(tree, work, path)
        except BaseException:
            shutil.rmtree(tree, ignore_errors=True)
            raise
    return b


def fetch(p, say=cache.log):
    """Everything a cold run of the suite's essential scenarios would otherwise make
    on the way (tests/vm/run --fetch, make vm-fetch); a one-line summary."""
    t0 = time.monotonic()
    k = kernel(p)
    xen = xen_binary(p)
    r = root(p, say)
    rootfs_base(p, k.version, log=say)
    dbg = debug_vmlinux(p, k.version)
    return "%s: kernel %s, Xen %s, root %s, debug vmlinux %s (%.0f s)" % (
        p.name, k.version, os.path.basename(xen), os.path.basename(r), os.path.basename(dbg),
        time.monotonic() - t0)


def switch_root_image(kernel):
    """images.switch_root_image for a kernel whose module set differs (names it lacks are skipped)."""
    img = Image("rootfs-initrd")
    img.add_busybox()
    for d in ("/proc", "/sys", "/dev", "/newroot", "/etc/xkd"):
        img.add_dir(d)
    mods = img.add_modules(kernel, _modules(kernel, images.ROOT_MODULES))
    img.add_data("/etc/xkd/modules", "\n".join(mods) + "\n")
    img.add_data("/init", images.SWITCH_ROOT_INIT, 0o755)
    return img.build()


def prepare_rootfs(sc, p, k, say):
    from . import rootfs, runner
    t0 = time.monotonic()
    b = rootfs_base(p, k.version, log=say)
    disk = runner.rootfs_disk_path(sc)
    os.makedirs(os.path.dirname(disk), mode=0o700, exist_ok=True)
    say("preparing the %s root fs (%s)" % (p.suite, sc.name))
    log = rootfs.run_disk(b, disk, str(sc.rootfs_script) or ":",
                          env=dict(REPO=images.REPO, BUILD="build/%s-rootfs" % p.suite, KVER=k.version,
                                   XKD_SCENARIO=sc.name, XKD_DISTRO=p.name))
    with open(os.path.join(os.path.dirname(disk), "prepare.log"), "w") as f:
        f.write(log)
    say("root fs ready in %.0f s" % (time.monotonic() - t0))
    if os.environ.get("XKD_ROOTFS_OWN_INITRD") == "1":
        return disk, b.initrd
    return disk, switch_root_image(k)
