"""Build initramfs images (cpio newc, gzip) from host files, cached by content hash."""
import gzip
import hashlib
import os
import re
import stat
import subprocess

from . import cache

BUSYBOX = "/bin/busybox"
KEEP_IMAGES = 24  # per kind: every rebuild of build/xen-kdump makes new images


class ImageError(Exception):
    pass


class Image:
    """An initramfs under construction: paths inside the image -> content."""

    def __init__(self, kind):
        self.kind = kind
        self.entries = {}  # path -> ("file", bytes|hostpath, mode) | ("dir",) | ("link", target)

    def add_dir(self, path):
        path = "/" + path.strip("/")
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = "/" + "/".join(parts[:i])
            if p not in self.entries:
                self.entries[p] = ("dir",)

    def _parent(self, path):
        parent = os.path.dirname(path)
        if parent != "/":
            self.add_dir(parent)

    def add_data(self, path, data, mode=0o644):
        if isinstance(data, str):
            data = data.encode()
        self._parent(path)
        self.entries[path] = ("file", data, mode)

    def add_file(self, path, src, mode=None):
        if not os.path.isfile(src):
            raise ImageError("%s image: %s does not exist" % (self.kind, src))
        self._parent(path)
        if mode is None:
            mode = stat.S_IMODE(os.stat(src).st_mode)
        self.entries[path] = ("file", os.path.realpath(src), mode)

    def add_link(self, path, target):
        self._parent(path)
        self.entries[path] = ("link", target)

    def add_busybox(self):
        self.add_file("/bin/busybox", BUSYBOX, 0o755)
        r = subprocess.run([BUSYBOX, "--list-full"], stdout=subprocess.PIPE, text=True)
        for applet in r.stdout.split():
            p = "/" + applet
            if p not in self.entries:
                self.add_link(p, "/bin/busybox")

    def add_binary(self, src, dest=None):
        """A host executable plus every shared library ldd reports for it."""
        if not os.path.isfile(src):
            raise ImageError("%s image: binary %s not found (install its package: make deps)"
                             % (self.kind, src))
        self.add_file(dest or src, src, 0o755)
        r = subprocess.run(["ldd", src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if "not a dynamic executable" in r.stdout or "statically linked" in r.stdout:
            return
        for line in r.stdout.splitlines():
            line = line.strip()
            if "not found" in line:
                raise ImageError("%s: ldd says %s" % (src, line))
            m = re.match(r"(\S+) => (/\S+)", line) or re.match(r"(/\S+) \(0x", line)
            if not m:
                continue
            lib = m.group(2) if m.lastindex == 2 else m.group(1)
            name = lib if m.lastindex == 1 else os.path.join(os.path.dirname(lib), m.group(1))
            self.add_file(name, lib, 0o755)

    def add_modules(self, kernel, names):
        """Kernel modules and their dependencies; returns image paths in load order."""
        order = module_order(kernel.moddir, names)
        paths = []
        for rel in order:
            dest = "/lib/modules/%s/%s" % (kernel.version, rel)
            self.add_file(dest, os.path.join(kernel.moddir, rel), 0o644)
            paths.append(dest)
        return paths

    def digest(self):
        h = hashlib.sha256(self.kind.encode())
        for path in sorted(self.entries):
            e = self.entries[path]
            h.update(b"\0" + path.encode() + b"\0" + e[0].encode())
            if e[0] == "file":
                h.update(b"%o" % e[2])
                h.update(_content_hash(e[1]))
            elif e[0] == "link":
                h.update(e[1].encode())
        return h.hexdigest()[:24]

    def build(self):
        """Path of the gzipped cpio in the cache, built only if its content changed."""
        path = cache.image_path("%s-%s" % (self.kind, self.digest()), ".cpio.gz")
        if os.path.exists(path):
            os.utime(path)  # mtime = last use, for pruning
        else:
            cache.store(path, gzip.compress(self.cpio(), compresslevel=6, mtime=0))
            cache.prune(self.kind + "-", keep=KEEP_IMAGES)
        return path

    def cpio(self):
        out = bytearray()
        for ino, path in enumerate(sorted(self.entries), start=1):
            e = self.entries[path]
            if e[0] == "dir":
                out += _cpio_entry(path, stat.S_IFDIR | 0o755, b"", ino, nlink=2)
            elif e[0] == "link":
                out += _cpio_entry(path, stat.S_IFLNK | 0o777, e[1].encode(), ino)
            else:
                data = e[1] if isinstance(e[1], bytes) else _read(e[1])
                out += _cpio_entry(path, stat.S_IFREG | e[2], data, ino)
        out += _cpio_entry("TRAILER!!!", 0, b"", 0, nlink=1, keep_name=True)
        return bytes(out)


_hash_memo = {}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _content_hash(src):
    if isinstance(src, bytes):
        return hashlib.sha256(src).digest()
    st = os.stat(src)
    key = (src, st.st_size, st.st_mtime_ns)
    if key not in _hash_memo:
        _hash_memo[key] = hashlib.sha256(_read(src)).digest()
    return _hash_memo[key]


def _cpio_entry(path, mode, data, ino, nlink=1, keep_name=False):
    name = (path if keep_name else path.lstrip("/")).encode() + b"\0"
    hdr = b"070701" + b"".join(b"%08X" % v for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name), 0))
    buf = hdr + name
    buf += b"\0" * (-len(buf) % 4)
    buf += data
    buf += b"\0" * (-len(buf) % 4)
    return buf


def _modname(rel):
    base = os.path.basename(rel)
    base = re.sub(r"\.ko(\.xz|\.zst|\.gz)?$", "", base)
    return base.replace("-", "_")


def module_order(moddir, names):
    """Resolve module names against modules.dep: dependencies first, builtins skipped."""
    deps, by_name = {}, {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
            by_name[_modname(mod)] = mod
    builtin = set()
    bpath = os.path.join(moddir, "modules.builtin")
    if os.path.exists(bpath):
        with open(bpath) as f:
            builtin = {_modname(line.strip()) for line in f if line.strip()}
    order, seen = [], set()

    def visit(rel):
        if rel in seen:
            return
        seen.add(rel)
        for d in deps.get(rel, []):
            visit(d)
        if rel.endswith((".xz", ".zst", ".gz")):
            raise ImageError("module %s is compressed; the harness expects plain .ko files" % rel)
        order.append(rel)

    for name in names:
        n = name.replace("-", "_")
        if n in builtin:
            continue
        if n not in by_name:
            raise ImageError("kernel module %s not found in %s/modules.dep" % (name, moddir))
        visit(by_name[n])
    return order
