#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The small image's way from /init to the collector, outside an initramfs:
# /init itself in a chroot of fakes (root only), load_drivers and
# load_present (capture-lib.sh, what /init runs) and the
# capture script's find_uuid, with a fake modprobe that logs its calls, a fake
# sysfs (XKD_SYSFS_ROOT) and a fake blkid that finds the disk once it "appeared".
# Checks that the modalias passes are skipped when the named drivers bring
# the disk, run when it is late (and find a disk whose driver was not named),
# never run without /init's say-so, and that every wait stays bounded.  Then
# counts the execs of /init and of the capture script up to the collector
# (strace): each costs 20-40 ms in the capture kernel under TCG.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CAPTURE=$top/initramfs/99xen-kdump/xen-kdump-capture.sh
LIB=$top/initramfs/99xen-kdump/xen-kdump-capture-lib.sh
# Execs of the capture script up to the collector, as measured on 2026-12-05
# (27 before the start-up was trimmed).  Adding one on this path costs every
# capture 20-40 ms: raise this only for a reason, and say it.
EXEC_BUDGET=14

T=$(mktemp -d /tmp/xkd-small-init.XXXXXX)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/bin"
# modprobe: logs its arguments.  Loading pci:ctrl (a controller the host did
# not name) makes its SCSI disk appear: a new device, a block device, and the
# filesystem blkid finds.  FAKE_FAIL=NAME: that module does not load.
cat > "$T/bin/modprobe" << 'EOF'
#!/bin/sh
echo "modprobe $*" >> "$FAKE_LOG"
case " $* " in *" pci:ctrl "*)
    mkdir -p "$XKD_SYSFS_ROOT/sys/bus/scsi/devices/0:0:0:0" "$XKD_SYSFS_ROOT/sys/class/block/sda"
    echo "scsi:t-0x00" > "$XKD_SYSFS_ROOT/sys/bus/scsi/devices/0:0:0:0/modalias"
    : > "$FAKE_DEV" ;;
esac
case " $* " in *" ${FAKE_FAIL:-none} "*) exit 1 ;; esac
exit 0
EOF
# blkid -U: the disk once FAKE_DEV exists.
cat > "$T/bin/blkid" << 'EOF'
#!/bin/sh
[ -e "$FAKE_DEV" ] && echo /dev/fakedisk && exit 0
exit 2
EOF
cat > "$T/bin/mount" << 'EOF'
#!/bin/sh
exit 0
EOF
cat > "$T/bin/collector" << 'EOF'
#!/bin/sh
echo "collector $*" >> "$FAKE_LOG"
if [ "$1" = --help ]; then
    echo "  --output DIR"; echo "  --evidence DIR"; echo "  --prune DIR"; echo "  --time-limit SECONDS"
fi
exit 0
EOF
chmod +x "$T/bin/"*
echo "not really a vmcore" > "$T/vmcore"
cd "$T" || exit 1

# sysfs: a controller (pci:ctrl) and a virtio device, no block device yet.
sysfs() {
    rm -rf "${T:?}/sys" "${T:?}/dev" "$T/log"
    mkdir -p "$T/sys/bus/pci/devices/0000:00:01.0" "$T/sys/bus/virtio/devices/virtio0" "$T/sys/class/block"
    echo "pci:ctrl" > "$T/sys/bus/pci/devices/0000:00:01.0/modalias"
    echo "virtio:d00000009v00001AF4" > "$T/sys/bus/virtio/devices/virtio0/modalias"
    : > "$T/log"
}
# appear: the disk is there (its driver was named and loaded).
appear() { mkdir -p "$T/sys/class/block/vda" && : > "$T/dev"; }
calls() { grep -c "^modprobe " "$T/log"; }

# lib FUNCTION ARGS...: a capture-lib.sh function in dash, with the fakes.
lib() {
    PATH="$T/bin:$PATH" XKD_SYSFS_ROOT="$T" FAKE_LOG="$T/log" FAKE_DEV="$T/dev" \
        dash -c '. "$0" && "$@" && echo "XKD_MODALIAS=$XKD_MODALIAS NAMED=$NAMED"' "$LIB" "$@" > "$T/out" 2>&1
}

# 0. /init itself, in a chroot that holds dash, /init, capture-lib.sh and
# fakes: mount, modprobe, sleep and the capture log what they are asked, and
# /proc, /sys and /dev are plain directories, /dev/console a file (the
# console's text).  No mount program is in there but the fake, so /init's
# "echo b > /proc/sysrq-trigger" only writes a file.
INIT=$top/initramfs/99xen-kdump/xen-kdump-init.sh
R=$T/root
CHROOT=$(command -v chroot)
# chroot_init [MODULES-TEXT|-]: a fresh root (-: no modules list), then /init in it.
chroot_init() {
    rm -rf "$R"
    mkdir -p "$R/usr/bin" "$R/bin" "$R/usr/lib/xen-kdump" "$R/etc/xen-kdump" "$R/proc" "$R/dev" "$R/run" "$R/tmp" \
        "$R/sys/bus/pci/devices/0000:00:01.0"
    for f in /usr/bin/dash $(ldd /usr/bin/dash | grep -o '/[^ ]*'); do
        mkdir -p "$R${f%/*}" && cp -L "$f" "$R$f"
    done
    ln -s /usr/bin/dash "$R/bin/sh"
    cp /usr/bin/busybox "$R/usr/bin/busybox" && ln -s busybox "$R/usr/bin/cat"
    for c in mount modprobe sleep; do
        printf '#!/bin/sh\n# xkd-test-fake\necho "%s $*" >> /calls\n' "$c" > "$R/usr/bin/$c"
    done
    printf '#!/bin/sh\necho "capture XKD_MODALIAS=${XKD_MODALIAS:-unset} $*" >> /calls\n' > "$R/usr/lib/xen-kdump/capture"
    chmod +x "$R/usr/bin/"* "$R/usr/lib/xen-kdump/capture"
    cp "$INIT" "$R/init" && cp "$LIB" "$R/usr/lib/xen-kdump/capture-lib.sh"
    echo "pci:ctrl" > "$R/sys/bus/pci/devices/0000:00:01.0/modalias"
    echo "34.26 30.00" > "$R/proc/uptime"
    : > "$R/proc/vmcore" && : > "$R/proc/sysrq-trigger" && : > "$R/dev/console" && : > "$R/calls"
    [ "$1" = - ] || printf '%s' "$1" > "$R/etc/xen-kdump/modules"
    # Never /init where a real mount could make /proc the host's.
    grep -q xkd-test-fake "$R/usr/bin/mount" && [ ! -e "$R/usr/sbin" ] && [ ! -e "$R/sbin" ] || return 1
    env -i "$CHROOT" "$R" /init
}
if [ "$(id -u)" = 0 ]; then
    chroot_init "$(printf 'ext4\nvirtio_blk\n')"
    check "/init, named drivers: one modprobe, no modalias pass, the capture told late" \
        '[ "$(grep -c "^modprobe" "$R/calls")" = 1 ] && grep -qx "modprobe -q -a ext4 virtio_blk" "$R/calls" &&
         grep -qx "capture XKD_MODALIAS=late " "$R/calls"'
    check "/init, named drivers: the console says how many, and when" \
        'grep -qx "xen-kdump: drivers loaded (2 named; the other devices. only if the dump.s disk is late), 34.26 s after boot" "$R/dev/console"'
    check "/init: no mkdir for /run and /tmp (in the image), four mounts, PID 1 ends in sysrq b and sleep" \
        '[ "$(grep -c "^mount " "$R/calls")" = 4 ] && [ "$(cat "$R/proc/sysrq-trigger")" = b ] && tail -n 1 "$R/calls" | grep -qx "sleep 3600"'
    chroot_init ""
    check "/init, nothing named: the devices' drivers by modalias, the capture told they are loaded" \
        'grep -qx "modprobe -q -a pci:ctrl" "$R/calls" && grep -qx "capture XKD_MODALIAS=loaded " "$R/calls" &&
         grep -q "^xen-kdump: drivers loaded (none named: those of the devices present, by modalias)" "$R/dev/console"'
    chroot_init -
    check "/init, no modules list (the minimal kernel): no modprobe, nothing said to the capture" \
        '! grep -q "^modprobe" "$R/calls" && grep -qx "capture XKD_MODALIAS=unset " "$R/calls"'
    chroot_init "ext4" && rm -f "$R/usr/lib/xen-kdump/capture-lib.sh" && : > "$R/calls" && env -i "$CHROOT" "$R" /init
    check "/init without capture-lib.sh: says so and goes on to the capture (PID 1 must not exit)" \
        'grep -q "no capture-lib.sh" "$R/dev/console" && grep -q "^capture " "$R/calls"'
    if command -v strace > /dev/null; then
        chroot_init "ext4" && : > "$R/calls" &&
            env -i "$(command -v strace)" -f -qq -e trace=execve -e signal=none -o "$T/trace" "$CHROOT" "$R" /init
        execs=$(awk '/execve\(.*capture"/ { exit } /execve\(/ && !/= -1/ { sub(/^[0-9]+ +execve\("/, ""); sub(/".*/, ""); sub(/.*\//, ""); printf "%s ", $0 }' "$T/trace")
        n=$(echo "$execs" | wc -w)
        # chroot, dash (/init), four mounts, modprobe; before: cut twice, cat, two modalias passes (cat, sort, modprobe).
        check "/init: $n execs before the capture, at most 7 ($execs)" '[ "$n" -le 7 ]'
    fi
else
    fail "/init in a chroot: needs root"
fi

# 1. /init's driver loading (load_drivers).
sysfs
printf 'ext4\nvirtio_blk\n9p' > "$T/modules"
lib load_drivers "$T/modules"
check "named: one modprobe for the whole list (the last line without a newline too)" \
    '[ "$(cat "$T/log")" = "modprobe -q -a ext4 virtio_blk 9p" ]'
check "named: no modalias pass at /init; the capture is told to run it when the disk is late" \
    'grep -qx "XKD_MODALIAS=late NAMED=3" "$T/out"'
sysfs
FAKE_FAIL=virtio_blk lib load_drivers "$T/modules"
check "named: a module that does not load is named on the console, the others still load" \
    'grep -q "warning: kernel module virtio_blk did not load" "$T/out" && grep -qx "modprobe -q 9p" "$T/log" && [ "$(calls)" = 4 ]'
sysfs
: > "$T/modules"
lib load_drivers "$T/modules"
check "nothing named: the devices' drivers by modalias at /init, and the capture does not repeat it" \
    'grep -q "^modprobe -q -a .*pci:ctrl" "$T/log" && grep -qx "XKD_MODALIAS=loaded NAMED=0" "$T/out"'
check "nothing named: a second pass for the disk the controller's driver brought" \
    '[ "$(calls)" = 2 ] && tail -n 1 "$T/log" | grep -q "scsi:t-0x00"'
sysfs
rm -rf "$T/sys/bus/pci"
lib load_present
check "modalias: no second pass when the first brought no new device" \
    '[ "$(cat "$T/log")" = "modprobe -q -a virtio:d00000009v00001AF4" ]'

# 2. The capture script's wait for the disk (find_uuid), in the small image
# for a modular kernel: engine native, a local target, its mount faked.
setup() {
    sysfs
    rm -rf "${T:?}/etc" "${T:?}/run" "$T/actions"
    mkdir -p "$T/etc"
    printf 'target path /var/crash\nengine native\nfailure_action poweroff\n%s\n' "${1:-}" > "$T/conf"
    "$XKD" show --shell --config "$T/conf" --kver 6.1.0-test > "$T/etc/config.env" || return 1
    cat > "$T/etc/build.env" << 'EOF'
XKD_HOSTNAME='testhost'
XKD_TARGET_DEVICE='UUID=1111' XKD_TARGET_FSTYPE='ext4' XKD_TARGET_SUBDIR='/var/crash'
EOF
}
# run: the capture as /init starts it (XKD_MODALIAS from load_drivers, or
# MODALIAS=none: the systemd image, or a kernel with every driver built in).
run() {
    start=$(date +%s)
    if [ "${MODALIAS:-late}" = none ]; then
        set -- env -u XKD_MODALIAS
    else
        set -- env XKD_MODALIAS="${MODALIAS:-late}"
    fi
    "$@" PATH="$T/bin:$PATH" XKD_LIB="$LIB" XKD_ETC="$T/etc" XKD_VMCORE="$T/vmcore" XKD_RUN="$T/run" \
        XKD_ACTION_LOG="$T/actions" XKD_SYSFS_ROOT="$T" FAKE_LOG="$T/log" FAKE_DEV="$T/dev" \
        XKD_COLLECTOR="$T/bin/collector" sh "$CAPTURE" > "$T/out" 2>&1
    took=$(($(date +%s) - start))
}
saved() { grep -q "^collector --vmcore $T/vmcore --output $T/run/target/var/crash " "$T/log" && [ "$(cat "$T/actions")" = reboot ]; }

setup
appear
run
check "disk there: saved, and no modalias pass (no modprobe at all)" 'saved && [ "$(calls)" = 0 ] && ! grep -q modalias "$T/out"'

setup "timeout 10"
run
check "disk late (its controller's driver not named): the modalias pass runs once, a second after the wait began (${took}s)" \
    'grep -q "UUID=1111 is not there 1 s after the named drivers: loading the drivers of the devices present (modalias)" "$T/out" &&
     grep -q "drivers loaded by modalias, " "$T/out" && [ "$(calls)" = 2 ] && [ "$took" -ge 1 ]'
check "disk late: the disk that only the modalias pass brought is found, the dump saved" 'saved'

setup
(sleep 0.4 && appear) &
run
wait
check "disk a little late by itself: found by the polls, no modalias pass (${took}s)" 'saved && [ "$(calls)" = 0 ]'

setup "timeout 2"
rm -rf "$T/sys/bus/pci"
run
check "disk never there: one modalias pass, then the wait ends at timeout (${took}s for 2) and failure_action" \
    'grep -q "device UUID=1111 did not appear within 2s" "$T/out" && [ "$(calls)" = 1 ] &&
     [ "$took" -le 6 ] && [ "$(cat "$T/actions")" = poweroff ]'

setup "timeout 1"
run
check "timeout 1: the modalias pass still runs before the capture gives up, and finds the disk" 'saved && [ "$(calls)" = 2 ]'

setup "timeout 1"
MODALIAS=loaded run
check "modalias done at /init already: not again, the disk stays missing" \
    '[ "$(calls)" = 0 ] && grep -q "did not appear within 1s" "$T/out"'
setup "timeout 1"
MODALIAS=none run
check "no word from /init (systemd image, drivers built in): never a modprobe" \
    '[ "$(calls)" = 0 ] && grep -q "did not appear within 1s" "$T/out" && [ "$(cat "$T/actions")" = poweroff ]'

# 3. The collector's options: from build.env when module-setup.sh wrote them
# (no --help at crash time), else from one --help.
setup
appear
run
check "no XKD_COLLECTOR_OPTS (an older image): the collector's --help, once, and --time-limit from it" \
    '[ "$(grep -c "^collector --help" "$T/log")" = 1 ] && grep -q "^collector --vmcore .* --time-limit [0-9]*$" "$T/log"'
setup
appear
echo "XKD_COLLECTOR_OPTS='--evidence --output --prune --time-limit '" >> "$T/etc/build.env"
run
check "XKD_COLLECTOR_OPTS in build.env: no --help run, --time-limit passed" \
    '! grep -q "^collector --help" "$T/log" && grep -q "^collector --vmcore .* --time-limit [0-9]*$" "$T/log"'
setup
appear
echo "XKD_COLLECTOR_OPTS='--output '" >> "$T/etc/build.env"
run
check "XKD_COLLECTOR_OPTS without --time-limit: none passed" \
    'saved && ! grep -q "^collector --help" "$T/log" && ! grep -q -- "--time-limit" "$T/log"'

# 4. What the capture script runs before the collector starts: the console
# shows each exec's cost in the capture kernel.  The disk is there.
if command -v strace > /dev/null; then
    setup
    appear
    echo "XKD_COLLECTOR_OPTS='--evidence --output --prune --time-limit '" >> "$T/etc/build.env"
    env XKD_MODALIAS=late PATH="$T/bin:$PATH" XKD_LIB="$LIB" XKD_ETC="$T/etc" XKD_VMCORE="$T/vmcore" XKD_RUN="$T/run" \
        XKD_ACTION_LOG="$T/actions" XKD_SYSFS_ROOT="$T" FAKE_LOG="$T/log" FAKE_DEV="$T/dev" \
        XKD_COLLECTOR="$T/bin/collector" strace -f -qq -e trace=execve -e signal=none -o "$T/trace" \
        dash "$CAPTURE" > "$T/out" 2>&1
    # Up to the collector's own run; without the bound's watchdog's sleep (it
    # runs beside the capture, mostly before the collector, sometimes not).
    execs=$(awk '/execve\(.*"--output"/ { exit } /execve\(/ && !/= -1/ && !/execve\("[^"]*\/sleep"/ {
                 sub(/^[0-9]+ +execve\("/, ""); sub(/".*/, ""); sub(/.*\//, ""); printf "%s ", $0 }' "$T/trace")
    n=$(echo "$execs" | wc -w)
    check "capture start-up: $n execs up to the collector, at most $EXEC_BUDGET ($execs)" \
        'saved && [ "$n" -gt 0 ] && [ "$n" -le "$EXEC_BUDGET" ]'
else
    fail "capture start-up: strace is not installed (apt-get install strace)"
fi

finish small-init
