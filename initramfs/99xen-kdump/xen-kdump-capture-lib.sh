# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the capture script (xen-kdump-capture.sh, /usr/lib/xen-kdump/capture):
# the parts that keep evidence safe, as functions only, so that the tests can
# call them one by one.  They use say, RUN, HOST, NAME, XKD_KEEP and COLLECTOR
# of the caller.
#   names      clean_host, sq, rand
#   the bound  descendants, bounded
#   retention  prune: collector/output/save.c's rules, through xen-kdump-collect --prune
#   new dumps  id_text, fresh_dir, final_name
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
    "$@" &
    worker=$!
    # Its own marker: a bounded hook inside the bounded capture has another.
    mark="$RUN/expired.$worker"
    rm -f "$mark"
    (
        end=$(($(date +%s) + lim))
        while kill -0 "$worker" 2> /dev/null; do
            if [ "$(date +%s)" -ge "$end" ]; then
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
        rm -f "$mark"
        [ "$rc" -ne 0 ] && return 124
    fi
    return "$rc"
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
    case $("$COLLECTOR" --help 2> /dev/null) in
        *--prune*) ;;
        *)
            say "keep $XKD_KEEP not applied: no xen-kdump-collect with --prune in this image; nothing deleted"
            return 0
            ;;
    esac
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
