"""A real Debian 12 dom0 root filesystem (scenario ROOTFS = "debian").

Built once with debootstrap + apt inside a chroot and cached as an ext4 image:
  ${XKD_CACHE:-/var/cache/xen-kdump-tests}/rootfs/debian-HASH/
      root.img        ext4, fixed UUID ROOT_UUID, label xkd-root (sparse)
      initrd.img      the root fs's own /boot/initrd.img-VERSION (dracut, made by
                      the kernel package's postinst), which dom0 boots with
      build.log       what debootstrap and apt said; .complete when done
HASH covers RECIPE_VERSION, the package list and the kernel version, so the
image's modules always match the harness's kernel.  Per run, the scenario gets
a sparse copy of root.img (a few seconds), customised by its prepare_rootfs(root)
with the copy loop-mounted on root, in a private mount namespace so that no
mount outlives the call.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

from . import cache

MIRROR = os.environ.get("XKD_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY = os.environ.get("XKD_DEBIAN_SECURITY", "http://deb.debian.org/debian-security")
SUITE = "bookworm"
# Bump when the recipe below changes in a way the package list does not show.
RECIPE_VERSION = "2"
ROOT_UUID = "6b1f0a52-58a5-4d0e-9b43-7c1d2b8c9e01"
ROOT_LABEL = "xkd-root"
IMAGE_MB = 3072
# What a Xen dom0 running xen-kdump needs; {kver} is the harness's kernel.
# dracut comes before the kernel so the kernel's postinst builds dom0's initrd with it.
PACKAGES = (
    "systemd-sysv", "udev", "kmod", "e2fsprogs", "util-linux", "procps",
    "dracut", "dracut-core",
    # What a standard Debian install has and xen-kdump wants: zstd compresses the
    # capture initramfs (dracut falls back to gzip without it), xz lets load
    # measure the capture kernel.
    "zstd", "xz-utils",
    # The package's own Depends (debian/control) beyond the above: the image has
    # no package lists, so `apt-get install ./xen-kdump_*.deb` must find them here.
    "iproute2", "jq",
    "xen-utils-4.17", "xen-utils-common", "libxenmisc4.17", "libxencall1",
    "libelf1", "libzstd1",
    "linux-image-{kver}",
)
BUILD_TIMEOUT = 3600


class RootfsError(Exception):
    pass


def packages(kver):
    return [p.format(kver=kver) for p in PACKAGES]


def _key(kver):
    h = hashlib.sha256()
    for part in (RECIPE_VERSION, SUITE, MIRROR, SECURITY, str(IMAGE_MB), ROOT_UUID) + tuple(packages(kver)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


def image_from_tree(tree, work, path):
    """Turns the chroot tree built in work into work/root.img (ext4, the fixed
    UUID and label dom0 mounts by), drops the tree, marks work complete and
    moves it to path, replacing an older build there."""
    img = os.path.join(work, "root.img")
    with open(img, "wb") as f:
        f.truncate(IMAGE_MB << 20)
    out = subprocess.run(["mkfs.ext4", "-q", "-F", "-U", ROOT_UUID, "-L", ROOT_LABEL, "-d", tree, img],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if out.returncode != 0:
        raise RootfsError("mkfs.ext4 -d failed: %s" % out.stdout[-1000:])
    shutil.rmtree(tree)
    open(os.path.join(work, ".complete"), "w").close()
    shutil.rmtree(path, ignore_errors=True)
    os.rename(work, path)


class Base:
    def __init__(self, path, kver):
        self.path = path
        self.kver = kver
        self.image = os.path.join(path, "root.img")
        self.initrd = os.path.join(path, "initrd.img")


# Runs in a private mount namespace (unshare -m): the chroot's /proc, /sys and
# /dev vanish with it, whatever happens.
BUILD_SCRIPT = r"""
set -eu
R=$1; KVER=$2; shift 2
debootstrap --variant=minbase --components=main {suite} "$R" {mirror}
cat > "$R/etc/apt/sources.list" <<EOF
deb {mirror} {suite} main
deb {mirror} {suite}-updates main
deb {security} {suite}-security main
EOF
# No daemon starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 0755 "$R/usr/sbin/policy-rc.d"
mount -t proc proc "$R/proc"; mount -t sysfs sysfs "$R/sys"; mount --rbind /dev "$R/dev"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
chroot "$R" apt-get -q update
chroot "$R" apt-get -q -y --no-install-recommends install "$@"
chroot "$R" apt-get clean
rm -rf "$R"/var/lib/apt/lists/* "$R/usr/sbin/policy-rc.d"
test -e "$R/boot/vmlinuz-$KVER" && test -e "$R/boot/initrd.img-$KVER"
echo xkd-dom0 > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 xkd-dom0\n' > "$R/etc/hosts"
echo "UUID={uuid} / ext4 errors=remount-ro 0 1" > "$R/etc/fstab"
: > "$R/etc/machine-id"
# Nothing a test VM needs, and slow under TCG.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service e2scrub_all.timer \
	dpkg-db-backup.timer fstrim.timer getty-static.service xendomains.service; do
	ln -sf /dev/null "$R/etc/systemd/system/$u"
done
umount -R "$R/dev" "$R/sys" "$R/proc"
"""


def base(kver, log=cache.log):
    """The cached base image for kernel kver, built (debootstrap + apt) when missing."""
    path = os.path.join(cache.root(), "rootfs", "debian-%s-%s" % (kver, _key(kver)))
    b = Base(path, kver)
    if os.path.exists(os.path.join(path, ".complete")):
        return b
    if not shutil.which("debootstrap"):
        raise RootfsError("debootstrap is missing: apt-get install debootstrap (make deps)")
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    # One builder at a time: a second caller (another checkout, CI) waits and then
    # finds the image built; nobody prunes a build in progress.
    with open(os.path.join(os.path.dirname(path), ".build.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(path, ".complete")):
            _build(path, kver, log)
    return b


def _build(path, kver, log):
    work = tempfile.mkdtemp(prefix="build-", dir=os.path.dirname(path))
    t0 = time.monotonic()
    log("building the Debian %s dom0 root fs (debootstrap + apt, once per recipe; ~%s)"
        % (SUITE, os.path.basename(path)))
    try:
        tree = os.path.join(work, "tree")
        os.makedirs(tree)
        blog = os.path.join(work, "build.log")
        script = BUILD_SCRIPT.format(suite=SUITE, mirror=MIRROR, security=SECURITY, uuid=ROOT_UUID)
        with open(blog, "w") as f:
            r = subprocess.run(["nice", "-n", "19", "ionice", "-c3", "unshare", "--mount",
                                "--propagation", "private", "sh", "-c", script, "build", tree, kver]
                               + packages(kver), stdout=f, stderr=subprocess.STDOUT,
                               timeout=BUILD_TIMEOUT)
        if r.returncode != 0:
            with open(blog) as f:
                tail = f.read()[-1500:]
            raise RootfsError("building the Debian root fs failed (rc %d; log %s):\n%s"
                              % (r.returncode, blog, tail))
        shutil.copy(os.path.join(tree, "boot", "initrd.img-" + kver), os.path.join(work, "initrd.img"))
        image_from_tree(tree, work, path)
    except BaseException:
        # Keep the log of a failed build; drop the tree (GBs) and partial image.
        shutil.rmtree(os.path.join(work, "tree"), ignore_errors=True)
        raise
    log("Debian root fs built in %.0f s: %s" % (time.monotonic() - t0, path))
    _prune_others(path)


def _prune_others(keep):
    """Old recipes' images (GBs each) and failed builds' leftovers go."""
    top = os.path.dirname(keep)
    for name in os.listdir(top):
        p = os.path.join(top, name)
        if p != keep and name.startswith(("debian-", "build-")):
            shutil.rmtree(p, ignore_errors=True)


def run_disk(b, disk, customise_script, env=None, timeout=1800):
    """disk := a fresh sparse copy of the base image, then customise_script
    (sh -e, $ROOT = the copy's mount point, chroot-ready: /proc, /sys and /dev
    mounted inside) runs in private mount and UTS namespaces (the hostname is
    the guest's)."""
    if os.path.exists(disk):
        os.unlink(disk)
    r = subprocess.run(["cp", "--sparse=always", b.image, disk], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RootfsError("copying %s failed: %s" % (b.image, r.stdout))
    mnt = tempfile.mkdtemp(prefix="xkd-root-")
    script = r"""
set -eu
mount -o loop "$XKD_DISK" "$ROOT"
# What the image bakes in (dracut's hostname -s) is the guest's name, not this host's.
hostname "$(cat "$ROOT/etc/hostname")"
mount -t proc proc "$ROOT/proc"; mount -t sysfs sysfs "$ROOT/sys"; mount --rbind /dev "$ROOT/dev"
mount -t tmpfs tmpfs "$ROOT/tmp"
rc=0
( set -e; %s ) || rc=$?
umount -R "$ROOT/tmp" "$ROOT/dev" "$ROOT/sys" "$ROOT/proc"
umount "$ROOT"
exit $rc
""" % customise_script
    e = dict(os.environ, ROOT=mnt, XKD_DISK=disk, **(env or {}))
    try:
        r = subprocess.run(["unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", script],
                           env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
    finally:
        os.rmdir(mnt)
    if r.returncode != 0:
        raise RootfsError("preparing the root fs copy failed (rc %d):\n%s" % (r.returncode, r.stdout[-3000:]))
    return r.stdout


class Mounted:
    """The run's root fs disk loop-mounted read-only on the host, for check()."""

    def __init__(self, disk):
        self.disk = disk
        self.mnt = None

    def __enter__(self):
        self.mnt = tempfile.mkdtemp(prefix="xkd-rootfs-check-")
        r = subprocess.run(["mount", "-o", "ro,loop", self.disk, self.mnt], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            os.rmdir(self.mnt)
            raise RootfsError("cannot mount %s: %s" % (self.disk, r.stdout.strip()))
        return self.mnt

    def __exit__(self, *exc):
        subprocess.run(["umount", self.mnt])  # the loop device goes with it (autoclear)
        os.rmdir(self.mnt)
