#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion (completion/xen-kdump.bash) against the built xen-kdump:
# verbs, global and per-verb options, dump ids of the configured directory
# and of --dir, file arguments.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/xkd-compl.XXXXXX)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/dumps/dom0-20261205-030000" "$T/dumps/dom0-20261206-040000" "$T/other/h-20260101-000000"
printf 'target path %s/dumps\n' "$T" > "$T/conf"

# complete WORDS...: the completions bash offers for the last word, sorted, one line.
complete_words() {
	XEN_KDUMP_CONF=$T/conf PATH=$BUILD:$PATH bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_xen_kdump
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' sh "$top/completion/xen-kdump.bash" "$@"
}

out=$(complete_words xen-kdump "")
check "verbs: every verb of 'xen-kdump help' ($out)" \
	'for v in load unload status show rebuild estimate list info debug setup test version help; do
		case " $out" in *" $v "*) ;; *) exit 1 ;; esac; done'
check "verb prefix: se -> setup" '[ "$(complete_words xen-kdump se)" = "setup " ]'
check "global options" '[ "$(complete_words xen-kdump --c)" = "--config " ]'
check "after --config FILE, verbs again" '[ "$(complete_words xen-kdump --config /etc/x.conf unl)" = "unload " ]'
check "setup's options" '[ "$(complete_words xen-kdump setup --)" = "--dry-run --help --no-update-grub --root --size " ]'
check "test's options" '[ "$(complete_words xen-kdump test --)" = "--help --yes " ]'
check "status --j -> --json" '[ "$(complete_words xen-kdump status --j)" = "--json " ]'
out=$(complete_words xen-kdump info "")
check "info: dump ids of the configured directory ($out)" \
	'[ "$out" = "1 2 dom0-20261205-030000 dom0-20261206-040000 latest " ]'
check "debug: names by prefix" '[ "$(complete_words xen-kdump debug dom0-20261206)" = "dom0-20261206-040000 " ]'
out=$(complete_words xen-kdump info --dir "$T/other" "")
check "info --dir DIR: that directory's dumps ($out)" '[ "$out" = "1 h-20260101-000000 latest " ]'
check "no dump ids where there are none" '[ -z "$(complete_words xen-kdump info --dir "$T/nowhere" "")" ]'
check "--kernel completes files" '[ "$(complete_words xen-kdump load --kernel "$T/co")" = "$T/conf " ]'
check "installed by make install" 'grep -q "completion/xen-kdump.bash" "$top/completion/build.mk"'
finish completion
