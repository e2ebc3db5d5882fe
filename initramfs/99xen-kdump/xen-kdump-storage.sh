# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by module-setup.sh: what lies under the dump's filesystem, read from
# the running host when the image is built (lsblk: the device stack; blkid:
# filesystem types and UUIDs where lsblk has no udev database to ask), so
# that the capture image assembles it the same way:
#   partition or whole disk   nothing to do (the driver chain: get_dev_module)
#   LVM logical volume        "lvm VG/LV"       → rd.lvm.lv=VG/LV, dracut's lvm module
#   md RAID (any level)       "md UUID LEVEL"   → rd.md.uuid=UUID, dracut's mdraid module
# and LVM on md, md on partitions, both together.  What the capture kernel
# cannot open by itself is refused with the reason, when the image is built:
# encrypted (it has no key), multipath, any other device-mapper target; a
# loop device is a warning (found by UUID only if it is a disk there).
#
# XKD_BLOCK_FIXTURES=DIR reads lsblk.txt (the output of 'lsblk -P -p -o
# NAME,KNAME,PKNAME,TYPE,FSTYPE,UUID') and, when present, findmnt.txt ('findmnt
# -rn -o SOURCE,FSTYPE,TARGET') instead of this machine's: the tests' seam,
# and the VM tests' (the image is built in a chroot that cannot see the VM's
# disks, from what the VM's dom0 shows).

XKD_LSBLK_COLUMNS=NAME,KNAME,PKNAME,TYPE,FSTYPE,UUID

# lsblk -P lines as "NAME KNAME PKNAME TYPE FSTYPE UUID", '-' for an empty field.
xkd_blk_rows() {
    awk '{
        n = split("NAME KNAME PKNAME TYPE FSTYPE UUID", keys, " ")
        line = ""
        for (i = 1; i <= n; i++) {
            v = "-"
            if (match($0, "(^| )" keys[i] "=\"[^\"]*\"")) {
                v = substr($0, RSTART, RLENGTH)
                sub(/^ /, "", v)
                v = substr(v, length(keys[i]) + 3, length(v) - length(keys[i]) - 3)
                if (v == "" || v ~ /[ \t]/) v = "-"
            }
            line = line (i > 1 ? " " : "") v
        }
        print line
    }'
}

# Every block device of the host, one row each ("NAME KNAME PKNAME TYPE FSTYPE
# UUID"; a device with several parents, an md array or a VG on several PVs,
# has one row per parent).  Without udev (a chroot, a container) lsblk knows
# no filesystem types or UUIDs: blkid fills them in.
xkd_blk_table() {
    if [[ ${XKD_BLOCK_FIXTURES:-} ]]; then
        xkd_blk_rows < "$XKD_BLOCK_FIXTURES/lsblk.txt"
        return
    fi
    local name kname pkname type fstype uuid
    lsblk -P -p -o "$XKD_LSBLK_COLUMNS" 2> /dev/null | xkd_blk_rows |
        while read -r name kname pkname type fstype uuid; do
            if [[ $uuid == - ]]; then
                fstype=$(blkid -o value -s TYPE "$kname" 2> /dev/null)
                uuid=$(blkid -o value -s UUID "$kname" 2> /dev/null)
            fi
            echo "$name $kname $pkname $type ${fstype:--} ${uuid:--}"
        done
}

# The mounted filesystem holding DIR: "SOURCE FSTYPE MOUNTPOINT" (findmnt -T,
# or the longest mount point above DIR in the fixture).
xkd_fixture_fs_of() {
    awk -v d="$1" '
        { t = $3; if (t == "/" || d == t || index(d, t "/") == 1) if (length(t) > best) { best = length(t); l = $1 " " $2 " " $3 } }
        END { if (l != "") print l }' "$XKD_BLOCK_FIXTURES/findmnt.txt"
}

# The rows of DEV (a /dev path, as findmnt or lsblk names it) and of every
# device under it, top down, each device once.
xkd_blk_chain() {
    local dev=${1%%\[*}
    awk -v dev="$dev" '
        { name[NR] = $1; kname[NR] = $2; pk[NR] = $3; row[NR] = $0 }
        END {
            q[1] = dev; n = 1; seen[dev] = 1
            for (i = 1; i <= n; i++)
                for (r = 1; r <= NR; r++) {
                    if (name[r] != q[i] && kname[r] != q[i]) continue
                    if (!(kname[r] in printed)) { printed[kname[r]] = 1; print row[r] }
                    if (pk[r] != "-" && !(pk[r] in seen)) { seen[pk[r]] = 1; q[++n] = pk[r] }
                }
        }' <<< "$2"
}

# LVM's device-mapper name "VG-LV[-layer]" (a '-' inside a name doubled) → "VG/LV".
xkd_lvm_name() {
    awk -v s="${1##*/}" 'BEGIN {
        part = 0
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == "-" && substr(s, i + 1, 1) == "-") { p[part] = p[part] "-"; i++ }
            else if (c == "-") { if (++part > 1) break }
            else p[part] = p[part] c
        }
        if (part >= 1 && p[0] != "" && p[1] != "") print p[0] "/" p[1]
    }'
}

# What DEV needs assembled in the capture image, one line each ("lvm VG/LV",
# "md UUID LEVEL"); nothing for a plain disk or partition, or a device lsblk
# does not know.  Refuses (derror, 1) what the capture kernel cannot open.
xkd_storage_of() {
    local dev=$1 table chain name kname pkname type fstype uuid lv p mu
    table=$(xkd_blk_table)
    chain=$(xkd_blk_chain "$dev" "$table")
    while read -r name kname pkname type fstype uuid; do
        [[ $name ]] || continue
        case $type in
            disk | part | rom) ;;
            lvm)
                lv=$(xkd_lvm_name "$name")
                [[ $lv ]] || {
                    derror "xen-kdump: $name (under $dev) is an LVM volume whose name cannot be read"
                    return 1
                }
                # A thin pool's or a RAID LV's hidden parts come up with the LV.
                [[ $lv =~ _(tdata|tmeta|cdata|cmeta|corig|wcorig|vdata|mlog|pmspare|[rm]image_[0-9]+|rmeta_[0-9]+)$ ]] ||
                    echo "lvm $lv"
                ;;
            raid* | linear)
                # The array's UUID is on its members (blkid: linux_raid_member).
                mu=
                for p in $(awk -v k="$kname" '$2 == k && $3 != "-" { print $3 }' <<< "$table"); do
                    mu=$(awk -v k="$p" '$2 == k && $5 == "linux_raid_member" && $6 != "-" { print $6; exit }' <<< "$table")
                    [[ $mu ]] && break
                done
                [[ $mu ]] || {
                    derror "xen-kdump: $name (under $dev) is md RAID, but no member shows the array's UUID (blkid)"
                    return 1
                }
                echo "md $mu $type"
                ;;
            crypt)
                derror "xen-kdump: $dev is on the encrypted device $name: the capture kernel has no key to open it; save to an unencrypted filesystem, or over ssh or nfs"
                return 1
                ;;
            mpath)
                derror "xen-kdump: $dev is on the multipath device $name, which the capture image does not assemble; save to a plain disk, LVM or md RAID, or over ssh or nfs"
                return 1
                ;;
            loop)
                # A disk image being prepared for another machine (the tests
                # do that) is fine; a file on dom0's own disks is not found.
                dwarn "xen-kdump: $dev is the loop device $name: the capture kernel sets up no loop devices, it finds the filesystem by UUID only where that is on a disk"
                ;;
            *)
                derror "xen-kdump: $dev is on $name of type '$type', which the capture image does not assemble (it does partitions, LVM and md RAID); save elsewhere, or over ssh or nfs"
                return 1
                ;;
        esac
    done <<< "$chain"
    return 0
}

# "NAME FSTYPE" of the filesystem with UUID (a member of an md array or an
# LVM physical volume shares no UUID with a filesystem: they are skipped).
xkd_blk_by_uuid() {
    xkd_blk_table | awk -v u="$1" '$6 == u && $5 != "linux_raid_member" && $5 != "LVM2_member" { print $1, $5; exit }'
}

# The kernel modules a storage plan needs (dracut's lvm and mdraid modules
# bring their own tools; host-only instmods would skip modules the build host
# has not loaded, and a chroot's host has none of the target's).
xkd_storage_kmods() {
    local kind arg level
    while read -r kind arg level; do
        case $kind in
            lvm) echo dm_mod ;;
            md)
                echo md_mod
                case $level in
                    raid4 | raid5 | raid6) echo raid456 ;;
                    raid0 | raid1 | raid10 | linear) echo "$level" ;;
                esac
                ;;
        esac
    done | sort -u
}

# The capture kernel's command line for a storage plan: dracut assembles only
# what it is told to (no rd.auto), so exactly the volumes and arrays under the dump.
xkd_storage_cmdline() {
    local kind arg level
    while read -r kind arg level; do
        case $kind in
            lvm) echo "rd.lvm.lv=$arg" ;;
            md) echo "rd.md.uuid=$arg" ;;
        esac
    done | sort -u
}

# The mounted filesystem holding DIR (or its nearest existing parent): "SOURCE FSTYPE MOUNTPOINT".
xkd_fs_of() {
    local d=$1
    while [[ ! -e $d ]]; do d=${d%/*}; d=${d:-/}; done
    findmnt -n -e -o SOURCE,FSTYPE,TARGET -T "$d" | head -n 1
}

# "UUID=... FSTYPE SUBDIR SOURCE" for a local directory, or fail with a
# reason.  With FS (target_fs UUID=...), DIR is inside that filesystem,
# mounted or not.
xkd_local_spec() {
    local dir=$1 fs=${2:-} src fstype mnt uuid
    if [[ $fs ]]; then
        uuid=${fs#UUID=}
        read -r src fstype < <(xkd_blk_by_uuid "$uuid")
        [[ $src ]] || {
            derror "xen-kdump: target_fs $fs: no filesystem with that UUID on this host (lsblk -f lists them)"
            return 1
        }
        mnt=/
    elif [[ ${XKD_BLOCK_FIXTURES:-} && -e $XKD_BLOCK_FIXTURES/findmnt.txt ]]; then
        read -r src fstype mnt < <(xkd_fixture_fs_of "$dir")
    else
        read -r src fstype mnt < <(xkd_fs_of "$dir")
    fi
    case $fstype in
        ext2 | ext3 | ext4 | xfs | btrfs | vfat) ;;
        *)
            derror "xen-kdump: $dir is on '$fstype' ($src), which the capture kernel cannot mount; use a disk filesystem"
            return 1
            ;;
    esac
    [[ $fs ]] || uuid=$(xkd_uuid_of "$src")
    [[ $uuid ]] || {
        derror "xen-kdump: no filesystem UUID for $src (holding $dir)"
        return 1
    }
    # The directory as seen from the filesystem's root: /var/crash on a / mount
    # stays /var/crash; on a /var mount it is /crash.
    local sub=$dir
    [[ $mnt != / ]] && sub=${dir#"$mnt"}
    echo "UUID=$uuid $fstype ${sub:-/} $src"
}

# The UUID of the filesystem on SRC (blkid; the fixture's lsblk for the tests).
xkd_uuid_of() {
    if [[ ${XKD_BLOCK_FIXTURES:-} ]]; then
        xkd_blk_table | awk -v d="${1%%\[*}" '($1 == d || $2 == d) && $6 != "-" { print $6; exit }'
    else
        blkid -s UUID -o value "$1" 2> /dev/null
    fi
}

# The local directories the image saves to: "DIR FS" (FS: target_fs, or empty).
xkd_local_dirs() {
    [[ $XKD_TARGET_KIND == path ]] && echo "$XKD_TARGET_DIR ${XKD_TARGET_FS:-}"
    [[ ${XKD_LOCAL_PATH:-} ]] && echo "$XKD_LOCAL_PATH"
    return 0
}

# Runs "$@" DIR UUID=... FSTYPE SUBDIR SOURCE for each local directory
# (xkd_local_dirs, xkd_local_spec); fails at the first that fails.
xkd_for_each_local() {
    local dir fs spec
    while read -r dir fs; do
        [[ $dir ]] || continue
        spec=$(xkd_local_spec "$dir" "$fs") || return 1
        # shellcheck disable=SC2086
        "$@" "$dir" $spec || return 1
    done < <(xkd_local_dirs)
}

# The storage plan of every local directory (xkd_storage_of), each line once.
xkd_storage() {
    xkd_for_each_local xkd_storage_of_local | awk '!seen[$0]++'
    return "${PIPESTATUS[0]}"
}
xkd_storage_of_local() { xkd_storage_of "$5"; }
