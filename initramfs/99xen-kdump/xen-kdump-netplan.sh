#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The capture image's network, read from the running dom0: the interfaces on
# the way to the dump target (ip route get), and how dom0 has them: static
# IPv4/IPv6 addresses and default routes, DHCP/SLAAC only where dom0's own
# addresses are dynamic, bridges with their physical ports (guest ports such
# as Xen's vifs are left out), bonds with their slaves, VLANs.  The kernel's
# view (ip -j), so it is the same for ifupdown, systemd-networkd and
# NetworkManager.
#
# Usage: xen-kdump-netplan.sh TARGET-HOST
# Prints the plan: header lines ("target", "egress", "online", "hosts",
# "fallback"), then each systemd-networkd file as "file NAME" followed by its
# lines.  module-setup.sh writes the files into the image; 'xen-kdump rebuild'
# keeps the plan beside the image, and a plan that differs later (a network
# change) rebuilds it.  Anything the image cannot reproduce is a warning on
# stderr naming it, at build time, never a surprise at crash time.
# XKD_NET_FIXTURES=DIR reads link.json (ip -d -j link), addr.json (ip -j addr),
# route4.json, route6.json (ip -j [-6] route) and get.json (ip -j route get)
# from DIR instead of asking the kernel (the unit tests).
set -u
export LC_ALL=C

warn() { echo "xen-kdump: warning: $*" >&2; }

host=${1:?usage: xen-kdump-netplan.sh TARGET-HOST}
host=${host#[}
host=${host%]}

command -v jq > /dev/null || {
    echo "xen-kdump: a network target needs jq to read dom0's network at rebuild; apt-get install jq" >&2
    exit 1
}

ipj() {
    local name=$1
    shift
    if [[ ${XKD_NET_FIXTURES:-} ]]; then
        cat "$XKD_NET_FIXTURES/$name.json" 2> /dev/null || echo '[]'
    else
        ip "$@" 2> /dev/null || echo '[]'
    fi
}

# The target's address: a literal, or what the name resolves to now; the
# image then needs no DNS ("hosts" line: /etc/hosts in the image).
addr=$host hosts=
if [[ ! $host =~ ^[0-9.]+$ && $host != *:* ]]; then
    addr=$(getent ahosts "$host" 2> /dev/null | awk 'NR == 1 { print $1 }')
    if [[ -z $addr ]]; then
        warn "target host $host does not resolve now; the capture image tries DHCP on every Ethernet port and DNS from DHCP"
        addr=
    else
        hosts="hosts $addr $host"
    fi
fi

# The route to the target: ip -j route get; -6 for an IPv6 address.
fam=-4
[[ $addr == *:* ]] && fam=-6
get='[]'
[[ $addr ]] && get=$(ipj get -j "$fam" route get "$addr")

fallback() {
    warn "$1; the capture image tries DHCP on every Ethernet port"
    echo "target ${addr:-$host}"
    echo "fallback $1"
    echo "online any"
    [[ $hosts ]] && echo "$hosts"
    echo "file 90-xen-kdump.network"
    printf '%s\n' '[Match]' 'Type=ether' '' '[Network]' 'DHCP=yes'
    exit 0
}

egress=$(jq -r '.[0].dev // empty' <<< "$get" 2> /dev/null)
[[ $egress ]] || fallback "dom0 has no route to $host now"
[[ $egress == lo ]] && fallback "$host is dom0 itself"

links=$(ipj link -d -j link show)
addrs=$(ipj addr -j addr show)
r4=$(ipj route4 -j -4 route show table main)
r6=$(ipj route6 -j -6 route show table main)

# One jq program turns the kernel's view into the plan; "W text" lines are warnings.
plan=$(jq -n -r --arg egress "$egress" --arg addr "$addr" \
    --argjson links "$links" --argjson addrs "$addrs" --argjson r4 "$r4" \
    --argjson r6 "$r6" --argjson get "$get" '
def link($n): first($links[] | select(.ifname == $n)) // null;
# A device without a link kind is hardware: Ethernet, or what its link type
# says (an InfiniBand port is not an Ethernet one for systemd-networkd).
def kind: .linkinfo.info_kind // (if (.link_type // "ether") != "ether" then .link_type
    elif .parentbus then "ether" else "unknown" end);
# A bridge port that belongs to a guest (Xen netback vif, qemu tap, veth):
# not needed to reach the target.
def guest_port: .parentbus == "xen-backend" or (.linkinfo.info_kind // "" | IN("tun", "veth"))
    or (.ifname | test("^(vif|tap)[0-9]"));
def ports($n): [$links[] | select(.master == $n) | select(guest_port | not)];
def needed($n):
    link($n) as $l
    | if $l == null then [{ifname: $n, missing: true}]
      else [$l] + (
        ($l | kind) as $k
        | if $k == "vlan" then needed($l.link)
          elif $k == "bridge" or $k == "bond" then [ports($n)[] | needed(.ifname)[]]
          else [] end)
      end;
def mac: .linkinfo.info_slave_data.perm_hwaddr // .permaddr // .address;
def secs($cs): ($cs / 100 | floor | tostring);
def onoff: if . then "yes" else "no" end;
def addrs_of($n): [$addrs[] | select(.ifname == $n) | .addr_info[]?
    | select(.scope == "global")];
def defaults_of($n): [($r4[], $r6[]) | select(.dst == "default" and .dev == $n and .gateway)];

(needed($egress) | unique_by(.ifname)) as $need
| ($need | map(.ifname)) as $names
| "target \($addr)", "egress \($egress)", "online \($egress)",
  ($need[] | select(.missing) | "W interface \(.ifname) on the way to the target is not in ip link"),
  ($need[] | select(.missing | not) | . as $l | ($l | kind) as $k
   | ($l.ifname) as $n
   | ([$links[] | select(.linkinfo.info_kind == "vlan" and .link == $n and (.ifname | IN($names[]))) | .ifname]) as $vlans
   | (link($l.master // "") // {} | kind) as $mk
   | addrs_of($n) as $a
   | ([$a[] | select(.family == "inet" and (.dynamic | not))]) as $s4
   | ([$a[] | select(.family == "inet6" and (.dynamic | not))]) as $s6
   | ([$a[] | select(.family == "inet" and .dynamic)] | length > 0) as $d4
   | ([$a[] | select(.family == "inet6" and .dynamic)]) as $d6
   | ([$d6[] | select(.prefixlen == 128)] | length > 0) as $dhcp6
   | (if $k == "bridge" or $k == "bond" or $k == "vlan" then
        "file 10-xen-kdump-\($n).netdev", "[NetDev]", "Name=\($n)", "Kind=\($k)",
        (if $k != "vlan" then "MACAddress=\($l.address)" else empty end),
        (if $l.mtu != 1500 then "MTUBytes=\($l.mtu)" else empty end),
        (if $k == "bridge" then
            "", "[Bridge]", "STP=\($l.linkinfo.info_data.stp_state != 0 | onoff)",
            "ForwardDelaySec=\(secs($l.linkinfo.info_data.forward_delay // 0))",
            (if (ports($n) | length) == 0 then "W bridge \($n) has no physical port: the capture kernel reaches nothing through it" else empty end)
         elif $k == "bond" then
            ($l.linkinfo.info_data) as $b
            | "", "[Bond]", "Mode=\($b.mode)",
              (if $b.mode == "802.3ad" then "LACPTransmitRate=\($b.ad_lacp_rate // "slow")" else empty end),
              (if $b.mode | IN("802.3ad", "balance-xor", "balance-tlb", "balance-alb") then
                "TransmitHashPolicy=\($b.xmit_hash_policy // "layer2")" else empty end),
              (if ($b.mode == "802.3ad") and ($b.ad_select // "stable") != "stable" then "AdSelect=\($b.ad_select)" else empty end),
              (if ($b.fail_over_mac // "none") != "none" then "FailOverMACPolicy=\($b.fail_over_mac)" else empty end),
              (if ($b.min_links // 0) > 0 then "MinLinks=\($b.min_links)" else empty end),
              (if ($b.miimon // 0) > 0 then "MIIMonitorSec=\($b.miimon)ms" else empty end),
              (if ($b.updelay // 0) > 0 then "UpDelaySec=\($b.updelay)ms" else empty end),
              (if ($b.downdelay // 0) > 0 then "DownDelaySec=\($b.downdelay)ms" else empty end),
              (if ($b.arp_interval // 0) > 0 then "W bond \($n) uses ARP monitoring; the capture image uses link monitoring (MII, 100 ms) instead" else empty end),
              (if ($b.arp_interval // 0) > 0 and ($b.miimon // 0) == 0 then "MIIMonitorSec=100ms" else empty end),
              (if (ports($n) | length) == 0 then "W bond \($n) has no slaves: the capture kernel reaches nothing through it" else empty end)
         else
            "", "[VLAN]", "Id=\($l.linkinfo.info_data.id)",
            (if ($l.linkinfo.info_data.protocol // "802.1Q") != "802.1Q" then "Protocol=\($l.linkinfo.info_data.protocol | ascii_downcase)" else empty end)
         end)
      elif $k == "ether" then empty
      else "W interface \($n) is a \($k) link, which the capture image cannot set up: the dump to \($addr) will likely fail; use a local target or failure_action save-local"
      end),
     "file 10-xen-kdump-\($n).network", "[Match]",
     (if $k == "ether" then "PermanentMACAddress=\($l | mac)" else "Name=\($n)" end),
     "", "[Link]",
     (if $k == "ether" and $l.mtu != 1500 then "MTUBytes=\($l.mtu)" else empty end),
     "RequiredForOnline=\($n == $egress | onoff)",
     "", "[Network]",
     (if $mk == "bridge" then "Bridge=\($l.master)"
      elif $mk == "bond" then "Bond=\($l.master)",
        # A [Network] key (systemd.network), not a [Bond] one: networkd ignores unknown sections.
        (if (link($l.master).linkinfo.info_data.primary // "") == $n then "PrimarySlave=yes" else empty end)
      else
        "DHCP=\(if $d4 and $dhcp6 then "yes" elif $d4 then "ipv4" elif $dhcp6 then "ipv6" else "no" end)",
        "IPv6AcceptRA=\($d6 | length > 0 | onoff)",
        (if $mk != "" and $mk != "unknown" then "W \($n) is a port of \($l.master) (\($mk)), which the capture image does not set up" else empty end),
        ($s4[], $s6[] | "Address=\(.local)/\(.prefixlen)")
      end),
     ($vlans[] | "VLAN=\(.)"),
     (if $mk == "bridge" or $mk == "bond" then empty else
       (defaults_of($n)[] | select((.protocol // "boot") | IN("dhcp", "ra", "kernel") | not)
        | "", "[Route]", "Gateway=\(.gateway)", (if .metric then "Metric=\(.metric)" else empty end),
          (if (.flags // []) | index("onlink") then "GatewayOnLink=yes" else empty end)),
       (if $n == $egress and $get[0].gateway and
           ([defaults_of($n)[] | select(.gateway == $get[0].gateway)] | length == 0) then
          "", "[Route]", "Destination=\($addr)/\(if ($addr | contains(":")) then 128 else 32 end)", "Gateway=\($get[0].gateway)"
        else empty end),
       (if $n == $egress and ($s4 | length) == 0 and ($s6 | length) == 0 and ($d4 | not) and ($d6 | length) == 0 then
          "W \($n), the way to \($addr), has no global address in dom0: the capture image cannot reach the target"
        else empty end)
     end))
') || { echo "xen-kdump: cannot read dom0's network (ip -j output)" >&2; exit 1; }

grep '^W ' <<< "$plan" | while IFS= read -r w; do warn "${w#W }"; done
[[ $hosts ]] && echo "$hosts"
grep -v '^W ' <<< "$plan"
exit 0
