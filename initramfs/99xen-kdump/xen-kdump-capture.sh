#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# xen-kdump capture: runs once in the capture initramfs (xen-kdump-capture.service).
# Saves /proc/vmcore to the configured target, then takes final_action; when
# saving fails, takes failure_action.  Every wait (device, network) is bounded
# by the config's timeout, and the whole capture by capture_timeout (the
# collector is told the time left and stops itself; what still runs GRACE
# seconds after the bound is killed), so nothing keeps the machine down.
# Nothing here deletes a dump unless keep says so, and then only after the new
# dump is complete, and only this host's complete dumps that xen-kdump wrote
# (the collector applies the rules: --prune).  Every target gets the same
# evidence beside the vmcore: report.txt, report.json, dmesg.txt and
# xen-console.txt (the collector's --evidence when makedumpfile writes the dump
# or ssh streams it).  Hooks: pre_hook and pre.d/* before saving, post_hook and
# post.d/* after (run_hooks).
#
# Usage: capture            save, then the final or failure action
#        capture --failure  only the failure action (the unit's OnFailure)
# The test suite runs it outside an initramfs with XKD_ETC, XKD_VMCORE,
# XKD_RUN and XKD_ACTION_LOG pointing at scratch files.
set -u
export LC_ALL=C

ETC=${XKD_ETC:-/etc/xen-kdump}
VMCORE=${XKD_VMCORE:-/proc/vmcore}
RUN=${XKD_RUN:-/run/xen-kdump}

say() { echo "xen-kdump: $*"; }

# shellcheck source=xen-kdump-capture-lib.sh
. "${XKD_LIB:-/usr/lib/xen-kdump/capture-lib.sh}" || { say "no capture-lib.sh: image not built by xen-kdump rebuild"; exit 1; }

# shellcheck disable=SC1091
. "$ETC/config.env" || { say "no $ETC/config.env: image not built by xen-kdump rebuild"; exit 1; }
# shellcheck disable=SC1091
. "$ETC/build.env" || exit 1

umask 077
mkdir -p "$RUN"
# The bound's clock is uptime_cs (no exec); date only names the dump.
uptime_cs
START=$UP

# The capture's own log (like kdump-utils' kexec-dmesg.log): everything this
# script, its hooks and the collector print goes on to the console and, through
# tee, into $RUN/capture.log, which act() copies beside the dump as capture.log
# (0600).  Without tee or mkfifo the capture runs as before, with no copy.
LOG=$RUN/capture.log
if command -v tee > /dev/null 2>&1 && command -v mkfifo > /dev/null 2>&1 &&
    rmf "$RUN/log.fifo" && mkfifo -m 0600 "$RUN/log.fifo" 2> /dev/null; then
    tee -a "$LOG" < "$RUN/log.fifo" &
    exec > "$RUN/log.fifo" 2>&1
    rm -f "$RUN/log.fifo"
fi
# Seconds the collector gets after the bound to end its dump, before it is killed.
GRACE=${XKD_GRACE:-30}
# Images built before these keys existed.
XKD_CAPTURE_TIMEOUT=${XKD_CAPTURE_TIMEOUT:-auto}
XKD_HOSTNAME=${XKD_HOSTNAME:-}

HOST=$(clean_host "$XKD_HOSTNAME")
STAMP=$(date +%Y%m%d-%H%M%S)
NAME="$HOST-$STAMP"

# The bound of the whole capture in seconds: capture_timeout, or auto: 30
# minutes plus 30 s per GiB of the vmcore (the host's RAM), at most 24 hours.
# The size is ls's fifth field, the arithmetic the shell's (no awk exec).
capture_limit() {
    case $XKD_CAPTURE_TIMEOUT in
        auto)
            # shellcheck disable=SC2046,SC2012
            set -- $(ls -lnL "$VMCORE" 2> /dev/null)
            case ${5:-x} in *[!0-9]*) set -- 0 0 0 0 0 ;; esac
            t=$((1800 + 30 * ($5 / 1073741824)))
            [ "$t" -le 86400 ] || t=86400
            echo "$t"
            ;;
        *[!0-9]* | '') echo 1800 ;;
        *) echo "$XKD_CAPTURE_TIMEOUT" ;;
    esac
}
LIMIT=$(capture_limit)
# The failure unit (the capture unit died) has 5 minutes in all.
[ "${1:-}" = --failure ] && LIMIT=240
DEADLINE=$((START + LIMIT * 100))

# Seconds left until the bound (negative once it has passed).
remaining() {
    uptime_cs
    echo $(((DEADLINE - UP) / 100))
}

# The location of the saved dump, from inside a bounded subshell.
saved() {
    SAVED=$1
    printf '%s\n' "$1" > "$RUN/saved"
}

# The dump directory this capture wrote into (local, NFS) or "ssh:DIR" (on the server),
# once known: the log is kept there.
dump_dir() {
    printf '%s\n' "$1" > "$RUN/dumpdir"
}

# This host's dump directories in $1, newest first.
host_dumps() {
    # shellcheck disable=SC2012
    ls -1dt "$1/$HOST"-* "$1/.$HOST"-*.incomplete 2> /dev/null
}

# The dump directory the collector just made in $1 (it prints no path we could
# rely on): the newest of this host's that was not there before ($2, host_dumps'
# list then); nothing when it made none, so that no older dump gets this log.
new_dump() {
    host_dumps "$1" | while IFS= read -r p; do
        printf '%s\n' "$2" | grep -qxF -- "$p" && continue
        printf '%s\n' "$p"
        break
    done
}

# capture.log beside the dump: what the console showed up to now.  Never fatal.
keep_log() {
    d=$(cat "$RUN/dumpdir" 2> /dev/null) && [ -n "$d" ] && [ -s "$LOG" ] || return 0
    sleep 1 # what tee still holds in the pipe
    case $d in
        /*)
            [ -e "$d/capture.log" ] || [ -L "$d/capture.log" ] && return 0
            [ -d "$d" ] && [ ! -L "$d" ] && (umask 077 && cat "$LOG" > "$d/capture.log") && sync
            ;;
        ssh:*)
            qd=$(sq "${d#ssh:}")
            ssh_run "cd -- $qd && umask 077 && cat > capture.log" < "$LOG"
            ;;
    esac || say "could not keep capture.log beside the dump"
    return 0
}

# reboot | poweroff | shell; never returns in a real capture.
act() {
    say "action: $1"
    keep_log
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
# image has no udev), waiting at most XKD_TIMEOUT seconds.  blkid is an exec
# that shares the one CPU with the disk's probing: it runs at once, then when
# the block devices in sysfs changed (a shell glob) and once a second; the
# polls are 0.2 s apart.  When /init loaded only the drivers the host named
# (XKD_MODALIAS=late: load_drivers), the other devices' are loaded once the
# device is still missing a second later (load_present: its driver may be
# one the host did not name), and the wait goes on.  Messages go to stderr,
# past the caller's $(...).  XKD_SYSFS_ROOT=DIR: DIR/sys (the tests).
find_uuid() {
    u=${1#UUID=}
    late=${XKD_MODALIAS:-}
    uptime_cs
    t0=$UP
    probed=
    seen=
    while :; do
        if [ -e "/dev/disk/by-uuid/$u" ]; then
            echo "/dev/disk/by-uuid/$u"
            return 0
        fi
        set -- "${XKD_SYSFS_ROOT:-}"/sys/class/block/*
        uptime_cs
        if [ "$*" != "$seen" ] || [ -z "$probed" ] || [ $((UP - probed)) -ge 100 ]; then
            seen=$*
            probed=$UP
            d=$(blkid -U "$u" 2> /dev/null) && [ -n "$d" ] && echo "$d" && return 0
        fi
        if [ "$late" = late ] && [ $((UP - t0)) -ge 100 ]; then
            late=loaded
            say "UUID=$u is not there 1 s after the named drivers: loading the drivers of the devices present (modalias)" >&2
            load_present >&2
            uptime_cs
            say "drivers loaded by modalias, $((UP / 100)).$((UP / 10 % 10))$((UP % 10)) s after boot" >&2
            probed=
            continue
        fi
        [ $((UP - t0)) -ge $((XKD_TIMEOUT * 100)) ] && return 1
        sleep 0.2
    done
}

# mount_local DEVICE FSTYPE SUBDIR MOUNTPOINT → prints the dump directory;
# its complaints go to stderr, past the caller's $(...).
mount_local() {
    if [ -n "${XKD_TEST_ROOT:-}" ]; then
        echo "$XKD_TEST_ROOT${3%/}"
        return
    fi
    if ! dev=$(find_uuid "$1"); then
        say "device $1 did not appear within ${XKD_TIMEOUT}s: is its disk driver in the image? (lsinitrd lists it; 'extra_modules' adds one)" >&2
        return 1
    fi
    # A directory made just now is nothing's mount point: no mountpoint exec.
    fresh=
    [ -d "$4" ] || { mkdir -p "$4" && fresh=1; }
    if [ -n "$fresh" ] || ! mountpoint -q "$4" 2> /dev/null; then
        timeout "$XKD_TIMEOUT" mount -t "$2" -o rw,noatime "$dev" "$4" || {
            say "cannot mount $1 ($2)" >&2
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

# The native engine: xen-kdump-collect, to a directory or ("-") as a flattened
# stream.  It applies keep itself, after its dump is complete.  It is told the
# time left (--time-limit, when it knows the option): on expiry it ends the
# dump, marked incomplete, and exits 1.
collect() {
    out=$1
    shift
    left=$(remaining)
    [ "$left" -ge 1 ] || left=1
    collector_knows --time-limit && set -- --time-limit "$left" "$@"
    "$COLLECTOR" --vmcore "$VMCORE" --output "$out" --level "$XKD_DUMP_LEVEL" \
        --compress "$XKD_COMPRESSION" --keep "$XKD_KEEP" --reserve "$XKD_RESERVE" \
        --host "$HOST" "$@"
}

# The evidence beside the dump, for the paths where another program writes
# it (makedumpfile, the ssh stream): report.txt, report.json, dmesg.txt and
# xen-console.txt from the collector (--evidence), into directory $1.  Without
# a collector that knows --evidence, makedumpfile's dmesg at least.
# Evidence is never a reason to lose the dump: this does not fail.
evidence() {
    if collector_knows --evidence; then
        "$COLLECTOR" --vmcore "$VMCORE" --evidence "$1" --quiet ||
            say "the crash report could not be written (see above); saving the dump all the same"
    else
        say "no xen-kdump-collect with --evidence in this image: no crash report"
    fi
    if [ ! -s "$1/dmesg.txt" ] && command -v makedumpfile > /dev/null; then
        makedumpfile --dump-dmesg "$VMCORE" "$1/dmesg.txt" > /dev/null 2>&1 ||
            say "no dmesg (needs dom0's VMCOREINFO)"
    fi
    chmod 0600 "$1"/* 2> /dev/null
    return 0
}

# The evidence files a dump directory can hold, in the order they are sent.
EVIDENCE_FILES="report.txt report.json dmesg.txt xen-console.txt"

# Free MiB on the filesystem of $1.
free_mib() {
    df -Pk "$1" | awk 'NR == 2 { print int($4 / 1024) }'
}

# Save into a local directory (the target path, an NFS mount, or save-local).
save_dir() {
    dir=$1
    { [ -d "$dir" ] || mkdir -p "$dir"; } && chmod 0700 "$dir" || return 1
    if [ "$XKD_ENGINE" = native ]; then
        rc=0
        before=$(host_dumps "$dir")
        collect "$dir" || rc=1
        dump_dir "$(new_dump "$dir" "$before")"
        [ "$rc" = 0 ] || return 1
        saved "$dir"
        return 0
    fi
    # makedumpfile, with the collector's safety rules: reserve, incomplete
    # marker and name, id file, retention only after the dump is complete.
    avail=$(free_mib "$dir")
    if [ "${avail:-0}" -le "$XKD_RESERVE" ]; then
        say "only ${avail} MiB free in $dir, reserve is $XKD_RESERVE MiB: not saving (no old dump is deleted to make room)"
        return 1
    fi
    tmp=$(fresh_dir "$dir") || {
        say "cannot create a fresh directory in $dir"
        return 1
    }
    echo "$tmp" > "$RUN/partial"
    dump_dir "$tmp"
    echo "The capture is still writing this dump, or was stopped before it finished." > "$tmp/INCOMPLETE"
    id_text > "$tmp/xen-kdump.id"
    evidence "$tmp"
    # shellcheck disable=SC2046
    if ! makedumpfile $(mdf_args) "$VMCORE" "$tmp/vmcore"; then
        echo "This dump is INCOMPLETE: makedumpfile failed (see the console log)." > "$tmp/INCOMPLETE"
        say "makedumpfile failed; the partial dump stays in $tmp"
        return 1
    fi
    chmod 0600 "$tmp"/* 2> /dev/null
    sync
    rm -f "$tmp/INCOMPLETE" && sync || return 1
    final=$(final_name "$dir")
    # -T: a directory (or a symlink to one) appearing at the final name is
    # never moved into.
    mv -T -- "$tmp" "$dir/$final" && sync || return 1
    dump_dir "$dir/$final"
    rm -f "$RUN/partial"
    say "saved $dir/$final"
    saved "$dir/$final"
    prune "$dir" "$final"
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

# Stream the dump through ssh: no copy in the capture kernel's memory.  It is
# written into a fresh directory of an unpredictable name on the server (mkdir
# without -p: nothing planted there is followed), and renamed to its final
# name by a second command only when the writer exited 0 (its status comes
# back through a file: no pipefail in dash) and the stream's end marker (16
# bytes of 0xff) arrived.  Old dumps on the server are never deleted from here.
save_ssh() {
    if ! ssh_reachable; then
        say "ssh $XKD_TARGET_USER@$XKD_TARGET_HOST:$XKD_SSH_PORT unreachable for ${XKD_TIMEOUT}s"
        return 1
    fi
    [ "$XKD_KEEP" -gt 0 ] &&
        say "keep $XKD_KEEP is not applied on an ssh target: nothing there is deleted from here"
    d=$XKD_TARGET_DIR
    tn=".$NAME.$(rand).incomplete"
    qd=$(sq "$d")
    qt=$(sq "$tn")
    ssh_run "umask 077 && mkdir -p -- $qd && cd -- $qd && mkdir -- $qt &&
        printf '%s\\n' 'The capture is still writing this dump, or was stopped before it finished.' > $qt/INCOMPLETE &&
        printf 'xen-kdump-dump 1\\nhost %s\\n' $(sq "$HOST") > $qt/xen-kdump.id" < /dev/null || return 1
    # The same evidence as on a local disk, sent before the dump (it is what
    # explains a dump that never finishes); each file's size is checked on
    # the server before the rename.
    ev=$RUN/evidence
    rm -rf "$ev"
    mkdir -m 0700 "$ev" && evidence "$ev"
    checks=
    for f in $EVIDENCE_FILES; do
        [ -f "$ev/$f" ] || continue
        ssh_run "umask 077 && cd -- $qd && cat > $qt/$f" < "$ev/$f" || {
            say "sending $f to $XKD_TARGET_HOST failed; it stays as $d/$tn there, marked incomplete"
            return 1
        }
        checks="$checks [ \$((\$(wc -c < $qt/$f))) -eq $(($(wc -c < "$ev/$f"))) ] &&"
    done
    rm -f "$RUN/stream.rc"
    {
        dump_stream
        echo $? > "$RUN/stream.rc"
    } | ssh_run "umask 077 && cd -- $qd && cat > $qt/vmcore.flat"
    sent=$?
    wrote=$(cat "$RUN/stream.rc" 2> /dev/null)
    if [ "$sent" -ne 0 ] || [ "${wrote:-x}" != 0 ]; then
        say "streaming to $XKD_TARGET_HOST failed (writer status ${wrote:-none: stopped}, ssh status $sent); it stays as $d/$tn there, marked incomplete"
        return 1
    fi
    final=$(ssh_run "cd -- $qd &&
        [ \"\$(tail -c 16 $qt/vmcore.flat | od -An -v -tx1 | tr -d ' \\n')\" = ffffffffffffffffffffffffffffffff ] &&$checks
        rm -f -- $qt/INCOMPLETE && f=$(sq "$NAME") && n=0 &&
        while [ -e \"\$f\" ] || [ -L \"\$f\" ]; do n=\$((n + 1)); f=$(sq "$NAME").\$n; done &&
        mv -- $qt \"\$f\" && echo \"\$f\"" < /dev/null) && [ -n "$final" ] || {
        say "the stream to $XKD_TARGET_HOST ended without its end marker, a file did not arrive whole, or the rename failed; it stays as $d/$tn there"
        return 1
    }
    dump_dir "ssh:$d/$final"
    say "saved $XKD_TARGET_HOST:$d/$final (flattened: makedumpfile -R turns it into a normal dump)"
    saved "$XKD_TARGET_HOST:$d/$final"
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

# The part of the capture the bound covers: the pre hooks, then the target.
capture() {
    run_hook "$XKD_PRE_HOOK"
    run_hooks pre
    save_target
}

save_local() {
    dir=$(mount_local "$XKD_LOCAL_DEVICE" "$XKD_LOCAL_FSTYPE" "$XKD_LOCAL_SUBDIR" "$RUN/local") &&
        save_dir "$dir"
}

# After a dump is saved: post_hook (bounded too), then final_action.
finish() {
    SAVED=$(cat "$RUN/saved" 2> /dev/null)
    left=$(remaining)
    [ "$left" -ge "$XKD_TIMEOUT" ] || left=$XKD_TIMEOUT
    bounded "$left" run_hook "$XKD_POST_HOOK" "$SAVED" ||
        say "post_hook $XKD_POST_HOOK did not finish; carrying on"
    run_hooks post "$SAVED" complete
    act "$XKD_FINAL_ACTION"
}

# The post hooks when no dump was saved: the incomplete dump's directory, if
# one was started on a disk, and "failed".
failed_hooks() {
    run_hooks post "$(cat "$RUN/partial" 2> /dev/null)" failed
}

# $1: the status of the bounded capture.
failure() {
    if [ "${1:-0}" = 124 ]; then
        say "capture_timeout: the capture did not end within ${LIMIT}s (+${GRACE}s); what was written is kept, marked incomplete"
        if [ -s "$RUN/partial" ]; then
            p=$(cat "$RUN/partial")
            echo "This dump is INCOMPLETE: stopped after capture_timeout (${LIMIT}s)." > "$p/INCOMPLETE"
        fi
    fi
    say "capture failed; failure_action $XKD_FAILURE_ACTION"
    if [ "$XKD_FAILURE_ACTION" = save-local ]; then
        left=$(remaining)
        if [ "$left" -le 0 ]; then
            say "no time left within capture_timeout (${LIMIT}s) to save locally"
        else
            rm -f "$RUN/saved" "$RUN/partial"
            bounded $((left + GRACE)) save_local && finish
            rc=$?
            [ "$rc" = 124 ] && say "saving locally did not end within capture_timeout"
        fi
        say "saving locally failed too"
        failed_hooks
        act reboot
    fi
    failed_hooks
    act "$XKD_FAILURE_ACTION"
}

run_hook() {
    [ -n "$1" ] || return 0
    shift_hook=$1
    shift
    "$shift_hook" "$@" || say "hook $shift_hook failed ($?); carrying on"
}

# run_hooks pre|post [ARGS...]: every executable file in $ETC/pre.d or
# $ETC/post.d (installed there from the host's /etc/xen-kdump/{pre,post}.d
# by the dracut module), in name order (LC_ALL=C), one at a time, each
# stopped after XKD_TIMEOUT seconds.  A hook that fails or is stopped is
# logged and the capture carries on: a hook never costs the dump.
run_hooks() {
    phase=$1
    shift
    for hook in "$ETC/$phase.d"/*; do
        [ -f "$hook" ] && [ -x "$hook" ] || continue
        say "$phase hook ${hook##*/}"
        bounded "$XKD_TIMEOUT" "$hook" "$@"
        hrc=$?
        case $hrc in
            0) ;;
            124) say "$phase hook ${hook##*/} still ran after ${XKD_TIMEOUT}s (timeout): stopped; carrying on" ;;
            *) say "$phase hook ${hook##*/} failed (status $hrc); carrying on" ;;
        esac
    done
}

if [ "${1:-}" = --failure ]; then
    failure
fi
if [ ! -r "$VMCORE" ]; then
    say "no $VMCORE: this is not a capture boot"
    act reboot
fi

SAVED=
rmf "$RUN/saved" "$RUN/partial"
say "capture bound: ${LIMIT}s (capture_timeout $XKD_CAPTURE_TIMEOUT)"
bounded $((LIMIT + GRACE)) capture && finish
failure $?
