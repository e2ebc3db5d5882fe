#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The capture script outside an initramfs: fake makedumpfile, ssh, mount and
# collector on PATH, a scratch "vmcore", and the script's test seams
# (XKD_ETC, XKD_VMCORE, XKD_RUN, XKD_ACTION_LOG, XKD_TEST_ROOT, XKD_COLLECTOR).
# Checks where the dump lands, under which name, with which modes, and which
# action is taken — including the failure paths and their time bound.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
XKD=${XKD:-$top/build/xen-kdump}
CAPTURE=$top/initramfs/99xen-kdump/xen-kdump-capture.sh
HOST_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCwlKkWVoU416wqAH8FMFwxXQsoIpEAyUJR0ZLoRq"

T=$(mktemp -d /tmp/xkd-capture.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

mkdir -p "$T/bin"
# makedumpfile: --dump-dmesg writes a log; -F streams a flattened file (end
# marker unless FAKE_TRUNCATE); otherwise writes the last argument.
cat > "$T/bin/makedumpfile" << 'EOF'
#!/bin/sh
echo "makedumpfile $*" >> "$FAKE_LOG"
[ "$1" = --dump-dmesg ] && { echo "dmesg of the crashed dom0" > "$3"; exit 0; }
[ -n "${FAKE_MDF_FAIL:-}" ] && exit 1
case " $* " in *" -F "*)
    printf 'makedumpfile\0\0\0\0flattened-data'
    [ -n "${FAKE_TRUNCATE:-}" ] && exit 1
    printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377'
    exit 0 ;;
esac
for last; do :; done
echo "kdump-compressed" > "$last"
EOF
# ssh: the remote side is this machine; the command is the last argument.
cat > "$T/bin/ssh" << 'EOF'
#!/bin/sh
echo "ssh $*" >> "$FAKE_LOG"
if [ -n "${FAKE_SSH_DOWN:-}" ]; then sleep 1; exit 255; fi
for last; do :; done
exec sh -c "$last"
EOF
cat > "$T/bin/mount" << 'EOF'
#!/bin/sh
echo "mount $*" >> "$FAKE_LOG"
exit 32
EOF
# collector: records its arguments; "--output -" streams a flattened file.
cat > "$T/bin/collector" << 'EOF'
#!/bin/sh
echo "collector $*" >> "$FAKE_LOG"
case " $* " in *" --output - "*)
    printf 'makedumpfile\0\0\0\0native-data'
    printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' ;;
esac
EOF
cat > "$T/bin/hook" << 'EOF'
#!/bin/sh
echo "hook $*" >> "$FAKE_LOG"
EOF
chmod +x "$T/bin/"*
echo "not really a vmcore" > "$T/vmcore"

# setup CONFIG-TEXT: a fresh etc/ with config.env from the real 'xen-kdump show --shell'.
setup() {
    rm -rf "$T/etc" "$T/run" "$T/root" "$T/remote" "$T/actions" "$T/log"
    mkdir -p "$T/etc" "$T/root/var/crash" "$T/root/local" "$T/remote"
    # The makedumpfile cases below predate the native default: keep them on makedumpfile
    # (mask 33) unless the case chooses its own engine or level.
    printf '%s\n' "$1" > "$T/conf"
    case "$1" in *engine*) ;; *) echo "engine makedumpfile" >> "$T/conf" ;; esac
    case "$1" in *dump_level*) ;; *) echo "dump_level 33" >> "$T/conf" ;; esac
    "$XKD" show --shell --config "$T/conf" --kver 6.1.0-test > "$T/etc/config.env" || return 1
    cat > "$T/etc/build.env" << EOF
XKD_HOSTNAME='testhost'
XKD_TARGET_DEVICE='UUID=1111' XKD_TARGET_FSTYPE='ext4' XKD_TARGET_SUBDIR='/var/crash'
XKD_LOCAL_DEVICE='UUID=2222' XKD_LOCAL_FSTYPE='ext4' XKD_LOCAL_SUBDIR='/local'
EOF
}

run() {
    PATH="$T/bin:$PATH" XKD_ETC="$T/etc" XKD_VMCORE="$T/vmcore" XKD_RUN="$T/run" \
        XKD_ACTION_LOG="$T/actions" XKD_TEST_ROOT="$T/root" FAKE_LOG="$T/log" \
        XKD_COLLECTOR="${COLLECTOR:-/nonexistent}" sh "$CAPTURE" "$@" > "$T/out" 2>&1
}

mode() { stat -c %a "$1"; }

# 1. local path target, makedumpfile engine, final action.
setup "final_action poweroff"
run
d=$(ls -d "$T"/root/var/crash/testhost-* 2> /dev/null | head -n 1)
check "path: dump saved under its final name" '[ -n "$d" ] && [ -s "$d/vmcore" ] && [ -s "$d/dmesg.txt" ]'
check "path: no incomplete directory left" '! ls -d "$T"/root/var/crash/.*incomplete > /dev/null 2>&1'
check "path: directory 0700, files 0600" '[ "$(mode "$d")" = 700 ] && [ "$(mode "$d/vmcore")" = 600 ]'
check "path: mask 33 is -X -d 1, lzo is -l" 'grep -q "makedumpfile -l -X -d 1 $T/vmcore" "$T/log"'
check "path: final_action taken" '[ "$(cat "$T/actions")" = poweroff ]'

# 2. retention: keep 2 leaves the two newest complete dumps.
setup "keep 2
compression zlib"
mkdir -p "$T/root/var/crash/testhost-20200101-000000" "$T/root/var/crash/testhost-20210101-000000" \
    "$T/root/var/crash/testhost-20220101-000000"
run
check "keep: two newest remain" '[ "$(ls "$T/root/var/crash" | wc -l)" = 2 ] && [ -d "$T/root/var/crash/testhost-20220101-000000" ]'
check "keep: zlib is -c" 'grep -q "makedumpfile -c -X" "$T/log"'

setup "dump_level 31
compression none"
run
check "mask 31 without 32 keeps domU pages: no -X; none: no flag" 'grep -q "makedumpfile -d 31 $T/vmcore" "$T/log"'

# 3. reserve larger than the free space: nothing saved, failure_action.
setup "reserve 1048576
failure_action poweroff"
run
check "reserve: refuses to fill the disk" '! ls "$T"/root/var/crash/testhost-* > /dev/null 2>&1 && grep -q "reserve is 1048576" "$T/out"'
check "reserve: failure_action taken" '[ "$(cat "$T/actions")" = poweroff ]'

# 4. makedumpfile fails: the partial dump keeps its incomplete name.
setup "failure_action shell"
FAKE_MDF_FAIL=1 run
check "engine failure: incomplete name kept, failure_action" 'ls -d "$T"/root/var/crash/.*incomplete > /dev/null && [ "$(cat "$T/actions")" = shell ]'

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
check "ssh unreachable: bounded (${took}s for timeout 3)" '[ "$took" -le 8 ] && grep -q "unreachable for 3s" "$T/out"'
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

# 9b. engine native over ssh: the collector streams, the server renames when complete.
setup "$SSH
engine native"
COLLECTOR=$T/bin/collector run
r=$(ls -d "$T"/remote/testhost-* 2> /dev/null | head -n 1)
check "native ssh: collector streams (--output - --quiet), complete on the server" 'grep -q "collector .* --output - .*--quiet" "$T/log" && [ -n "$r" ] && grep -q native-data "$r/vmcore.flat"'

# 10. --failure (the unit's OnFailure) only takes the failure action.
setup "failure_action poweroff"
run --failure
check "--failure: only the action" '[ "$(cat "$T/actions")" = poweroff ] && ! grep -q makedumpfile "$T/log" 2> /dev/null'

echo "capture: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
