#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The capture script outside an initramfs: fake makedumpfile, ssh, mount and
# collector on PATH, a scratch "vmcore", and the script's test seams
# (XKD_ETC, XKD_VMCORE, XKD_RUN, XKD_ACTION_LOG, XKD_TEST_ROOT, XKD_COLLECTOR).
# Checks where the dump lands, under which name, with which modes, and which
# action is taken — including the failure paths and their time bound.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
case $XKD in /*) ;; *) XKD=$PWD/$XKD ;; esac
CAPTURE=$top/initramfs/99xen-kdump/xen-kdump-capture.sh
LIB=$top/initramfs/99xen-kdump/xen-kdump-capture-lib.sh
HOST_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq"

T=$(mktemp -d /tmp/xkd-capture.XXXXXX)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/bin"
# makedumpfile: --dump-dmesg writes a log; -F streams a flattened file (end
# marker unless FAKE_TRUNCATE); otherwise writes the last argument.
cat > "$T/bin/makedumpfile" << 'EOF'
#!/bin/sh
echo "makedumpfile $*" >> "$FAKE_LOG"
[ "$1" = --dump-dmesg ] && { echo "dmesg of the crashed dom0" > "$3"; exit 0; }
echo $$ > "${FAKE_LOG%/*}/makedumpfile.pid"
[ -n "${FAKE_MDF_FAIL:-}" ] && exit 1
case " $* " in *" -F "*)
    printf 'makedumpfile\0\0\0\0flattened-data'
    [ -n "${FAKE_HANG:-}" ] && sleep 1000
    [ -n "${FAKE_TRUNCATE:-}" ] && exit 1
    printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377'
    exit 0 ;;
esac
for last; do :; done
echo "kdump-compressed" > "$last"
[ -n "${FAKE_HANG:-}" ] && sleep 1000
exit 0
EOF
# ssh: the remote side is this machine; the command is the last argument.
# FAKE_SSH_SHORT=NAME: the file NAME arrives cut short (5 bytes).
cat > "$T/bin/ssh" << 'EOF'
#!/bin/sh
echo "ssh $*" >> "$FAKE_LOG"
if [ -n "${FAKE_SSH_DOWN:-}" ]; then sleep 1; exit 255; fi
for last; do :; done
case $last in *"cat > "*"/${FAKE_SSH_SHORT:-none}") head -c 5 | sh -c "$last"; exit ;; esac
exec sh -c "$last"
EOF
cat > "$T/bin/mount" << 'EOF'
#!/bin/sh
echo "mount $*" >> "$FAKE_LOG"
exit 32
EOF
# collector: records its arguments; "--output -" streams a flattened file, and
# always ends it with the end marker, as the real one does even when it fails
# (FAKE_COLLECTOR_FAIL: exit 1).  --help names --time-limit with FAKE_TIME_LIMIT.
# --evidence DIR writes the four evidence files; --prune is the real
# collector's (REAL_COLLECT): retention has one implementation, save.c.
cat > "$T/bin/collector" << 'EOF'
#!/bin/sh
if [ "$1" = --help ]; then
    echo "  --output DIR"
    echo "  --evidence DIR"
    echo "  --prune DIR"
    [ -n "${FAKE_TIME_LIMIT:-}" ] && echo "  --time-limit SECONDS"
    exit 0
fi
echo "collector $*" >> "$FAKE_LOG"
case " $* " in *" --prune "*) exec "$REAL_COLLECT" "$@" ;; esac
case " $* " in *" --evidence "*)
    for a; do [ "${prev:-}" = --evidence ] && dir=$a; prev=$a; done
    mkdir -p "$dir"
    for f in report.txt report.json dmesg.txt xen-console.txt; do
        echo "evidence $f of the crashed host" > "$dir/$f"
    done
    exit 0 ;;
esac
echo $$ > "${FAKE_LOG%/*}/collector.pid"
# FAKE_COLLECTOR_DIR: make the dump directory, as the real one does, and say so.
if [ -n "${FAKE_COLLECTOR_DIR:-}" ]; then
    while [ $# -gt 0 ]; do
        case $1 in --output) o=$2 ;; --host) h=$2 ;; esac
        shift
    done
    mkdir -m 0700 "$o/$h-$(date +%Y%m%d-%H%M%S)" && echo "collector: Saving to $o/$h-..."
    set -- --output "$o"
fi
[ -n "${FAKE_HANG:-}" ] && sleep 1000
case " $* " in *" --output - "*)
    printf 'makedumpfile\0\0\0\0native-data'
    printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' ;;
esac
[ -z "${FAKE_COLLECTOR_FAIL:-}" ]
EOF
cat > "$T/bin/hook" << 'EOF'
#!/bin/sh
echo "hook $*" >> "$FAKE_LOG"
EOF
chmod +x "$T/bin/"*
echo "not really a vmcore" > "$T/vmcore"
# The remote ssh command runs here: anything a host name could inject lands in $T.
cd "$T" || exit 1

# setup CONFIG-TEXT: a fresh etc/ with config.env from the real 'xen-kdump show --shell'.
setup() {
    rm -rf "$T/etc" "$T/run" "$T/root" "$T/remote" "$T/actions" "$T/log" "$T"/*.pid
    mkdir -p "$T/etc" "$T/root/var/crash" "$T/root/local" "$T/remote"
    # The makedumpfile cases below predate the native default: keep them on makedumpfile
    # (mask 33) unless the case chooses its own engine or level.
    printf '%s\n' "$1" > "$T/conf"
    case "$1" in *engine*) ;; *) echo "engine makedumpfile" >> "$T/conf" ;; esac
    case "$1" in *dump_level*) ;; *) echo "dump_level 33" >> "$T/conf" ;; esac
    "$XKD" show --shell --config "$T/conf" --kver 6.1.0-test > "$T/etc/config.env" || return 1
    cat > "$T/etc/build.env" << EOF
XKD_HOSTNAME='${HOSTNAME_QUOTED:-testhost}'
XKD_TARGET_DEVICE='UUID=1111' XKD_TARGET_FSTYPE='ext4' XKD_TARGET_SUBDIR='/var/crash'
XKD_LOCAL_DEVICE='UUID=2222' XKD_LOCAL_FSTYPE='ext4' XKD_LOCAL_SUBDIR='/local'
EOF
}

COLLECT=${XKD%/*}/xen-kdump-collect
run() {
    PATH="$T/bin:$PATH" XKD_LIB="$LIB" XKD_ETC="$T/etc" XKD_VMCORE="$T/vmcore" XKD_RUN="$T/run" \
        XKD_ACTION_LOG="$T/actions" XKD_TEST_ROOT="${TEST_ROOT-$T/root}" FAKE_LOG="$T/log" REAL_COLLECT="$COLLECT" \
        XKD_COLLECTOR="${COLLECTOR:-$T/bin/collector}" sh "$CAPTURE" "$@" > "$T/out" 2>&1
}
# evidence DIR: the four evidence files are there, 0600, as the collector wrote them.
evidence() {
    for f in report.txt report.json dmesg.txt xen-console.txt; do
        grep -q "^evidence $f of the crashed host$" "$1/$f" && [ "$(mode "$1/$f")" = 600 ] || return 1
    done
}
# hook DIR NAME [BODY]: an executable hook that logs its name and arguments.
hook() {
    mkdir -p "$T/etc/$1"
    printf '#!/bin/sh\necho "%s $*" >> "%s"\n%s\n' "$2" "$T/log" "${3:-}" > "$T/etc/$1/$2"
    chmod +x "$T/etc/$1/$2"
}

mode() { stat -c %a "$1"; }
C=$T/root/var/crash

# own DIR NAME HOST [incomplete]: a dump directory as xen-kdump leaves it.
own() {
    mkdir -p "$1/$2"
    printf 'xen-kdump-dump 1\nhost %s\n' "$3" > "$1/$2/xen-kdump.id"
    echo "report" > "$1/$2/report.txt"
    if [ -n "${4:-}" ]; then
        echo "stopped" > "$1/$2/INCOMPLETE"
        echo "partial" > "$1/$2/vmcore.incomplete"
    else
        echo "dump" > "$1/$2/vmcore"
    fi
}
# bound SECONDS: shorten the capture's bound below what the config allows (60).
bound() { echo "XKD_CAPTURE_TIMEOUT='$1'" >> "$T/etc/config.env"; }
gone() { [ -s "$T/$1.pid" ] && ! kill -0 "$(cat "$T/$1.pid")" 2> /dev/null; }
# plant DIR: symlinks to $T/evil at the names a capture starting now could use
# (the old fixed temporary name and the final name) for the next few seconds.
plant() {
    rm -rf "$T/evil"
    mkdir -p "$T/evil" "$1"
    now=$(date +%s)
    for i in 0 1 2 3 4; do
        st=$(date -d "@$((now + i))" +%Y%m%d-%H%M%S)
        ln -s "$T/evil" "$1/.testhost-$st.incomplete"
        ln -s "$T/evil" "$1/testhost-$st"
    done
}

# 1. local path target, makedumpfile engine, final action.
setup "final_action poweroff"
own "$C" testhost-20200101-000000 testhost
run
d=$(ls -d "$T"/root/var/crash/testhost-* 2> /dev/null | tail -n 1)
check "path: dump saved under its final name" '[ -n "$d" ] && [ -s "$d/vmcore" ] && [ -s "$d/dmesg.txt" ]'
check "path, makedumpfile: the collector's evidence beside the vmcore (report, dmesg, Xen console), 0600" \
    'evidence "$d" && grep -q "^collector --vmcore $T/vmcore --evidence $C/\.testhost-.*\.incomplete --quiet$" "$T/log"'
check "path, makedumpfile: the collector's dmesg, so no makedumpfile --dump-dmesg" '! grep -q "makedumpfile --dump-dmesg" "$T/log"'
check "path: no incomplete directory left" '! ls -d "$T"/root/var/crash/.*incomplete > /dev/null 2>&1'
check "path: directory 0700, files 0600" '[ "$(mode "$d")" = 700 ] && [ "$(mode "$d/vmcore")" = 600 ]'
check "path: mask 33 is -X -d 1, lzo is -l" 'grep -q "makedumpfile -l -X -d 1 $T/vmcore" "$T/log"'
check "path: final_action taken" '[ "$(cat "$T/actions")" = poweroff ]'
check "path: the dump says who wrote it (xen-kdump.id), no INCOMPLETE left" \
    '[ "$(cat "$d/xen-kdump.id")" = "$(printf "xen-kdump-dump 1\nhost testhost")" ] && [ ! -e "$d/INCOMPLETE" ]'
check "path: keep defaults to 0: the old dump is still there" '[ -f "$C/testhost-20200101-000000/vmcore" ]'
check "path: the capture's bound is auto, 30 min for a small vmcore" 'grep -q "capture bound: 1800s (capture_timeout auto)" "$T/out"'
check "path: capture.log beside the dump (0600), the older dump without one" \
    '[ "$(mode "$d/capture.log")" = 600 ] && grep -q "^xen-kdump: saved " "$d/capture.log" &&
     [ ! -e "$C/testhost-20200101-000000/capture.log" ]'

# The temporary name is fresh and unpredictable, made without -p: symlinks
# planted at the names a capture could use are never followed.
setup ""
plant "$C"
run
check "planted symlinks: nothing written through them" '[ -z "$(ls -A "$T/evil")" ]'
check "planted symlinks: saved beside them under NAME.1" 'ls "$C"/testhost-*.1/vmcore > /dev/null 2>&1'
check "planted symlinks: the temporary name has a random part" \
    'grep -Eq "makedumpfile .* $C/\.testhost-[0-9]{8}-[0-9]{6}\.[0-9]+\.incomplete/vmcore$" "$T/log"'

# 2. retention, after the new dump is complete: keep 2 leaves this host's two
# newest complete dumps (the new one among them), and touches nothing else.
setup "keep 2
compression zlib"
own "$C" testhost-20200101-000000 testhost
own "$C" testhost-20210101-000000 testhost
own "$C" testhost-20220101-000000 testhost
own "$C" other-20190101-000000 other
own "$C" testhost-20190102-000000 other
mkdir -p "$C/testhost-20190103-000000" && echo "mine" > "$C/testhost-20190103-000000/vmcore"
own "$C" testhost-20190104-000000 testhost incomplete
# Renamed but not yet declared complete: vmcore and the marker both there.
own "$C" testhost-20190106-000000 testhost && echo "stopped" > "$C/testhost-20190106-000000/INCOMPLETE"
own "$C" testhost-20190105-000000 testhost && echo "notes" > "$C/testhost-20190105-000000/analysis.txt"
run
new=$(ls -d "$C"/testhost-2* | tail -n 1)
check "keep: the new dump and the newest old one remain" \
    '[ -f "$new/vmcore" ] && [ "$new" != "$C/testhost-20220101-000000" ] && [ -f "$C/testhost-20220101-000000/vmcore" ]'
check "keep: the older complete ones are deleted" '[ ! -e "$C/testhost-20210101-000000" ] && [ ! -e "$C/testhost-20200101-000000" ]'
check "keep: another host's dump is untouched" '[ -f "$C/other-20190101-000000/vmcore" ]'
check "keep: a dump whose id names another host is untouched" '[ -f "$C/testhost-20190102-000000/vmcore" ]'
check "keep: a look-alike folder without xen-kdump.id is untouched" '[ -f "$C/testhost-20190103-000000/vmcore" ]'
check "keep: incomplete dumps are untouched" \
    '[ -f "$C/testhost-20190104-000000/vmcore.incomplete" ] && [ -f "$C/testhost-20190106-000000/vmcore" ]'
check "keep: a dump with files added by hand is untouched" \
    '[ -f "$C/testhost-20190105-000000/analysis.txt" ] && [ -f "$C/testhost-20190105-000000/vmcore" ]'
check "keep: each deletion is logged with why" \
    '[ "$(grep -c "Deleted old dump" "$T/out")" = 2 ] &&
     grep -q "Deleted old dump $C/testhost-20200101-000000: keep 2 keeps this host.s 2 newest complete dumps" "$T/out"'
check "keep: applied by the collector (--prune, save.c's rules), naming the new dump" \
    'grep -Eq "^collector --prune $C --keep 2 --host testhost --newest testhost-[0-9]{8}-[0-9]{6}$" "$T/log"'
check "keep: zlib is -c" 'grep -q "makedumpfile -c -X" "$T/log"'

# A failed capture deletes nothing, whatever keep says.
setup "keep 1
failure_action poweroff"
own "$C" testhost-20200101-000000 testhost
FAKE_MDF_FAIL=1 run
check "keep: a failed capture deletes nothing" '[ -f "$C/testhost-20200101-000000/vmcore" ] && ! grep -qi "deleted" "$T/out" && ! grep -q -- "--prune" "$T/log"'

# Without a collector (or one without --prune) nothing is deleted, and it says
# so; the dump is saved all the same, with makedumpfile's dmesg.
setup "keep 1"
own "$C" testhost-20200101-000000 testhost
COLLECTOR=/nonexistent run
d=$(ls -d "$C"/testhost-2* | tail -n 1)
check "keep without a collector: nothing deleted, and said why" \
    '[ -f "$C/testhost-20200101-000000/vmcore" ] && grep -q "keep 1 not applied: no xen-kdump-collect with --prune" "$T/out"'
check "no collector: the dump is saved with makedumpfile's dmesg, and no report is said so" \
    '[ -s "$d/vmcore" ] && [ "$(cat "$d/dmesg.txt")" = "dmesg of the crashed dom0" ] && [ "$(mode "$d/dmesg.txt")" = 600 ] &&
     grep -q "no crash report" "$T/out" && [ "$(cat "$T/actions")" = reboot ]'

setup "dump_level 31
compression none"
run
check "mask 31 without 32 keeps domU pages: no -X; none: no flag" 'grep -q "makedumpfile -d 31 $T/vmcore" "$T/log"'

# 3. reserve larger than the free space: nothing saved, failure_action.
setup "reserve 1048576
failure_action poweroff
keep 1"
own "$C" testhost-20200101-000000 testhost
run
check "reserve: refuses to fill the disk" '[ "$(ls "$C")" = testhost-20200101-000000 ] && grep -q "reserve is 1048576" "$T/out"'
check "reserve: no old dump deleted to make room" '[ -f "$C/testhost-20200101-000000/vmcore" ]'
check "reserve: failure_action taken" '[ "$(cat "$T/actions")" = poweroff ]'

# 4. makedumpfile fails: the partial dump keeps its incomplete name.
setup "failure_action shell"
FAKE_MDF_FAIL=1 run
check "engine failure: incomplete name kept, failure_action" 'ls -d "$T"/root/var/crash/.*incomplete > /dev/null && [ "$(cat "$T/actions")" = shell ]'
check "engine failure: the marker says so" 'grep -q "makedumpfile failed" "$C"/.*incomplete/INCOMPLETE'

SSH="target ssh dump@backup:$T/remote
ssh_known_host $HOST_KEY
ssh_port 2222
timeout 3
local_path /local
pre_hook $T/bin/hook
post_hook $T/bin/hook"

# 5. ssh: streamed, renamed only when the end marker arrived.
setup "$SSH"
run
r=$(ls -d "$T"/remote/testhost-* 2> /dev/null | head -n 1)
check "ssh: dump under its final name on the server" '[ -n "$r" ] && [ -s "$r/vmcore.flat" ] && [ -s "$r/dmesg.txt" ]'
check "ssh: flattened stream, pinned host key, port, batch mode" 'grep -q "makedumpfile -F -l -X -d 1" "$T/log" && grep -q "StrictHostKeyChecking=yes" "$T/log" && grep -q -- "-p 2222" "$T/log" && grep -q "BatchMode=yes" "$T/log"'
check "ssh: hooks ran, post with the location" '[ "$(grep -c "^hook" "$T/log")" = 2 ] && grep -q "^hook backup:$T/remote/testhost-" "$T/log"'
check "ssh: final_action" '[ "$(cat "$T/actions")" = reboot ]'
check "ssh: id file, no INCOMPLETE, nothing left under a temporary name" \
    '[ -f "$r/xen-kdump.id" ] && [ ! -e "$r/INCOMPLETE" ] && ! ls -d "$T"/remote/.*incomplete > /dev/null 2>&1'
check "ssh: the same evidence as on a local disk beside vmcore.flat, files 0600 in a 0700 directory" \
    'evidence "$r" && [ "$(mode "$r")" = 700 ] && [ "$(mode "$r/vmcore.flat")" = 600 ] && [ "$(mode "$r/xen-kdump.id")" = 600 ]'

# A file cut short on its way is never in a complete-looking dump.
setup "$SSH"
FAKE_SSH_SHORT=report.json run
check "ssh: an evidence file that arrived short: not renamed, saved locally instead" \
    '! ls -d "$T"/remote/testhost-* > /dev/null 2>&1 && ls -d "$T"/remote/.*incomplete > /dev/null &&
     grep -q "a file did not arrive whole" "$T/out" && evidence "$(ls -d "$T"/root/local/testhost-*)"'

# Even a symlink at the exact random name (fixed here) is refused, never followed.
setup "failure_action poweroff"
plant "$C"
st=$(date +%Y%m%d-%H%M%S)
for i in 0 1 2 3 4 5 6 7 8 9; do
    st=$(date -d "@$(($(date +%s) + i))" +%Y%m%d-%H%M%S)
    ln -s "$T/evil" "$C/.testhost-$st.4242.incomplete"
done
XKD_TEST_RAND=4242 run
check "guessed temporary name: refused, nothing written through it" \
    '[ -z "$(ls -A "$T/evil")" ] && grep -q "cannot create a fresh directory" "$T/out" && [ "$(cat "$T/actions")" = poweroff ]'

# ssh: symlinks planted on the server are never followed either.
setup "$SSH
keep 1"
plant "$T/remote"
own "$T/remote" testhost-20200101-000000 testhost
run
check "ssh planted symlinks: nothing written through them, saved as NAME.1" \
    '[ -z "$(ls -A "$T/evil")" ] && ls "$T"/remote/testhost-*.1/vmcore.flat > /dev/null 2>&1'
setup "$SSH"
plant "$T/remote"
for i in 0 1 2 3 4 5 6 7 8 9; do
    st=$(date -d "@$(($(date +%s) + i))" +%Y%m%d-%H%M%S)
    ln -s "$T/evil" "$T/remote/.testhost-$st.4242.incomplete"
done
XKD_TEST_RAND=4242 run
check "ssh guessed temporary name: refused on the server, nothing written through it" \
    '[ -z "$(ls -A "$T/evil")" ] && ! ls "$T"/remote/testhost-*/vmcore.flat > /dev/null 2>&1'
setup "$SSH
keep 1"
plant "$T/remote"
own "$T/remote" testhost-20200101-000000 testhost
run
check "ssh: keep is not applied on the server, and says so" \
    '[ -f "$T/remote/testhost-20200101-000000/vmcore" ] && grep -q "keep 1 is not applied on an ssh target" "$T/out"'

# A host name with quotes, \$( ), backquotes, a newline and ../ is data: in
# build.env (quoted as module-setup.sh does), in paths, in the ssh command.
raw="h'\$(touch pwned)\`touch pwned\`;.
/.."
HOSTNAME_QUOTED=$(printf '%s' "$raw" | sed "s/'/'\\\\''/g")
setup "$SSH"
unset HOSTNAME_QUOTED
run
clean="h___touch_pwned__touch_pwned__.__.."
check "hostile host name: nothing ran" '[ ! -e "$T/pwned" ] && [ ! -e "$T/remote/pwned" ]'
check "hostile host name: saved as the collector would name it" \
    'ls "$T/remote/$clean"-*/vmcore.flat > /dev/null 2>&1 && grep -q "^host $clean$" "$T/remote/$clean"-*/xen-kdump.id'

# 6. ssh stream ends early: never a complete-looking dump; save-local is the default.
setup "$SSH"
FAKE_TRUNCATE=1 run
check "ssh truncated: server keeps only the incomplete name" '! ls -d "$T"/remote/testhost-* > /dev/null 2>&1 && ls -d "$T"/remote/.*incomplete > /dev/null'
check "ssh truncated: saved locally instead" 'ls "$T"/root/local/testhost-*/vmcore > /dev/null'
check "ssh truncated: final action after the local save" '[ "$(cat "$T/actions")" = reboot ]'

# 7. ssh unreachable: gives up after the timeout, saves locally.
setup "$SSH
final_action poweroff"
start=$(date +%s)
FAKE_SSH_DOWN=1 run
took=$(($(date +%s) - start))
check "ssh unreachable: bounded (${took}s for timeout 3)" '[ "$took" -le 12 ] && grep -q "unreachable for 3s" "$T/out"'
check "ssh unreachable: dump saved locally" 'ls "$T"/root/local/testhost-*/vmcore > /dev/null'
check "ssh unreachable: final_action after save-local" '[ "$(cat "$T/actions")" = poweroff ]'

# 8. nfs mount fails within the timeout: default failure_action reboot.
setup "target nfs nas:/export
timeout 2"
run
check "nfs unreachable: failure_action reboot" 'grep -q "mount -t nfs -o rw,nolock,timeo=100,retrans=3 nas:/export" "$T/log" && [ "$(cat "$T/actions")" = reboot ]'

# 9. engine native: the collector saves, with the config's values.
setup "engine native
dump_level 63
compression none
keep 3
reserve 100"
COLLECTOR=$T/bin/collector run
check "native: collector called with level, compression, keep, reserve, host" 'grep -q "collector --vmcore $T/vmcore --output $T/root/var/crash --level 63 --compress none --keep 3 --reserve 100 --host testhost$" "$T/log"'
check "native: no makedumpfile" '! grep -q "^makedumpfile -" "$T/log"'

# 9c. the capture's own log beside the dump (capture.log, 0600): the script's and
# the collector's output, never beside an older dump.
setup "engine native"
own "$C" testhost-20200101-000000 testhost
FAKE_COLLECTOR_DIR=1 COLLECTOR=$T/bin/collector run
d=$(ls -d "$C"/testhost-* | grep -v 20200101 | head -n 1)
check "capture.log: beside the new dump, 0600" '[ -n "$d" ] && [ "$(mode "$d/capture.log")" = 600 ]'
check "capture.log: the script's and the collector's lines, up to the action" \
    'grep -q "^xen-kdump: capture bound: " "$d/capture.log" && grep -q "^collector: Saving to " "$d/capture.log" &&
     grep -q "^xen-kdump: action: reboot" "$d/capture.log"'
check "capture.log: the console still shows it all" 'grep -q "^collector: Saving to " "$T/out"'
check "capture.log: not beside the older dump" '[ ! -e "$C/testhost-20200101-000000/capture.log" ]'
setup "engine native"
own "$C" testhost-20200101-000000 testhost
FAKE_COLLECTOR_DIR=1 FAKE_COLLECTOR_FAIL=1 COLLECTOR=$T/bin/collector run
d=$(ls -d "$C"/testhost-* | grep -v 20200101 | head -n 1)
check "capture.log: beside an incomplete dump too, with the failure" \
    '[ -n "$d" ] && grep -q "capture failed; failure_action" "$d/capture.log"'
setup "engine native"
own "$C" testhost-20200101-000000 testhost
FAKE_COLLECTOR_FAIL=1 COLLECTOR=$T/bin/collector run
check "capture.log: no dump made, so no older dump gets the log" '[ ! -e "$C/testhost-20200101-000000/capture.log" ]'

# 9a. a stream whose writer failed (its end marker written all the same) is
# never renamed to its final name: the writer's status is checked, not only ssh's.
setup "$SSH
engine native"
FAKE_COLLECTOR_FAIL=1 COLLECTOR=$T/bin/collector run
check "native ssh, writer failed: the server keeps only the incomplete name, marked" \
    '! ls -d "$T"/remote/testhost-* > /dev/null 2>&1 && ls "$T"/remote/.*incomplete/INCOMPLETE > /dev/null 2>&1'
check "native ssh, writer failed: reported as failed, never as saved" \
    'grep -q "writer status 1, ssh status 0" "$T/out" && ! grep -q "saved backup" "$T/out"'

# 9b. engine native over ssh: the collector streams, the server renames when complete.
setup "$SSH
engine native"
COLLECTOR=$T/bin/collector run
r=$(ls -d "$T"/remote/testhost-* 2> /dev/null | head -n 1)
check "native ssh: collector streams (--output - --quiet), complete on the server" 'grep -q "collector .* --output - .*--quiet" "$T/log" && [ -n "$r" ] && grep -q native-data "$r/vmcore.flat"'

# 11. capture_timeout: nothing waits forever.  A hung collector is stopped
# GRACE seconds after the bound, with everything it started, and
# failure_action runs; the collector is told the time left when it knows how.
setup "engine native
failure_action poweroff"
bound 3
start=$(date +%s)
FAKE_HANG=1 FAKE_TIME_LIMIT=1 XKD_GRACE=1 COLLECTOR=$T/bin/collector run
took=$(($(date +%s) - start))
check "bound: a hung collector is stopped (${took}s for 3 s + 1 s grace + 5 s)" \
    '[ "$took" -ge 4 ] && [ "$took" -le 14 ] && grep -q "did not end within 3s" "$T/out"'
check "bound: failure_action after it" '[ "$(cat "$T/actions")" = poweroff ]'
check "bound: the collector process is gone" 'gone collector'
check "bound: the collector was given --time-limit (the seconds left)" \
    'grep -Eq "^collector --vmcore .* --time-limit [1-3]$" "$T/log"'

setup "failure_action shell"
bound 3
FAKE_HANG=1 XKD_GRACE=1 run
check "bound: a hung makedumpfile is stopped, the partial dump kept, marked why" \
    'gone makedumpfile && grep -q "capture_timeout" "$C"/.*incomplete/INCOMPLETE && [ -s "$(ls "$C"/.*incomplete/vmcore)" ]'
check "bound: ... and failure_action shell taken" '[ "$(cat "$T/actions")" = shell ]'

setup "$SSH"
bound 3
FAKE_HANG=1 XKD_GRACE=1 run
check "bound: a hung ssh stream is stopped; the server keeps only the incomplete name" \
    'gone makedumpfile && ! ls -d "$T"/remote/testhost-* > /dev/null 2>&1 && ls -d "$T"/remote/.*incomplete > /dev/null'
check "bound: no save-local once the bound is spent; reboot" \
    'grep -q "no time left" "$T/out" && ! ls "$T"/root/local/testhost-* > /dev/null 2>&1 && [ "$(cat "$T/actions")" = reboot ]'

# auto scales with the RAM in the vmcore (its size), at most 24 hours.
setup ""
truncate -s 100G "$T/vmcore"
run
check "bound: auto for 100 GiB of RAM is 30 min + 100 x 30 s" 'grep -q "capture bound: 4800s (capture_timeout auto)" "$T/out"'
truncate -s 4T "$T/vmcore"
setup ""
run
check "bound: auto is at most 24 h" 'grep -q "capture bound: 86400s (capture_timeout auto)" "$T/out"'
truncate -s 0 "$T/vmcore" && echo "not really a vmcore" > "$T/vmcore"

# 12. The library's pieces on their own.
# shellcheck source=../../initramfs/99xen-kdump/xen-kdump-capture-lib.sh
. "$LIB"
for v in "plain" "it's" "a'b'c''" "\$(touch $T/pwned)\`touch $T/pwned\`" "new
line" "back\\slash" "'" ""; do
    got=$(sh -c "printf '%s' $(sq "$v")")
    check "sq: $(printf '%s' "$v" | tr '\n' '~') comes back as itself through sh -c" '[ "$got" = "$v" ] && [ ! -e "$T/pwned" ]'
done
# clean_host names directories exactly as the collector does (collector/output/save.c),
# cut at 127 bytes (a 2-byte character is two '_').
for raw in "node-1.example" ".hidden" "h'\$(x)
y/../z" "é" "$(printf 'é%.0s' $(seq 1 70))x.y"; do
    rm -rf "$T/names"
    "$COLLECT" --vmcore "$T/no-such-vmcore" --output "$T/names" --host "$raw" --quiet > /dev/null 2>&1
    made=$(ls "$T/names" 2> /dev/null)
    check "clean_host: $(printf '%s' "$raw" | tr '\n' '~') is named as by xen-kdump-collect ($made)" \
        '[ -n "$made" ] && [ "${made%-*-*}" = "$(clean_host "$raw")" ]'
done

# 13. Hook directories: pre.d before saving, post.d after, in name order,
# each bounded by timeout; a failing or hung hook is logged and costs nothing.
setup "timeout 2
final_action poweroff"
hook pre.d 20-second
hook pre.d 10-first "exit 3"
hook pre.d 30-hangs "sleep 100"
hook post.d 50-post
hook post.d 05-post
printf 'not a hook\n' > "$T/etc/pre.d/README"
start=$(date +%s)
run
took=$(($(date +%s) - start))
d=$(ls -d "$C"/testhost-2* | tail -n 1)
check "hooks: pre.d in name order before the dump, then post.d in name order" \
    '[ "$(grep -E "^(10-first|20-second|30-hangs|05-post|50-post|makedumpfile -l)" "$T/log" | cut -d" " -f1 | tr "\n" " ")" = \
      "10-first 20-second 30-hangs makedumpfile 05-post 50-post " ]'
check "hooks: a failing pre hook is logged with its status, and the dump is saved" \
    'grep -q "pre hook 10-first failed (status 3); carrying on" "$T/out" && [ -s "$d/vmcore" ]'
check "hooks: a hung pre hook is stopped after timeout (${took}s in all for timeout 2)" \
    'grep -q "pre hook 30-hangs still ran after 2s (timeout): stopped" "$T/out" && [ "$took" -le 15 ]'
check "hooks: post hooks get the dump directory and complete" 'grep -q "^05-post $d complete$" "$T/log"'
check "hooks: a file that is not executable is no hook" '! grep -q "README" "$T/out"'
check "hooks: final_action after the post hooks" '[ "$(cat "$T/actions")" = poweroff ]'

setup "failure_action shell"
hook post.d 50-post
FAKE_MDF_FAIL=1 run
check "hooks: when the capture fails, post hooks get the incomplete dump and failed" \
    'grep -Eq "^50-post $C/\.testhost-[0-9]{8}-[0-9]{6}\.[0-9]+\.incomplete failed$" "$T/log" && [ "$(cat "$T/actions")" = shell ]'

# 10. --failure (the unit's OnFailure) only takes the failure action.
setup "failure_action poweroff"
run --failure
check "--failure: only the action" '[ "$(cat "$T/actions")" = poweroff ] && ! grep -q makedumpfile "$T/log" 2> /dev/null'

# 11. A local disk that never appears (its driver missing from the image): the
# reason reaches the console, not the caller's $(...), and the failure action runs.
setup "target path /var/crash
timeout 1
failure_action poweroff"
TEST_ROOT='' run
check "path: a disk that never appears is named on the console, then failure_action" \
    'grep -q "device UUID=1111 did not appear within 1s: is its disk driver in the image?" "$T/out" &&
     [ "$(cat "$T/actions")" = poweroff ]'

finish capture
