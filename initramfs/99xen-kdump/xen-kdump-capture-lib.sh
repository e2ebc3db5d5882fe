# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the capture script (xen-kdump-capture.sh, /usr/lib/xen-kdump/capture):
# the parts that keep evidence safe, as functions only, so that the tests can
# call them one by one.  They use say, RUN, HOST, NAME and XKD_KEEP of the caller.
#   names      clean_host, sq, rand
#   the bound  descendants, bounded
#   retention  own_complete_dump(s), prune: the rules of collector/save.c
#   new dumps  fresh_dir, final_name
# shellcheck shell=sh

# The host name as the collector writes it into directory names: any other
# byte becomes '_', so it is safe in a path and in the ssh command line.
clean_host() {
    h=$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_' | cut -c 1-127)
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
    rm -f "$RUN/expired"
    "$@" &
    worker=$!
    (
        end=$(($(date +%s) + lim))
        while kill -0 "$worker" 2> /dev/null; do
            if [ "$(date +%s)" -ge "$end" ]; then
                : > "$RUN/expired"
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
    [ "$rc" -ne 0 ] && [ -e "$RUN/expired" ] && return 124
    return "$rc"
}

# What xen-kdump writes into a dump directory (the collector and this script).
is_dump_file() {
    case $1 in
        vmcore | vmcore.incomplete | INCOMPLETE | xen-kdump.id | report.txt | report.json | \
            dmesg.txt | vmcore.flat) return 0 ;;
    esac
    return 1
}

id_text() {
    printf 'xen-kdump-dump 1\nhost %s\n' "$HOST"
}

# own_complete_dump DIR: DIR is a real directory holding this host's
# xen-kdump.id, a complete dump (vmcore, no INCOMPLETE, no vmcore.incomplete),
# and nothing xen-kdump did not write.  The rules of collector/save.c.
own_complete_dump() {
    [ -d "$1" ] && [ ! -L "$1" ] || return 1
    [ -f "$1/xen-kdump.id" ] && [ ! -L "$1/xen-kdump.id" ] || return 1
    [ "$(cat "$1/xen-kdump.id")" = "$(id_text)" ] || return 1
    [ -f "$1/vmcore" ] && [ ! -L "$1/vmcore" ] || return 1
    for f in INCOMPLETE vmcore.incomplete; do
        [ -e "$1/$f" ] || [ -L "$1/$f" ] && return 1
    done
    for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        is_dump_file "${f##*/}" && [ -f "$f" ] && [ ! -L "$f" ] || return 1
    done
    return 0
}

# "STAMP SEQ NAME" for each of this host's complete dumps in $1 but $2.
own_complete_dumps() {
    S='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]'
    for p in "$1/$HOST"-$S "$1/$HOST"-$S.*; do
        n=${p##*/}
        [ "$n" != "$2" ] || continue
        rest=${n#"$HOST"-}
        stamp=${rest%%.*}
        case $rest in
            *.*) seq=${rest#*.} ;;
            *) seq=-1 ;;
        esac
        case $seq in -1) ;; '' | *[!0-9]*) continue ;; esac
        [ ${#seq} -le 5 ] || continue
        own_complete_dump "$p" || continue
        echo "$stamp $((seq + 1)) $n"
    done
}

# Retention, once the new dump $2 in $1 is complete: keep this host's XKD_KEEP
# newest complete dumps, $2 among them; 0 keeps all.  Incomplete dumps are
# neither counted nor deleted, so failed captures never rotate good ones out.
prune() {
    [ "$XKD_KEEP" -gt 0 ] || return 0
    own_complete_dumps "$1" "$2" | sort -k1,1r -k2,2nr | tail -n +"$XKD_KEEP" |
        while read -r _ _ old; do
            p="$1/$old"
            own_complete_dump "$p" || continue
            for f in "$p"/*; do
                case ${f##*/} in vmcore | xen-kdump.id) ;; *) rm -f -- "$f" ;; esac
            done
            rm -f -- "$p/vmcore" && rm -f -- "$p/xen-kdump.id" && rmdir -- "$p" &&
                say "deleted old dump $p: keep $XKD_KEEP keeps this host's $XKD_KEEP newest complete dumps, the new one $2" ||
                say "cannot delete old dump $p"
        done
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
