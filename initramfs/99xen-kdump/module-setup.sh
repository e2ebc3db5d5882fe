#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dracut module: the capture side of xen-kdump.  Installs the capture script
# and its unit, the validated config, and only what the configured target
# needs: the local filesystem's driver, or ssh + key + pinned host key, or NFS.
#
# The config arrives already validated as sh assignments: 'xen-kdump rebuild'
# passes $XEN_KDUMP_ENV_FILE; a plain 'dracut --add xen-kdump' asks
# 'xen-kdump show --shell' for the kernel being built.

xkd_env_loaded=

# The storage under the dump's filesystem (lsblk, blkid): xkd_storage_of & co.
# shellcheck source=xen-kdump-storage.sh
. "${moddir:-$(dirname "${BASH_SOURCE[0]}")}/xen-kdump-storage.sh"

xkd_load_env() {
    [[ $xkd_env_loaded ]] && return 0
    local env=${XEN_KDUMP_ENV_FILE:-}
    if [[ -z $env ]]; then
        env="$DRACUT_TMPDIR/xen-kdump.env"
        xen-kdump show --shell --kver "$kernel" > "$env" || {
            derror "xen-kdump: the config is not valid; see 'xen-kdump show'"
            return 1
        }
    fi
    # shellcheck disable=SC1090
    . "$env" || return 1
    xkd_env_file=$env
    xkd_env_loaded=1
}

# The small flavour: our own /init on dash instead of systemd, udev and bash
# (udev alone costs 7 MiB of crash region: udevadm, libkmod, libcrypto), no
# makedumpfile unless it is the engine.  For the minimal kernel (every driver
# built in: 'xen-kdump rebuild' runs dracut --no-kernel and passes
# XKD_NO_KERNEL_MODULES=1) a fifth of the systemd image, so that it captures
# in a 64 MiB crash region; devtmpfs makes the device nodes and blkid finds
# the disk by UUID.  For a distribution kernel ('xen-kdump rebuild' passes
# XKD_SMALL_IMAGE=1 when the target allows) the same plus modprobe: /init
# loads the drivers installkernel names, and those of the devices present
# (their modalias: the part of udev a capture needs) only when none is named
# or the dump's disk has not appeared a second later.  Network
# targets keep the systemd flavour (systemd-networkd's DHCP and bounded wait),
# and so does a dump on LVM or md RAID (dracut's lvm and mdraid modules
# assemble it, with udev; the small /init has neither): 'xen-kdump rebuild'
# shows why ($1 = warn).
xkd_small() {
    [[ (${XKD_NO_KERNEL_MODULES:-} == 1 || ${XKD_SMALL_IMAGE:-} == 1) && $XKD_TARGET_KIND == path ]] || return 1
    local st
    st=$(xkd_storage) || return 1
    [[ -z $st ]] && return 0
    [[ ${1:-} == warn ]] &&
        dwarn "xen-kdump: the dump's filesystem is on $(tr '\n' ' ' <<< "$st" | sed 's/ $//'): the small image (no udev, no lvm or mdadm) cannot assemble it; building the systemd image instead (larger: check the crash region with 'xen-kdump estimate')"
    return 1
}

# The kernel modules of the local dump directories: each filesystem's driver
# and the block driver chain of its device (host-only: just this machine's).
xkd_local_kmods() {
    xkd_for_each_local xkd_local_kmods_of
}
xkd_local_kmods_of() {
    echo "$3"
    get_dev_module "$5" 2> /dev/null | tr ' ' '\n'
    return 0
}

# The options of collector $1, from its --help, for build.env: the capture
# script asks which it has (collector_knows: --time-limit, --evidence,
# --prune); asked here, the collector is not run an extra time at crash time.
xkd_collector_opts() {
    "$1" --help 2> /dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' '
}

# The collector: next to the xen-kdump that runs the build, or on PATH.
xkd_collector() {
    local c
    for c in "${XKD_BINDIR:+$XKD_BINDIR/xen-kdump-collect}" /usr/sbin/xen-kdump-collect \
        /usr/local/sbin/xen-kdump-collect "$(command -v xen-kdump-collect 2> /dev/null)"; do
        [[ -n $c && -x $c ]] && echo "$c" && return 0
    done
    return 1
}

check() {
    xkd_load_env || return 1
    require_binaries findmnt blkid || return 1
    if [[ $XKD_ENGINE == makedumpfile ]]; then
        require_binaries makedumpfile || return 1
    fi
    if [[ $XKD_ENGINE == native ]] && ! xkd_collector > /dev/null; then
        derror "xen-kdump: engine native needs xen-kdump-collect; install it or set 'engine makedumpfile'"
        return 1
    fi
    if [[ $XKD_TARGET_KIND == ssh ]]; then
        require_binaries ssh || return 1
        [[ -r $XKD_SSH_KEY ]] || {
            derror "xen-kdump: ssh_key $XKD_SSH_KEY is missing; create it with ssh-keygen -t ed25519 -N '' -f $XKD_SSH_KEY"
            return 1
        }
    fi
    local st
    st=$(xkd_storage) || return 1
    if grep -q '^lvm ' <<< "$st" && ! require_binaries lvm; then
        derror "xen-kdump: the dump's filesystem is on LVM: the capture image needs lvm; apt-get install lvm2"
        return 1
    fi
    if grep -q '^md ' <<< "$st" && ! require_binaries mdadm; then
        derror "xen-kdump: the dump's filesystem is on md RAID: the capture image needs mdadm; apt-get install mdadm"
        return 1
    fi
    if [[ $XKD_TARGET_KIND != path ]] && ! require_binaries jq ip; then
        derror "xen-kdump: a network target needs jq to read dom0's network; apt-get install jq"
        return 1
    fi
    if [[ $XKD_TARGET_KIND == nfs ]] && ! require_binaries mount.nfs rpc.statd; then
        derror "xen-kdump: an nfs target needs the NFS client; apt-get install nfs-common"
        return 1
    fi
    # Only when asked for: this image is for capturing, not for booting.
    return 255
}

depends() {
    xkd_load_env || return 1
    if xkd_small warn; then
        echo "dash"
        return 0
    fi
    local deps="systemd bash fs-lib" st
    # dracut's own assembly of what lies under the dump (its udev rules, lvm, mdadm).
    st=$(xkd_storage) || return 1
    grep -q '^lvm ' <<< "$st" && deps+=" lvm"
    grep -q '^md ' <<< "$st" && deps+=" mdraid"
    # systemd-networkd when there is one: DHCP from our .network file, and
    # network-online.target that means it; dracut's generic network otherwise.
    local net=network
    [[ -x $systemdutildir/systemd-networkd ]] && net=systemd-networkd
    case $XKD_TARGET_KIND in
        ssh) deps+=" $net" ;;
        nfs) deps+=" $net network nfs" ;;
    esac
    echo "$deps"
}

# The drivers the host's dracut config adds (add_drivers, force_drivers,
# drivers), which the small image's build does not read: the rest of that
# config is for booting the host, but a driver named there is one host-only
# detection missed, and the capture needs it as much.  XKD_HOST_DRACUT_CONF:
# another dracut.conf (and .d) than /etc's (the tests).
xkd_host_conf_drivers() {
    (
        add_drivers='' force_drivers='' drivers=''
        local conf=${XKD_HOST_DRACUT_CONF:-${dracutsysrootdir:-}/etc/dracut.conf} f
        for f in "$conf" "$conf".d/*.conf; do
            # shellcheck disable=SC1090
            [[ -f $f ]] && . "$f" > /dev/null 2>&1
        done
        echo $add_drivers $force_drivers $drivers
    ) | tr ' ' '\n'
}

# The modules /init of the small image for a modular kernel loads by name:
# the target's, the host config's and the config's extra_modules.
xkd_small_kmods() {
    { xkd_local_kmods && xkd_host_conf_drivers && tr ' ' '\n' <<< "${XKD_EXTRA_MODULES:-}"; } |
        awk 'NF && !seen[$0]++'
}

installkernel() {
    xkd_load_env || return 1
    local kmods st
    if xkd_small; then
        kmods=$(xkd_small_kmods) || return 1
    else
        kmods=$(xkd_local_kmods) || return 1
    fi
    [[ $kmods ]] && hostonly='' instmods $kmods
    st=$(xkd_storage) || return 1
    kmods=$(xkd_storage_kmods <<< "$st")
    [[ $kmods ]] && hostonly='' instmods $kmods
    [[ $XKD_TARGET_KIND == path ]] && return 0
    local plan
    plan=$(xkd_net_plan) || return 1
    # What the plan builds, whether or not the build host has it loaded (host-only
    # instmods installs only loaded modules; a chroot or a container sees none).
    local netmods=() nic m
    grep -qx 'Kind=bridge' <<< "$plan" && netmods+=(bridge stp llc)
    grep -qx 'Kind=bond' <<< "$plan" && netmods+=(bonding)
    grep -qx 'Kind=vlan' <<< "$plan" && netmods+=(8021q)
    ((${#netmods[@]})) && hostonly='' instmods "${netmods[@]}"
    # The drivers of the physical ports on the way to the target.
    for nic in $(awk '/^file 10-xen-kdump-.*\.network$/ { f = $2 } /^PermanentMACAddress=/ && f { sub(/^10-xen-kdump-/, "", f); sub(/\.network$/, "", f); print f; f = "" }' <<< "$plan"); do
        [[ -e /sys/class/net/$nic ]] || continue
        for m in $(get_dev_module "/sys/class/net/$nic" 2> /dev/null); do
            hostonly='' instmods "$m"
        done
    done
    return 0
}

# The network plan (xen-kdump-netplan.sh): the one 'xen-kdump rebuild' worked out, or now.
xkd_net_plan() {
    if [[ ${XEN_KDUMP_NETPLAN:-} ]]; then
        cat "$XEN_KDUMP_NETPLAN"
    else
        "$moddir/xen-kdump-netplan.sh" "$XKD_TARGET_HOST" || {
            derror "xen-kdump: cannot work out the network to $XKD_TARGET_HOST (see above)"
            return 1
        }
    fi
}

# NAME=VALUE for build.env, which the capture sources as root (dash too): the
# value in single quotes, each ' as '\'', so any byte (quote, newline, $) is
# data, never code.
xkd_sh_assign() {
    local v=$2
    printf "%s='%s'\n" "$1" "${v//\'/\'\\\'\'}"
}

xkd_install_local() {
    local name=$1 dir=$2 spec
    spec=$(xkd_local_spec "$dir" "${3:-}") || return 1
    set -- $spec
    {
        xkd_sh_assign "XKD_${name}_DEVICE" "$1"
        xkd_sh_assign "XKD_${name}_FSTYPE" "$2"
        xkd_sh_assign "XKD_${name}_SUBDIR" "$3"
    } >> "$initdir/etc/xen-kdump/build.env"
}

# The capture unit's own limit, a backstop behind the capture script's bound
# (capture_timeout; auto is at most 24 h): that, plus the post_hook's timeout
# and each post.d hook's, plus 10 minutes for the grace, the kills and the action.
xkd_unit_timeout() {
    local t=${XKD_CAPTURE_TIMEOUT:-auto} f hooks=1
    [[ $t =~ ^[0-9]+$ ]] || t=86400
    for f in "${XKD_HOOKS_DIR:-/etc/xen-kdump}"/post.d/*; do
        [[ -f $f && -x $f ]] && hooks=$((hooks + 1))
    done
    echo $((t + hooks * ${XKD_TIMEOUT:-120} + 600))
}

# known_hosts wants "host" for port 22 and "[host]:port" otherwise; IPv6 without brackets.
xkd_known_hosts_line() {
    local h=${XKD_TARGET_HOST#[}
    h=${h%]}
    if [[ $XKD_SSH_PORT == 22 ]]; then
        echo "$h $XKD_SSH_KNOWN_HOST"
    else
        echo "[$h]:$XKD_SSH_PORT $XKD_SSH_KNOWN_HOST"
    fi
}

# The host's hook directories (XKD_HOOKS_DIR: the tests' seam): every
# executable regular file of /etc/xen-kdump/pre.d and post.d goes to the same
# place in the image, with what it needs (dracut-install resolves a script's
# interpreter and a binary's libraries).  Anything else there is skipped, and
# said so: a README or a disabled (chmod -x) hook is no error.
xkd_install_hook_dirs() {
    local base=${XKD_HOOKS_DIR:-/etc/xen-kdump} phase f
    for phase in pre post; do
        [[ -d $base/$phase.d ]] || continue
        inst_dir "/etc/xen-kdump/$phase.d"
        chmod 0700 "$initdir/etc/xen-kdump/$phase.d"
        for f in "$base/$phase.d"/*; do
            [[ -e $f ]] || continue
            if [[ ! -f $f || ! -x $f ]]; then
                dinfo "xen-kdump: $f is not an executable file: not installed as a $phase hook"
                continue
            fi
            inst_script "$f" "/etc/xen-kdump/$phase.d/${f##*/}" || {
                derror "xen-kdump: $phase hook $f cannot be installed"
                return 1
            }
        done
    done
    return 0
}

# The target's pinned host key: ssh_known_host when set, else the lines of
# ssh_known_hosts ('xen-kdump propagate' writes it) that name the target.
xkd_install_known_hosts() {
    local out="$initdir/etc/xen-kdump/known_hosts" name h=${XKD_TARGET_HOST#[}
    h=${h%]}
    if [[ ${XKD_SSH_KNOWN_HOST:-} ]]; then
        xkd_known_hosts_line > "$out"
        return 0
    fi
    name=$h
    [[ $XKD_SSH_PORT == 22 ]] || name="[$h]:$XKD_SSH_PORT"
    if ! awk -v n="$name" '$1 == n' "${XKD_SSH_KNOWN_HOSTS:-}" > "$out" 2> /dev/null || [[ ! -s $out ]]; then
        derror "xen-kdump: no host key for $name in ${XKD_SSH_KNOWN_HOSTS:-ssh_known_hosts}: run 'xen-kdump propagate'"
        return 1
    fi
    chmod 0644 "$out"
}

# The network the way dom0 has it on the way to the target
# (xen-kdump-netplan.sh: static addresses and routes, bridges, bonds, VLANs;
# DHCP where dom0 uses it), as systemd-networkd files.  'xen-kdump rebuild'
# works the plan out first ($XEN_KDUMP_NETPLAN) and keeps it beside the image,
# to rebuild when the network changes; a plain dracut run works it out here.
xkd_install_network() {
    local plan online net=$initdir/etc/systemd/network
    plan=$(xkd_net_plan) || return 1
    online=$(awk '$1 == "online" { print $2; exit }' <<< "$plan")
    mkdir -p "$initdir/etc/cmdline.d"
    if grep -q '^fallback' <<< "$plan"; then
        echo "rd.neednet=1 ip=dhcp" > "$initdir/etc/cmdline.d/99xen-kdump.conf"
    elif [[ ! -x $systemdutildir/systemd-networkd ]]; then
        # dracut's generic network: DHCP only.
        dwarn "xen-kdump: no systemd-networkd here: the capture image uses DHCP, not dom0's network setup"
        echo "rd.neednet=1 ip=dhcp" > "$initdir/etc/cmdline.d/99xen-kdump.conf"
    else
        echo "rd.neednet=1" > "$initdir/etc/cmdline.d/99xen-kdump.conf"
    fi
    # Only our files: the host's own (dracut copies them host-only) name its
    # interfaces, guest ports and all, and would compete with ours.
    rm -rf "$net"
    mkdir -p "$net"
    awk -v dir="$net" '
        /^file / { f = dir "/" $2; next }
        f { print > f }' <<< "$plan"
    awk '$1 == "hosts" { print $2, $3 }' <<< "$plan" >> "$initdir/etc/hosts"
    # bonding makes a bond0 of its own when it loads (max_bonds=1, mode
    # balance-rr); networkd then finds bond0 there and keeps that mode instead
    # of dom0's.  systemd's modprobe.d file says max_bonds=0, but a build host
    # may not have it: say it here too.
    if grep -qx 'Kind=bond' <<< "$plan"; then
        mkdir -p "$initdir/etc/modprobe.d"
        echo "options bonding max_bonds=0" > "$initdir/etc/modprobe.d/xen-kdump-bonding.conf"
    fi
    local dropin="$initdir$systemdsystemunitdir/xen-kdump-capture.service.d"
    mkdir -p "$dropin"
    printf '[Unit]\nWants=network-online.target\nAfter=network-online.target\n' > "$dropin/network.conf"
    # Online means: the way to the target is up and has its address; bounded by the config's timeout.
    local wait="--any"
    [[ $online && $online != any ]] && wait="--interface=$online:routable"
    dropin="$initdir$systemdsystemunitdir/systemd-networkd-wait-online.service.d"
    mkdir -p "$dropin"
    printf '[Service]\nExecStart=\nExecStart=%s/systemd-networkd-wait-online %s --timeout=%s\n' \
        "$systemdutildir" "$wait" "$XKD_TIMEOUT" > "$dropin/xen-kdump.conf"
}

# The LVM volumes and md arrays under the dump, on the capture's command line
# (/etc/cmdline.d): dracut assembles these, and only these.
xkd_install_storage() {
    local st cmd
    st=$(xkd_storage) || return 1
    cmd=$(xkd_storage_cmdline <<< "$st")
    [[ $cmd ]] || return 0
    mkdir -p "$initdir/etc/cmdline.d"
    tr '\n' ' ' <<< "$cmd" | sed 's/ $//' > "$initdir/etc/cmdline.d/90xen-kdump-storage.conf"
    echo >> "$initdir/etc/cmdline.d/90xen-kdump-storage.conf"
    dinfo "xen-kdump: the dump's storage: $(tr '\n' ' ' <<< "$st")"
}

install() {
    xkd_load_env || return 1
    local collector

    inst_dir /etc/xen-kdump
    chmod 0700 "$initdir/etc/xen-kdump"
    inst_simple "$xkd_env_file" /etc/xen-kdump/config.env
    : > "$initdir/etc/xen-kdump/build.env"
    xkd_sh_assign XKD_HOSTNAME "$(hostname -s 2> /dev/null || echo xen)" >> "$initdir/etc/xen-kdump/build.env"

    inst_script "$moddir/xen-kdump-capture.sh" /usr/lib/xen-kdump/capture
    chmod 0755 "$initdir/usr/lib/xen-kdump/capture"
    inst_simple "$moddir/xen-kdump-capture-lib.sh" /usr/lib/xen-kdump/capture-lib.sh
    inst_multiple mount umount mountpoint mkdir mv rm rmdir ls cat sync df awk date sleep timeout \
        sort tail od tr chmod sh blkid cut wc tee mkfifo grep
    if xkd_small; then
        inst_script "$moddir/xen-kdump-init.sh" /init
        local d
        for d in /proc /sys /dev /run /tmp; do
            inst_dir "$d"
        done
        if [[ ${XKD_NO_KERNEL_MODULES:-} != 1 ]]; then
            # What /init loads: the target's drivers by name (the devices' by
            # modalias only when none is named or the disk is late: capture-lib.sh).
            inst_multiple modprobe || {
                derror "xen-kdump: the small capture image needs modprobe; apt-get install kmod"
                return 1
            }
            xkd_small_kmods > "$initdir/etc/xen-kdump/modules" || return 1
        fi
    else
        inst_simple "$moddir/xen-kdump-capture.service" "$systemdsystemunitdir/xen-kdump-capture.service"
        inst_simple "$moddir/xen-kdump-failure.service" "$systemdsystemunitdir/xen-kdump-failure.service"
        mkdir -p "$initdir$systemdsystemunitdir/xen-kdump-capture.service.d"
        printf '[Service]\nTimeoutStartSec=%s\n' "$(xkd_unit_timeout)" \
            > "$initdir$systemdsystemunitdir/xen-kdump-capture.service.d/timeout.conf"
        mkdir -p "$initdir$systemdsystemunitdir/initrd.target.wants"
        ln_r "$systemdsystemunitdir/xen-kdump-capture.service" \
            "$systemdsystemunitdir/initrd.target.wants/xen-kdump-capture.service"
        inst_multiple systemctl
        inst_multiple -o reboot poweroff
    fi
    if collector=$(xkd_collector); then
        inst_binary "$collector" /usr/sbin/xen-kdump-collect
        xkd_sh_assign XKD_COLLECTOR_OPTS "$(xkd_collector_opts "$collector")" >> "$initdir/etc/xen-kdump/build.env"
    fi
    # makedumpfile also saves dom0's dmesg beside a native dump when it is
    # installed (not in the small flavour: its libraries cost 2 MiB of region).
    if [[ $XKD_ENGINE == makedumpfile ]]; then
        inst_multiple makedumpfile
    elif ! xkd_small; then
        inst_multiple -o makedumpfile
    fi

    [[ $XKD_TARGET_KIND == path ]] && { xkd_install_local TARGET "$XKD_TARGET_DIR" "${XKD_TARGET_FS:-}" || return 1; }
    xkd_install_storage || return 1
    [[ $XKD_LOCAL_PATH ]] && { xkd_install_local LOCAL "$XKD_LOCAL_PATH" || return 1; }

    if [[ $XKD_TARGET_KIND == ssh ]]; then
        inst_multiple ssh
        inst_simple "$XKD_SSH_KEY" /etc/xen-kdump/id
        chmod 0600 "$initdir/etc/xen-kdump/id"
        xkd_install_known_hosts || return 1
    fi
    if [[ $XKD_TARGET_KIND != path ]]; then
        xkd_install_network || return 1
    fi
    xkd_install_hook_dirs || return 1
    local hook
    for hook in "$XKD_PRE_HOOK" "$XKD_POST_HOOK"; do
        [[ $hook ]] || continue
        inst_script "$hook" || {
            derror "xen-kdump: hook $hook cannot be installed"
            return 1
        }
    done
    return 0
}
