# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for xen-kdump: verbs, each verb's options and saved dump ids.
# Verbs and options are read from the installed program itself ('xen-kdump help',
# 'xen-kdump VERB --help'), so they never go stale; dump ids come from
# 'xen-kdump list --json' (root only: dumps are 0700).

_xen_kdump_verbs() {
	"$1" help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'
}

_xen_kdump_options() {
	"$1" "$2" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# The indexes, names and "latest" of the dumps in DIR (the configured directory if empty).
_xen_kdump_dumps() {
	local out
	if [[ -n $2 ]]; then
		out=$("$1" list --json --dir "$2" 2>/dev/null) || return
	else
		out=$("$1" list --json 2>/dev/null) || return
	fi
	[[ $out == *'"name"'* ]] || return
	echo latest
	sed -n 's/.*"index": \([0-9]*\), "name": "\([^"\\]*\)".*/\1 \2/p' <<< "$out" | tr ' ' '\n'
}

_xen_kdump() {
	local cur prev prog verb i dir=
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	prog=${COMP_WORDS[0]}
	command -v "$prog" > /dev/null 2>&1 || prog=xen-kdump

	# The verb: the first word that is not a global option (or --config's argument).
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--config) ((i++)) ;;
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == --dir ]] && dir=${COMP_WORDS[i+1]}
	done

	case $prev in
	--config|--kernel|--initrd|--output|--vmlinux|--grub)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--dir|--root|--kmoddir)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--kver)
		COMPREPLY=($(compgen -W "$(ls /lib/modules 2>/dev/null)" -- "$cur")); return ;;
	--append|--size|--host-ram|--current)
		return ;;
	esac

	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-v --verbose --config --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_xen_kdump_verbs "$prog")" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_xen_kdump_options "$prog" "$verb") --help" -- "$cur"))
		return
	fi
	case $verb in
	info|debug)
		COMPREPLY=($(compgen -W "$(_xen_kdump_dumps "$prog" "$dir")" -- "$cur")) ;;
	esac
}
complete -F _xen_kdump xen-kdump
