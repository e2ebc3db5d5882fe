#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages format without a single warning, and xen-kdump.conf(5)
# documents every key the parser knows.
set -u
. "$(dirname "$0")/lib.sh"
for page in "$top"/docs/*.[58]; do
	name=$(basename "$page")
	out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
	check "groff -ww: $name" '[ -z "$out" ]'
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 > /dev/null)
	check "man -l --warnings: $name" '[ -z "$out" ]'
done
for p in xen-kdump.8 xen-kdump.conf.5 xen-kdump-collect.8; do
	check "page exists: $p" '[ -s "$top/docs/$p" ]'
done
empty=$(mktemp)
keys=$("$XKD" show --json --config "$empty" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["settings"]))')
missing=
for k in $keys; do
	grep -q "^\.B[IR]* $k\( \|$\)" "$top/docs/xen-kdump.conf.5" || missing="$missing $k"
done
check "xen-kdump.conf(5) documents every key (missing:${missing:- none})" '[ -z "$missing" ] && [ -n "$keys" ]'
rm -f "$empty"
missing=
for v in load unload status show rebuild setup test propagate announce; do
	grep -q "^\.B $v" "$top/docs/xen-kdump.8" || missing="$missing $v"
done
check "xen-kdump(8) documents the verbs (missing:${missing:- none})" '[ -z "$missing" ]'
finish man
