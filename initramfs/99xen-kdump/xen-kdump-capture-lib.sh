# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the capture script (xen-kdump-capture.sh, /usr/lib/xen-kdump/capture)
# and by the small image's /init (the drivers): the parts that keep evidence
# safe, and those that cost time before the collector starts, as functions
# only, so that the tests can call them one by one.  They use say, RUN, HOST,
# NAME, XKD_KEEP and COLLECTOR of the caller.
#   names      clean_host, sq, rand
#   cheap      uptime_cs, rmf: no exec where the shell can do it
#   drivers    load_drivers, load_present (the small image, modular kernel)
#   the bound  descendants, bounded
#   retention  prune: collector/output/save.c's rules, through xen-kdump-collect --prune
#   new dumps  id_text, fresh_dir, final_name
# The capture kernel runs on one CPU, under QEMU's TCG in the tests, where each
# fork and exec costs 20-40 ms: what runs before the collector avoids them.
# shellcheck shell=sh

# The host name as the collector writes it into directory names: any other
# byte becomes '_', so it is safe in a path and in the ssh command line; at
# most 127 bytes.  In the shell (LC_ALL=C: a pattern's ? is one byte), not tr
# and cut: two execs for a name that is almost always clean already.
clean_host() {
    h=$1
    case $h in
        *[!A-Za-z0-9._-]*)
            _s=$h
            h=
            while [ -n "$_s" ]; do
                _r=${_s#?}
                case ${_s%"$_r"} in
                    [A-Za-z0-9._-]) h=$h${_s%"$_r"} ;;
                    *) h=${h}_ ;;
                esac
                _s=$_r
            done
            ;;
    esac
    while [ "${#h}" -gt 127 ]; do h=${h%?}; done
    case $h in .*) h="_${h#.}" ;; esac
    echo "${h:-xen}"
}
# $1 quoted for sh -c (the ssh server's shell): '...' with each ' as '\''.
sq() {
    s=$1
    q=
    while :; do
        case $s in
            *\'*)
                q="$q${s%%\'*}'\\''"
                s=${s#*\'}
                ;;
            *) break ;;
        esac
    done
    printf "'%s'" "$q$s"
}

# An unpredictable number, for temporary names nobody can plant in advance.
rand() {
    # The tests fix it to plant a symlink at the exact name.
    [ -n "${XKD_TEST_RAND:-}" ] && echo "$XKD_TEST_RAND" && return 0
    r=$(od -An -N4 -tu4 /dev/urandom 2> /dev/null | tr -dc 0-9)
    echo "${r:-$$$(date +%s)}"
}

# UP: centiseconds since boot, read by the shell from /proc/uptime (date is
# an exec).  Without /proc (never in a capture), date's seconds: each caller
# only compares UP with an earlier UP.
uptime_cs() {
    if { read -r _up _ < /proc/uptime; } 2> /dev/null; then
        _c=${_up#*.}
        UP=$((${_up%%.*} * 100 + ${_c#0}))
    else
        UP=$(($(date +%s) * 100))
    fi
}

# rm -f FILE...: without the exec when nothing is there (at start-up, never).
rmf() {
    for _rmf in "$@"; do
        if [ -e "$_rmf" ] || [ -L "$_rmf" ]; then
            rm -f -- "$_rmf"
        fi
    done
}

# The small image for a modular kernel (/init): the drivers the host named in
# $1 (etc/xen-kdump/modules: the dump's disk's driver chain and filesystem,
# the host dracut config's drivers, extra_modules; module-setup.sh), in one
# modprobe.  The other devices' drivers (load_present, 0.35-0.45 s under TCG)
# are not needed then: find_uuid loads them only when the dump's device is
# still missing a second later (XKD_MODALIAS=late).  With no name in $1, they
# are loaded now (XKD_MODALIAS=loaded).  Sets NAMED to the number of names.
load_drivers() {
    _mods=
    NAMED=0
    while IFS= read -r _m || [ -n "$_m" ]; do
        [ -n "$_m" ] && _mods="$_mods $_m" && NAMED=$((NAMED + 1))
    done < "$1"
    if [ -n "$_mods" ]; then
        # One modprobe for all (each exec costs); one each only to name a failure.
        # shellcheck disable=SC2086
        modprobe -q -a $_mods ||
            for _m in $_mods; do
                modprobe -q "$_m" || echo "xen-kdump: warning: kernel module $_m did not load"
            done
        XKD_MODALIAS=late
    else
        load_present
        XKD_MODALIAS=loaded
    fi
    export XKD_MODALIAS
}

# The drivers of the devices present, by their modalias: the part of udev a
# capture needs.  A second pass when the first brought new devices (a
# controller's driver makes its disks appear, which need theirs); modprobe
# takes a name twice, so no sort.  XKD_SYSFS_ROOT=DIR reads DIR/sys (the tests).
load_present() {
    _prev=
    for _ in 1 2; do
        _all=$(cat "${XKD_SYSFS_ROOT:-}"/sys/bus/*/devices/*/modalias 2> /dev/null)
        [ "$_all" = "$_prev" ] && break
        _prev=$_all
        # shellcheck disable=SC2086
        [ -n "$_all" ] && modprobe -q -a $_all 2> /dev/null
    done
    return 0
}

# The pids of $1's descendants (from /proc: no pkill or setsid in the image).
descendants() {
    cat /proc/[0-9]*/stat 2> /dev/null | awk -v root="$1" '
        { pid = $1; sub(/.*\) /, ""); parent[pid] = $2 }
        END {
            n = 1; q[1] = root
            for (i = 1; i <= n; i++)
                for (p in parent)
                    if (parent[p] == q[i]) { q[++n] = p; print p }
        }'
}

# bounded SECONDS COMMAND...: runs COMMAND (a function too) in a subshell and
# waits for it; if it still runs after SECONDS, stops it and everything it
# started (TERM, then KILL 5 s later) and returns 124.  Else its status.
bounded() {
    lim=$1
    shift
    "$@" &
    worker=$!
    # Its own marker: a bounded hook inside the bounded capture has another.
    mark="$RUN/expired.$worker"
    rmf "$mark"
    # The clock is uptime_cs: a date exec each second of the dump would share
    # the one CPU with the collector.
    (
        uptime_cs
        end=$((UP + lim * 100))
        while kill -0 "$worker" 2> /dev/null; do
            uptime_cs
            if [ "$UP" -ge "$end" ]; then
                : > "$mark"
                pids="$worker $(descendants "$worker")"
                say "still running after ${lim}s: stopping it (pids $(echo $pids))"
                # shellcheck disable=SC2086
                kill -TERM $pids 2> /dev/null
                sleep 5
                # shellcheck disable=SC2086
                kill -KILL $pids 2> /dev/null
                exit 0
            fi
            sleep 1
        done
    ) &
    dog=$!
    wait "$worker"
    rc=$?
    wait "$dog"
    if [ -e "$mark" ]; then
        rmf "$mark"
        [ "$rc" -ne 0 ] && return 124
    fi
    return "$rc"
}

# collector_knows OPTION: whether the image's collector has OPTION
# (--time-limit, --evidence, --prune).  module-setup.sh asks the collector it
# installs and writes the answer into build.env (XKD_COLLECTOR_OPTS), so no
# exec of it at crash time; for an image built before that key, its --help,
# asked once per process.
collector_knows() {
    [ -n "${XKD_COLLECTOR_OPTS+set}" ] || XKD_COLLECTOR_OPTS=$("$COLLECTOR" --help 2> /dev/null)
    case $XKD_COLLECTOR_OPTS in
        *"$1"*) return 0 ;;
    esac
    return 1
}

id_text() {
    printf 'xen-kdump-dump 1\nhost %s\n' "$HOST"
}

# Retention, once the new dump $2 in $1 is complete: keep this host's XKD_KEEP
# newest complete dumps, $2 among them; 0 keeps all.  The rules are
# collector/output/save.c's, applied by the collector itself (--prune): incomplete
# dumps, other hosts' dumps, look-alikes without xen-kdump.id and dumps with
# files added by hand are neither counted nor deleted.  Without a collector
# that knows --prune, nothing is deleted.
prune() {
    [ "$XKD_KEEP" -gt 0 ] || return 0
    if ! collector_knows --prune; then
        say "keep $XKD_KEEP not applied: no xen-kdump-collect with --prune in this image; nothing deleted"
        return 0
    fi
    "$COLLECTOR" --prune "$1" --keep "$XKD_KEEP" --host "$HOST" --newest "$2" ||
        say "keep $XKD_KEEP could not be applied in $1 (see above); nothing else changes"
}

# mkdir of a fresh ".NAME.RANDOM.incomplete" in $1 (never -p: whatever is
# already there, a planted symlink too, is refused); prints its path.
fresh_dir() {
    for _ in 1 2 3 4 5; do
        t="$1/.$NAME.$(rand).incomplete"
        mkdir -m 0700 -- "$t" 2> /dev/null && echo "$t" && return 0
    done
    return 1
}

# A name in $1 for the finished dump: NAME, else NAME.1, NAME.2, ...
final_name() {
    f=$NAME
    n=0
    while [ -e "$1/$f" ] || [ -L "$1/$f" ]; do
        n=$((n + 1))
        f="$NAME.$n"
    done
    echo "$f"
}
