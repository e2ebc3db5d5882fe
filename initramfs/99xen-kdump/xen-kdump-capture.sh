#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# xen-kdump capture: runs once in the capture initramfs (xen-kdump-capture.service).
# Saves /proc/vmcore to the configured target, then takes final_action; when
# saving fails, takes failure_action.  Every wait (device, network) is bounded
# by the config's timeout, so a dead target never keeps the machine down.
#
# Usage: capture            save, then the final or failure action
#        capture --failure  only the failure action (the unit's OnFailure)
# The test suite runs it outside an initramfs with XKD_ETC, XKD_VMCORE,
# XKD_RUN and XKD_ACTION_LOG pointing at scratch files.
set -u

ETC=${XKD_ETC:-/etc/xen-kdump}
VMCORE=${XKD_VMCORE:-/proc/vmcore}
RUN=${XKD_RUN:-/run/xen-kdump}

say() { echo "xen-kdump: $*"; }

# shellcheck disable=SC1091
. "$ETC/config.env" || { say "no $ETC/config.env: image not built by xen-kdump rebuild"; exit 1; }
# shellcheck disable=SC1091
. "$ETC/build.env" || exit 1

umask 077
mkdir -p "$RUN"
STAMP=$(date +%Y%m%d-%H%M%S)
NAME="${XKD_HOSTNAME:-xen}-$STAMP"

# reboot | poweroff | shell; never returns in a real capture.
act() {
    say "action: $1"
    if [ -n "${XKD_ACTION_LOG:-}" ]; then
        echo "$1" >> "$XKD_ACTION_LOG"
        exit 0
    fi
    sync
    # A clean unmount leaves no journal to replay on the dump's filesystem.
    for m in "$RUN/target" "$RUN/local" "$RUN/nfs"; do
        umount "$m" 2> /dev/null
    done
    case $1 in
        reboot | poweroff)
            # The small image (module-setup.sh) has no systemd: straight to sysrq.
            if [ -d /run/systemd/system ]; then
                systemctl --force --force "$1" || "$1" -f
            fi
            # Last resort: the sysrq trigger needs nothing from userspace.
            [ "$1" = poweroff ] && echo o > /proc/sysrq-trigger
            echo b > /proc/sysrq-trigger
            ;;
        shell)
            if [ -d /run/systemd/system ]; then
                systemctl --no-block isolate emergency.target
            else
                sh -i < /dev/console > /dev/console 2>&1
            fi
            ;;
    esac
    sleep 3600
    exit 1
}

# The device of UUID=...: udev's by-uuid link, or blkid's answer (the small
# image has no udev), waiting at most XKD_TIMEOUT seconds.
find_uuid() {
    u=${1#UUID=}
    n=0
    while :; do
        if [ -e "/dev/disk/by-uuid/$u" ]; then
            echo "/dev/disk/by-uuid/$u"
            return 0
        fi
        d=$(blkid -U "$u" 2> /dev/null) && [ -n "$d" ] && echo "$d" && return 0
        [ "$n" -ge "$XKD_TIMEOUT" ] && return 1
        sleep 1
        n=$((n + 1))
    done
}

# mount_local DEVICE FSTYPE SUBDIR MOUNTPOINT → prints the dump directory.
mount_local() {
    if [ -n "${XKD_TEST_ROOT:-}" ]; then
        echo "$XKD_TEST_ROOT${3%/}"
        return
    fi
    if ! dev=$(find_uuid "$1"); then
        say "device $1 did not appear within ${XKD_TIMEOUT}s"
        return 1
    fi
    mkdir -p "$4"
    if ! mountpoint -q "$4" 2> /dev/null; then
        timeout "$XKD_TIMEOUT" mount -t "$2" -o rw,noatime "$dev" "$4" || {
            say "cannot mount $1 ($2)"
            return 1
        }
    fi
    echo "$4${3%/}"
}

# makedumpfile's options for the config: compression, then the mask split into -d and -X.
mdf_args() {
    case $XKD_COMPRESSION in
        lzo) printf '%s ' -l ;;
        zlib) printf '%s ' -c ;;
    esac
    [ $((XKD_DUMP_LEVEL & 32)) -ne 0 ] && printf '%s ' -X
    printf '%s %s\n' -d $((XKD_DUMP_LEVEL & 31))
}

COLLECTOR=${XKD_COLLECTOR:-/usr/sbin/xen-kdump-collect}

# The native engine: xen-kdump-collect, to a directory or ("-") as a flattened stream.
collect() {
    out=$1
    shift
    "$COLLECTOR" --vmcore "$VMCORE" --output "$out" --level "$XKD_DUMP_LEVEL" \
        --compress "$XKD_COMPRESSION" --keep "$XKD_KEEP" --reserve "$XKD_RESERVE" \
        --host "${XKD_HOSTNAME:-xen}" "$@"
}

# Free MiB on the filesystem of $1.
free_mib() {
    df -Pk "$1" | awk 'NR == 2 { print int($4 / 1024) }'
}

# After a dump is complete, keep the newest XKD_KEEP complete dumps in $1 (0 keeps all).
prune() {
    [ "$XKD_KEEP" -gt 0 ] || return 0
    # shellcheck disable=SC2012
    ls -1d "$1/${XKD_HOSTNAME:-xen}"-[0-9]* 2> /dev/null | sort -r | tail -n +$((XKD_KEEP + 1)) |
        while read -r old; do
            say "removing old dump $old (keep $XKD_KEEP)"
            rm -rf "$old"
        done
}

# Save into a local directory (the target path, an NFS mount, or save-local).
save_dir() {
    dir=$1
    mkdir -p "$dir" && chmod 0700 "$dir" || return 1
    if [ "$XKD_ENGINE" = native ]; then
        collect "$dir" || return 1
        SAVED=$dir
        return 0
    fi
    # makedumpfile, with the collector's safety rules: reserve, incomplete name, retention.
    avail=$(free_mib "$dir")
    if [ "${avail:-0}" -le "$XKD_RESERVE" ]; then
        say "only ${avail} MiB free in $dir, reserve is $XKD_RESERVE MiB: not saving"
        return 1
    fi
    tmp="$dir/.$NAME.incomplete"
    mkdir -p "$tmp" || return 1
    makedumpfile --dump-dmesg "$VMCORE" "$tmp/dmesg.txt" > /dev/null 2>&1 ||
        say "no dmesg (needs dom0's VMCOREINFO)"
    # shellcheck disable=SC2046
    if ! makedumpfile $(mdf_args) "$VMCORE" "$tmp/vmcore"; then
        say "makedumpfile failed; the partial dump stays in $tmp"
        return 1
    fi
    chmod 0600 "$tmp"/* 2> /dev/null
    sync
    mv "$tmp" "$dir/$NAME" && sync || return 1
    say "saved $dir/$NAME"
    SAVED="$dir/$NAME"
    prune "$dir"
}

ssh_run() {
    h=${XKD_TARGET_HOST#[}
    h=${h%]}
    ssh -F /dev/null -i "$ETC/id" -p "$XKD_SSH_PORT" -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$ETC/known_hosts" \
        -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout="$XKD_TIMEOUT" \
        -o ServerAliveInterval=15 -o ServerAliveCountMax=4 \
        "$XKD_TARGET_USER@$h" "$@"
}

# Wait until the server answers, at most XKD_TIMEOUT seconds in all.
ssh_reachable() {
    start=$(date +%s)
    while :; do
        ssh_run true < /dev/null && return 0
        [ $(($(date +%s) - start)) -ge "$XKD_TIMEOUT" ] && return 1
        sleep 2
    done
}

# The dump in makedumpfile's flattened format on stdout, from either engine.
dump_stream() {
    if [ "$XKD_ENGINE" = native ]; then
        collect - --quiet
    else
        # shellcheck disable=SC2046
        makedumpfile -F $(mdf_args) "$VMCORE"
    fi
}

# Stream the dump through ssh: no copy in the capture kernel's memory.  The
# receiver checks the stream's end marker (16 bytes of 0xff) before it renames
# the directory to its final name.
save_ssh() {
    if ! ssh_reachable; then
        say "ssh $XKD_TARGET_USER@$XKD_TARGET_HOST:$XKD_SSH_PORT unreachable for ${XKD_TIMEOUT}s"
        return 1
    fi
    d=$XKD_TARGET_DIR
    t="$d/.$NAME.incomplete"
    if command -v makedumpfile > /dev/null &&
        makedumpfile --dump-dmesg "$VMCORE" "$RUN/dmesg.txt" > /dev/null 2>&1; then
        ssh_run "umask 077 && mkdir -p '$t' && cat > '$t/dmesg.txt'" < "$RUN/dmesg.txt" || return 1
    else
        ssh_run "umask 077 && mkdir -p '$t'" < /dev/null || return 1
    fi
    dump_stream |
        ssh_run "umask 077 && cat > '$t/vmcore.flat' &&
            [ \"\$(tail -c 16 '$t/vmcore.flat' | od -An -v -tx1 | tr -d ' \n')\" = ffffffffffffffffffffffffffffffff ] &&
            mv '$t' '$d/$NAME'" || {
        say "streaming to $XKD_TARGET_HOST failed or ended early; it stays as $t there"
        return 1
    }
    say "saved $XKD_TARGET_HOST:$d/$NAME (flattened: makedumpfile -R turns it into a normal dump)"
    SAVED="$XKD_TARGET_HOST:$d/$NAME"
}

save_nfs() {
    mnt=$RUN/nfs
    mkdir -p "$mnt"
    if ! timeout "$XKD_TIMEOUT" mount -t nfs -o rw,nolock,timeo=100,retrans=3 \
        "$XKD_TARGET_HOST:$XKD_TARGET_DIR" "$mnt"; then
        say "cannot mount nfs $XKD_TARGET_HOST:$XKD_TARGET_DIR within ${XKD_TIMEOUT}s"
        return 1
    fi
    save_dir "$mnt"
}

save_target() {
    case $XKD_TARGET_KIND in
        path)
            dir=$(mount_local "$XKD_TARGET_DEVICE" "$XKD_TARGET_FSTYPE" "$XKD_TARGET_SUBDIR" \
                "$RUN/target") || return 1
            save_dir "$dir"
            ;;
        ssh) save_ssh ;;
        nfs) save_nfs ;;
        *) say "unknown target kind '$XKD_TARGET_KIND'" && return 1 ;;
    esac
}

failure() {
    say "capture failed; failure_action $XKD_FAILURE_ACTION"
    if [ "$XKD_FAILURE_ACTION" = save-local ]; then
        if dir=$(mount_local "$XKD_LOCAL_DEVICE" "$XKD_LOCAL_FSTYPE" "$XKD_LOCAL_SUBDIR" \
            "$RUN/local") && save_dir "$dir"; then
            run_hook "$XKD_POST_HOOK" "$SAVED"
            act "$XKD_FINAL_ACTION"
        fi
        say "saving locally failed too"
        act reboot
    fi
    act "$XKD_FAILURE_ACTION"
}

run_hook() {
    [ -n "$1" ] || return 0
    shift_hook=$1
    shift
    "$shift_hook" "$@" || say "hook $shift_hook failed ($?); carrying on"
}

if [ "${1:-}" = --failure ]; then
    failure
fi
if [ ! -r "$VMCORE" ]; then
    say "no $VMCORE: this is not a capture boot"
    act reboot
fi

SAVED=
run_hook "$XKD_PRE_HOOK"
if save_target; then
    run_hook "$XKD_POST_HOOK" "$SAVED"
    act "$XKD_FINAL_ACTION"
fi
failure
