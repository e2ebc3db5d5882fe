#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `xen-kdump rebuild` builds real capture initramfs images with dracut and the
# 99xen-kdump module against the Debian kernel the VM harness caches, and
# lsinitrd shows exactly the pieces each target needs.
set -u
. "$(dirname "$0")/lib.sh"
cache=${XKD_TEST_CACHE:-${XKD_CACHE:-/var/cache/xen-kdump-tests}}
kdir=$(ls -d "$cache"/kernel/*/lib/modules/* 2> /dev/null | head -n 1)
if [ -z "$kdir" ]; then
	echo "dracut: no Debian kernel under $cache/kernel; the VM harness fetches it (tests/vm)" >&2
	exit 1
fi
kver=$(basename "$kdir")
kroot=${kdir%/lib/modules/*}
T=$(mktemp -d /tmp/xkd-dracut.XXXXXX)
[ -d "$T" ] || exit 1
trap 'rm -rf "$T"' EXIT

# A dracut tree with this checkout's module beside the system's modules.
mkdir -p "$T/dracut/modules.d"
for f in /usr/lib/dracut/*; do [ "${f##*/}" = modules.d ] || ln -s "$f" "$T/dracut/"; done
for m in /usr/lib/dracut/modules.d/*; do ln -s "$m" "$T/dracut/modules.d/"; done
ln -s "$top/initramfs/99xen-kdump" "$T/dracut/modules.d/99xen-kdump"
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
# dom0's network as recorded `ip -j` output (tests/appliance/netplan), not this machine's.
nets=$top/tests/appliance/netplan
export XKD_NET_FIXTURES=$nets/static-bridge
HOST_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq"

build() {
	start=$(date +%s)
	dracutbasedir=$T/dracut "$XKD" rebuild --config "$T/conf" --kmoddir "$kdir" "$@" > "$T/out" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	return 0
}
has() { grep -q " $1\$" "$T/ls" || grep -q " $1 ->" "$T/ls"; }
all_in_ls() {
	for m in "$@"; do
		grep -q "/$m\$" "$T/ls" || { echo "no $m in the image"; return 1; }
	done
}
# conf LINES...: the capture kernel by its literal name, so its release comes from the image.
conf() {
	printf 'kernel %s/boot/vmlinuz-%s\ninitrd %s/initrd-%s.img\n' "$kroot" "$kver" "$T" "$kver" > "$T/conf"
	printf '%s\n' "$@" >> "$T/conf"
}
img=$T/initrd-$kver.img

# 1. ssh target; %r expands to the --kver given.
printf 'kernel %s/boot/vmlinuz-%%r\ninitrd %s/initrd-%%r.img\n' "$kroot" "$T" > "$T/conf"
printf '%s\n' "target ssh dump@10.0.2.2:/srv/crash" "ssh_key $T/id" "ssh_known_host $HOST_KEY" \
	"ssh_port 2222" >> "$T/conf"
build --kver "$kver"
check "ssh: rebuild succeeds (${took}s)" '[ $rc -eq 0 ] && [ -s "$img" ] || { cat "$T/out"; false; }'
check "ssh: image is 0600" '[ "$(stat -c %a "$img")" = 600 ]'
lsinitrd "$img" > "$T/ls" 2> /dev/null
for f in usr/lib/xen-kdump/capture usr/lib/xen-kdump/capture-lib.sh usr/lib/systemd/system/xen-kdump-capture.service \
	usr/lib/systemd/system/xen-kdump-failure.service \
	usr/lib/systemd/system/initrd.target.wants/xen-kdump-capture.service \
	etc/xen-kdump/config.env etc/xen-kdump/build.env etc/xen-kdump/id etc/xen-kdump/known_hosts \
	etc/cmdline.d/99xen-kdump.conf usr/bin/ssh usr/bin/makedumpfile usr/bin/timeout; do
	check "ssh: lsinitrd shows $f" 'has "$f"'
done
check "ssh: capture script executable, identity and config private" \
	'grep -q "^-rwxr-xr-x .* usr/lib/xen-kdump/capture$" "$T/ls" && grep -q "^-rw------- .* etc/xen-kdump/id$" "$T/ls" && grep -q "^-rw------- .* etc/xen-kdump/config.env$" "$T/ls"'
check "ssh: pinned host key for [host]:port" \
	'[ "$(lsinitrd -f etc/xen-kdump/known_hosts "$img")" = "[10.0.2.2]:2222 $HOST_KEY" ]'
check "ssh: the validated config inside" 'lsinitrd -f etc/xen-kdump/config.env "$img" | grep -q "^XKD_TARGET_KIND=.ssh.$"'
check "ssh: network needed, no dracut DHCP" '[ "$(lsinitrd -f etc/cmdline.d/99xen-kdump.conf "$img")" = "rd.neednet=1" ]'
check "ssh: no NFS client" '! grep -q "sbin/mount.nfs$" "$T/ls"'
check "ssh: dom0's static xenbr0 by systemd-networkd, wait for it bounded by timeout (120)" \
	'lsinitrd -f etc/systemd/network/10-xen-kdump-xenbr0.network "$img" | grep -q "^Address=192.168.10.5/24$" &&
	 lsinitrd -f etc/systemd/network/10-xen-kdump-xenbr0.netdev "$img" | grep -q "^Kind=bridge$" &&
	 lsinitrd -f etc/systemd/network/10-xen-kdump-enp1s0.network "$img" | grep -q "^Bridge=xenbr0$" &&
	 lsinitrd -f usr/lib/systemd/system/systemd-networkd-wait-online.service.d/xen-kdump.conf "$img" | grep -q -- "--interface=xenbr0:routable --timeout=120$"'
check "ssh: the bridge module, though nothing here has it loaded" 'grep -q "/bridge.ko" "$T/ls"'
check "ssh: only the plan's network files (none of the host's)" \
	'[ "$(grep -c "etc/systemd/network/." "$T/ls")" = 3 ]'
# The same plan as the recorded case's, for this config's target (its first line).
same_plan() { [ "$(sed 1d "$1")" = "$(sed 1d "$2")" ] && [ "$(head -n 1 "$1")" = "target 10.0.2.2" ]; }
check "ssh: the plan is kept beside the image" 'same_plan "$img.network" "$nets/static-bridge/expected"'
check "ssh: the capture waits for the network (drop-in)" \
	'lsinitrd -f usr/lib/systemd/system/xen-kdump-capture.service.d/network.conf "$img" | grep -q "^After=network-online.target$"'
check "ssh: the capture unit is bounded: capture_timeout auto (24 h) + timeout + 10 min" \
	'lsinitrd -f usr/lib/systemd/system/xen-kdump-capture.service.d/timeout.conf "$img" | grep -q "^TimeoutStartSec=87120$"'
size_ssh=$(stat -c %s "$img")

# 2. --if-stale: nothing to do, then a config change rebuilds.
touch -d "2 minutes ago" "$T/conf" "$T/id"
before=$(stat -c %Y "$img")
build --kver "$kver" --if-stale
check "if-stale: up-to-date image left alone" '[ $rc -eq 0 ] && [ "$(stat -c %Y "$img")" = "$before" ]'
touch "$T/conf"
build --kver "$kver" --if-stale
check "if-stale: a touched but equal config changes nothing" '[ $rc -eq 0 ] && [ "$(stat -c %Y "$img")" = "$before" ]'
sleep 1
echo "keep 3" >> "$T/conf"
build --kver "$kver" --if-stale
check "if-stale: a changed config rebuilds (${took}s)" \
	'[ $rc -eq 0 ] && [ "$(stat -c %Y "$img")" != "$before" ] && grep -q "Rebuilding: the configuration changed" "$T/out"'
check "if-stale: the sidecar records the config the image holds" 'grep -q "^XKD_KEEP=.3.$" "$img.config"'
before=$(stat -c %Y "$img")
sleep 1
XKD_NET_FIXTURES=$nets/bond-ab build --kver "$kver" --if-stale
check "if-stale: a network change rebuilds (${took}s)" \
	'[ $rc -eq 0 ] && [ "$(stat -c %Y "$img")" != "$before" ] && grep -q "Rebuilding: dom0.s network to 10.0.2.2 changed" "$T/out" &&
	 same_plan "$img.network" "$nets/bond-ab/expected" &&
	 lsinitrd -f etc/systemd/network/10-xen-kdump-bond0.netdev "$img" | grep -q "^Mode=active-backup$" &&
	 lsinitrd "$img" | grep -q "/bonding.ko" &&
	 [ "$(lsinitrd -f etc/modprobe.d/xen-kdump-bonding.conf "$img")" = "options bonding max_bonds=0" ]'
before=$(stat -c %Y "$img")
XKD_NET_FIXTURES=$nets/no-route build --kver "$kver" --if-stale
check "if-stale: no route to the target now keeps the image built with one" \
	'[ $rc -eq 0 ] && [ "$(stat -c %Y "$img")" = "$before" ] && grep -q "dom0 has no route to 10.0.2.2 now; keeping" "$T/out"'
# What the image cannot set up is said when it is built, by rebuild itself.
XKD_NET_FIXTURES=$nets/unsupported build --kver "$kver" --if-stale
check "if-stale: an unsupported link (a team) rebuilds with a warning naming it (${took}s)" \
	'[ $rc -eq 0 ] && grep -q "warning: interface team0 is a team link, which the capture image cannot set up: the dump to 10.0.2.2 will likely fail; use a local target or failure_action save-local" "$T/out" || { cat "$T/out"; false; }'

# 3. nfs target; the kernel release is read from the bzImage header this time.
conf "target nfs 10.0.2.2:/export/crash"
XKD_NET_FIXTURES=$nets/dhcp build
check "nfs: rebuild succeeds, release read from the image (${took}s)" \
	'[ $rc -eq 0 ] && [ -s "$img" ] && grep -q "(kernel $kver, systemd image)" "$T/out" || { cat "$T/out"; false; }'
lsinitrd "$img" > "$T/ls" 2> /dev/null
check "nfs: mount.nfs and nfs.ko inside" 'grep -q "sbin/mount.nfs$" "$T/ls" && grep -q "/nfs.ko" "$T/ls"'
check "nfs: no ssh, no identity, no known_hosts" '! has usr/bin/ssh && ! has etc/xen-kdump/id && ! has etc/xen-kdump/known_hosts'
check "nfs: DHCP where dom0 uses DHCP" \
	'lsinitrd -f etc/systemd/network/10-xen-kdump-eth0.network "$img" | grep -q "^DHCP=ipv4$"'

# 4. local path on its own ext4 (a loop device): recorded by UUID with the subdirectory.
truncate -s 16M "$T/disk.img" && mkfs.ext4 -q -F "$T/disk.img" && mkdir -p "$T/disk" &&
	loop=$(losetup -f --show "$T/disk.img") && mount "$loop" "$T/disk" && mkdir -p "$T/disk/var/crash"
trap 'umount "$T/disk" 2> /dev/null; [ -n "${loop:-}" ] && losetup -d "$loop"; rm -rf "$T"' EXIT
uuid=$(blkid -s UUID -o value "${loop:-none}" 2> /dev/null)
check "path: scratch ext4 on a loop device (uuid ${uuid:-none})" '[ -n "$uuid" ]'
conf "target path $T/disk/var/crash" "capture_timeout 600" "extra_modules nvme"
# The host's dracut config: the drivers it adds reach the small image, nothing else of it does.
mkdir -p "$T/host-dracut.conf.d"
printf 'add_drivers+=" virtio_blk "\n' > "$T/host-dracut.conf"
printf 'force_drivers+=" 9p "\nadd_dracutmodules+=" systemd "\n' > "$T/host-dracut.conf.d/90-vm.conf"
XKD_HOST_DRACUT_CONF=$T/host-dracut.conf build
check "path: rebuild succeeds, the small image for the distribution kernel (${took}s)" \
	'[ $rc -eq 0 ] && grep -q "Built $img (kernel $kver, small image)" "$T/out" || { cat "$T/out"; false; }'
lsinitrd -f etc/xen-kdump/build.env "$img" > "$T/env" 2> /dev/null
check "path: target filesystem by UUID, type and subdirectory" \
	'grep -q "^XKD_TARGET_DEVICE=.UUID=$uuid.$" "$T/env" && grep -q "^XKD_TARGET_FSTYPE=.ext4.$" "$T/env" && grep -q "^XKD_TARGET_SUBDIR=./var/crash.$" "$T/env"'
lsinitrd "$img" > "$T/ls" 2> /dev/null
check "path: ext4 driver, no network, no ssh, no wait for the network" \
	'grep -q "/ext4.ko" "$T/ls" && ! has etc/cmdline.d/99xen-kdump.conf && ! has usr/bin/ssh && ! grep -q "xen-kdump-capture.service.d/network.conf" "$T/ls"'
check "path: no network plan kept" '[ ! -e "$img.network" ]'
check "path: our /init and modprobe, no systemd, no udev" \
	'lsinitrd -f init "$img" | grep -q "small capture image" && has usr/sbin/modprobe &&
	 ! has usr/bin/systemctl && ! grep -q "systemd/systemd$" "$T/ls" && ! has usr/bin/udevadm'
check "path: /init loads the named drivers through capture-lib.sh, which is in the image" \
	'lsinitrd -f init "$img" | grep -q "load_drivers /etc/xen-kdump/modules" &&
	 lsinitrd -f usr/lib/xen-kdump/capture-lib.sh "$img" | grep -q "^load_present()"'
check "path: /init loads the filesystem's driver, the host config's drivers and extra_modules, in that order" \
	'[ "$(lsinitrd -f etc/xen-kdump/modules "$img" | tr "\n" " ")" = "ext4 virtio_blk 9p nvme " ]'
check "path: those modules and what they need (softdeps too) are in the image" \
	'all_in_ls fs/ext4/ext4.ko fs/jbd2/jbd2.ko lib/crc16.ko crypto/crc32c_generic.ko block/virtio_blk.ko nvme.ko fs/9p/9p.ko'
check "path: the image has what modprobe reads" 'has usr/lib/modules/$kver/modules.dep.bin && has usr/lib/modules/$kver/modules.alias.bin'
size_path=$(stat -c %s "$img")
check "path: the small image is a third of the ssh image at most (${size_path} of ${size_ssh} bytes)" \
	'[ $((size_path * 3)) -le "$size_ssh" ]'
check "path: the collector's options in build.env (no --help run at crash time)" \
	"grep -q \"^XKD_COLLECTOR_OPTS='.*--time-limit .*'\$\" \"\$T/env\""
check "path: the host name is quoted in build.env" \
	"grep -q \"^XKD_HOSTNAME='\" \"\$T/env\""
check "path: rmdir for retention" 'has usr/bin/rmdir'

# 4b. the same target for a minimal kernel (release "-xkd", every driver built in): the small
# flavour, without kernel modules, systemd or udev.  Only the setup header is read, so a
# header with the release string stands in for crashkernel/'s bzImage.
dd if=/dev/zero of="$T/vmlinuz-xkd" bs=4096 count=1 2> /dev/null
printf 'HdrS' | dd of="$T/vmlinuz-xkd" bs=1 seek=$((0x202)) conv=notrunc 2> /dev/null
printf '\000\010' | dd of="$T/vmlinuz-xkd" bs=1 seek=$((0x20e)) conv=notrunc 2> /dev/null
printf '6.1.192-xkd (root@vm) #1 SMP' | dd of="$T/vmlinuz-xkd" bs=1 seek=$((0xa00)) conv=notrunc 2> /dev/null
printf 'kernel %s\ninitrd %s/initrd-minimal.img\ntarget path %s\n' "$T/vmlinuz-xkd" "$T" "$T/disk/var/crash" > "$T/conf"
# With hook directories and the config's dracut_args (here: one file more).
mkdir -p "$T/hooks/pre.d" "$T/hooks/post.d"
printf '#!/bin/sh\necho pre\n' > "$T/hooks/pre.d/10-pre" && chmod 755 "$T/hooks/pre.d/10-pre"
printf '#!/bin/sh\necho post\n' > "$T/hooks/post.d/50-post" && chmod 755 "$T/hooks/post.d/50-post"
printf 'notes\n' > "$T/hooks/post.d/README"
echo "marker" > "$T/marker"
printf 'dracut_args --include %s /etc/xkd-marker\n' "$T/marker" >> "$T/conf"
XKD_HOOKS_DIR=$T/hooks build
mimg=$T/initrd-minimal.img
check "minimal: rebuild succeeds without /lib/modules (${took}s)" \
	'[ $rc -eq 0 ] && grep -q "Built $T/initrd-minimal.img (kernel 6.1.192-xkd, small image)" "$T/out" || { cat "$T/out"; false; }'
lsinitrd "$mimg" > "$T/ls" 2> /dev/null
check "minimal: no kernel modules, no systemd, no udev" \
	'! grep -q "\.ko" "$T/ls" && ! has usr/bin/systemctl && ! grep -q "systemd/systemd$" "$T/ls" && ! has usr/bin/udevadm'
check "minimal: our /init, the capture script, the collector, dash" \
	'lsinitrd -f init "$mimg" | grep -q "small capture image" && has usr/lib/xen-kdump/capture && has usr/lib/xen-kdump/capture-lib.sh && has usr/sbin/xen-kdump-collect && has usr/bin/dash'
check "minimal: the hook directories' executables are in the image, nothing else of them" \
	'grep -q "^-rwxr-xr-x .* etc/xen-kdump/pre.d/10-pre$" "$T/ls" && grep -q "^-rwxr-xr-x .* etc/xen-kdump/post.d/50-post$" "$T/ls" &&
	 ! grep -q "post.d/README" "$T/ls" && [ "$(lsinitrd -f etc/xen-kdump/post.d/50-post "$mimg")" = "$(cat "$T/hooks/post.d/50-post")" ]'
check "minimal: the config's dracut_args reached dracut" '[ "$(lsinitrd -f etc/xkd-marker "$mimg")" = marker ]'
lsinitrd -f etc/xen-kdump/build.env "$mimg" > "$T/env" 2> /dev/null
check "minimal: target filesystem by UUID" 'grep -q "^XKD_TARGET_DEVICE=.UUID=$uuid.$" "$T/env"'
size_minimal=$(stat -c %s "$mimg" 2> /dev/null || echo 0)
check "minimal: small enough for a 64 MiB region (${size_minimal} bytes packed, < 5 MB)" \
	'[ "$size_minimal" -gt 0 ] && [ "$size_minimal" -lt 5000000 ]'

# 4c. the automatic kernel: the minimal kernel is installed but lacks a driver this target
# needs (here ext4, from its list of built-in drivers): rebuild says which, records it, and
# builds the distribution kernel's image; with the driver listed, the minimal kernel again.
# The real xen-kdump-drivers.sh reads this machine's sysfs and the loop device's filesystem.
cp "$T/vmlinuz-xkd" "$T/vmlinuz-minimal"
printf 'sd_mod\nvirtio_blk\nloop\n' > "$T/vmlinuz-minimal.modules"
printf 'initrd %s/initrd-auto.img\ntarget path %s\n' "$T" "$T/disk/var/crash" > "$T/conf"
mkdir -p "$T/state"
export XKD_MINIMAL_KERNEL=$T/vmlinuz-minimal XKD_STATE_DIR=$T/state
build --kver "$kver"
check "automatic kernel: a driver the minimal kernel lacks is named, the distribution image built (${took}s)" \
	'[ $rc -eq 0 ] && grep -q "The minimal kernel lacks ext4 for the ext4 filesystem of $T/disk/var/crash: capturing with the distribution kernel" "$T/out" &&
	 lsinitrd "$T/initrd-auto.img" 2> /dev/null | grep -q "/ext4.ko" || { cat "$T/out"; false; }'
check "automatic kernel: the verdict is kept for load and show" \
	'grep -q "^ext4 for the ext4 filesystem of " "$T/state/minimal-kernel-unfit" &&
	 "$XKD" show --config "$T/conf" 2> /dev/null | grep -q "the minimal kernel lacks ext4"'
printf 'ext4\nsd_mod\nvirtio_blk\n' > "$T/vmlinuz-minimal.modules"
build
check "automatic kernel: with the driver built in, the minimal kernel and its small image again (${took}s)" \
	'[ $rc -eq 0 ] && grep -q "capturing with it again" "$T/out" && [ ! -e "$T/state/minimal-kernel-unfit" ] &&
	 lsinitrd -f init "$T/initrd-auto.img" 2> /dev/null | grep -q "small capture image" || { cat "$T/out"; false; }'
unset XKD_MINIMAL_KERNEL XKD_STATE_DIR

# A directory on a filesystem the capture kernel cannot mount is refused with the reason.
conf "target path /proc/xen-kdump"
build
check "path on procfs: refused with the reason" '[ $rc -ne 0 ] && grep -q "cannot mount" "$T/out"'

# 5. refusal: a missing ssh identity names the fix and leaves no image.
conf "target ssh dump@10.0.2.2:/srv/crash" "ssh_key $T/missing" "ssh_known_host $HOST_KEY"
rm -f "$img"
build --kver "$kver"
check "missing ssh_key: refused with the fix, no image" \
	'[ $rc -ne 0 ] && grep -q "ssh_key $T/missing is missing" "$T/out" && [ ! -e "$img" ] && [ ! -e "$img.new" ]'
echo "# ssh image: $size_ssh bytes"
echo "# local path image, distribution kernel: $size_path bytes"
echo "# minimal kernel image: $size_minimal bytes"
finish dracut
