#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The capture image's network plan (initramfs/99xen-kdump/xen-kdump-netplan.sh)
# from recorded `ip -j` output (tests/appliance/netplan/CASE: link.json is
# `ip -d -j link`, addr.json `ip -j addr`, route4/route6.json `ip -j route`,
# get.json `ip -j route get TARGET`): each case's plan and warnings against
# the reviewed ones (expected, expected-warnings), and what each setup must
# and must not bring up, checked on its own.
set -u
. "$(dirname "$0")/lib.sh"
plan=$top/initramfs/99xen-kdump/xen-kdump-netplan.sh
cases=$here/netplan
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v jq > /dev/null; then
	fail "jq is not installed (apt-get install jq): the plan cannot be tested"
	finish test-netplan
	exit
fi

# The cases: these, and the dom0 networks the VM scenarios recorded
# (tests/vm/scenarios/appliance/net-*: real iproute2 output of a Debian 12
# dom0 with systemd-networkd, whose plans the VM found live) as vm-NAME.
declare -A dir_of
for d in "$cases"/*/; do d=${d%/}; dir_of[${d##*/}]=$d; done
for d in "$top"/tests/vm/scenarios/appliance/net-*/; do d=${d%/}; dir_of[vm-${d##*/}]=$d; done
run() {
	XKD_NET_FIXTURES=${dir_of[$1]} "$plan" "$(cat "${dir_of[$1]}/host")" > "$tmp/$1.out" 2> "$tmp/$1.err"
}
# The text of file NAME in a case's plan.
file_of() {
	awk -v f="$2" '/^file / { on = ($2 == f); next } on' "$tmp/$1.out"
}
has() { file_of "$1" "$2" | grep -qx -- "$3"; }

for c in $(printf '%s\n' "${!dir_of[@]}" | sort); do
	d=${dir_of[$c]}
	check "$c: the plan is produced (exit 0)" 'run $c'
	check "$c: plan as reviewed" 'diff -u "$d/expected" "$tmp/$c.out"'
	check "$c: warnings as reviewed" 'diff -u "$d/expected-warnings" "$tmp/$c.err"'
done

# Every file as systemd-networkd reads it: .network files hold only [Match],
# [Link], [Network] and [Route], .netdev files [NetDev] and the kind's section,
# and each Section.Key is in networkd's own parser table (its binary), which
# ignores an unknown section or key with a mere log line: a setting in the wrong
# place is lost at crash time, not at build time.
networkd=$(for d in /lib/systemd /usr/lib/systemd; do [ -x $d/systemd-networkd ] && echo $d/systemd-networkd && break; done)
if [ -n "$networkd" ]; then
	strings "$networkd" | grep -E '^[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*$' | sort -u > "$tmp/keys"
fi
unknown_keys() {
	awk -v keys="$tmp/keys" '
		BEGIN { while ((getline k < keys) > 0) known[k] = 1 }
		/^file / { kind = ($2 ~ /\.netdev$/) ? "netdev" : "network"; f = $2; sec = ""; next }
		!f { next }
		/^\[.*\]$/ { sec = substr($0, 2, length($0) - 2)
			ok = (kind == "network") ? (sec ~ /^(Match|Link|Network|Route)$/) : (sec ~ /^(NetDev|Bridge|Bond|VLAN)$/)
			if (!ok) print f ": section [" sec "] does not belong in a ." kind " file"
			next }
		/=/ { k = sec "." substr($0, 1, index($0, "=") - 1)
			if (!(k in known)) print f ": " k " is not a systemd-networkd setting" }' "$1"
}
for c in $(printf '%s\n' "${!dir_of[@]}" | sort); do
	check "$c: every section and key is one systemd-networkd knows there" \
		'[ -n "$networkd" ] && u=$(unknown_keys "$tmp/$c.out") && { [ -z "$u" ] || { echo "$u"; false; }; }'
done

# Static bridge: the address and both default routes on xenbr0, its physical
# port by MAC, never the guest's vif, no DHCP.
check "static-bridge: IPv4 and IPv6 static on xenbr0" \
	'has static-bridge 10-xen-kdump-xenbr0.network Address=192.168.10.5/24 &&
	 has static-bridge 10-xen-kdump-xenbr0.network Address=2001:db8:10::5/64'
check "static-bridge: both default routes" \
	'has static-bridge 10-xen-kdump-xenbr0.network Gateway=192.168.10.1 &&
	 has static-bridge 10-xen-kdump-xenbr0.network Gateway=2001:db8:10::1'
check "static-bridge: no DHCP, no RA" \
	'has static-bridge 10-xen-kdump-xenbr0.network DHCP=no &&
	 has static-bridge 10-xen-kdump-xenbr0.network IPv6AcceptRA=no'
check "static-bridge: the NIC is a port of xenbr0, found by its MAC" \
	'has static-bridge 10-xen-kdump-enp1s0.network PermanentMACAddress=52:54:00:12:34:56 &&
	 has static-bridge 10-xen-kdump-enp1s0.network Bridge=xenbr0'
check "static-bridge: the guest vif is left out" '! grep -q vif "$tmp/static-bridge.out"'
check "static-bridge: waits for xenbr0" 'grep -qx "online xenbr0" "$tmp/static-bridge.out"'
# An IPv6 target (in brackets, as in the config) through the default IPv6 gateway: no extra route.
check "v6-target: the address without brackets, reached by the default route" \
	'grep -qx "target 2001:db8:99::7" "$tmp/v6-target.out" && ! grep -q "^Destination=" "$tmp/v6-target.out"'
# Bonds: the mode, the slaves by their permanent MAC (not the bond's), the primary.
check "bond-ab: active-backup with MII monitoring" \
	'has bond-ab 10-xen-kdump-bond0.netdev Mode=active-backup &&
	 has bond-ab 10-xen-kdump-bond0.netdev MIIMonitorSec=100ms'
check "bond-ab: the backup slave by its permanent MAC" \
	'has bond-ab 10-xen-kdump-eno2.network PermanentMACAddress=3c:ec:ef:00:00:02 &&
	 has bond-ab 10-xen-kdump-eno2.network Bond=bond0'
check "bond-ab: eno1 stays the primary ([Network] PrimarySlave=)" 'file_of bond-ab 10-xen-kdump-eno1.network | awk "/^\\[/ { s = \$0 } /^PrimarySlave=yes\$/ { print s }" | grep -qx "\[Network\]" &&
	 ! has bond-ab 10-xen-kdump-eno2.network PrimarySlave=yes'
check "bond-ab: jumbo MTU kept" 'has bond-ab 10-xen-kdump-eno1.network MTUBytes=9000'
# A VLAN on an 802.3ad bond, reached through a static route that is not the default.
check "vlan-on-bond: 802.3ad, fast LACP, layer3+4" \
	'has vlan-on-bond 10-xen-kdump-bond0.netdev Mode=802.3ad &&
	 has vlan-on-bond 10-xen-kdump-bond0.netdev LACPTransmitRate=fast &&
	 has vlan-on-bond 10-xen-kdump-bond0.netdev TransmitHashPolicy=layer3+4'
check "vlan-on-bond: VLAN 100 on bond0 carries the address" \
	'has vlan-on-bond 10-xen-kdump-bond0.100.netdev Id=100 &&
	 has vlan-on-bond 10-xen-kdump-bond0.network VLAN=bond0.100 &&
	 has vlan-on-bond 10-xen-kdump-bond0.100.network Address=172.16.100.8/24'
check "vlan-on-bond: the route to the target through its gateway" \
	'has vlan-on-bond 10-xen-kdump-bond0.100.network Destination=10.50.3.4/32 &&
	 has vlan-on-bond 10-xen-kdump-bond0.100.network Gateway=172.16.100.254'
check "vlan-on-bond: what the target does not need stays down (VLAN 200, xenbr200)" \
	'! grep -q "bond0.200\|xenbr200" "$tmp/vlan-on-bond.out"'
# The 802.3ad bond's other settings, when dom0 moved them off the kernel's defaults.
mkdir -p "$tmp/lacp" && cp "$cases/vlan-on-bond/"*.json "$tmp/lacp/"
jq '(.[] | select(.ifname == "bond0") | .linkinfo.info_data) |= (.ad_select = "bandwidth" | .min_links = 1 | .updelay = 200 | .downdelay = 100)' \
	"$cases/vlan-on-bond/link.json" > "$tmp/lacp/link.json"
XKD_NET_FIXTURES=$tmp/lacp "$plan" 10.50.3.4 > "$tmp/lacp.out" 2> /dev/null
check "802.3ad: aggregator selection, minimum links, up and down delays kept" \
	'has lacp 10-xen-kdump-bond0.netdev AdSelect=bandwidth && has lacp 10-xen-kdump-bond0.netdev MinLinks=1 &&
	 has lacp 10-xen-kdump-bond0.netdev UpDelaySec=200ms && has lacp 10-xen-kdump-bond0.netdev DownDelaySec=100ms &&
	 ! has vlan-on-bond 10-xen-kdump-bond0.netdev MinLinks=0 && [ -z "$(unknown_keys "$tmp/lacp.out")" ]'
# The stack many Xen hosts have: the guests' bridge on a VLAN on an 802.3ad bond.
check "bridge-vlan-bond: xenbr200 over bond0.200 over bond0's two slaves, the address on the bridge" \
	'has bridge-vlan-bond 10-xen-kdump-bond0.200.network Bridge=xenbr200 &&
	 has bridge-vlan-bond 10-xen-kdump-bond0.network VLAN=bond0.200 &&
	 has bridge-vlan-bond 10-xen-kdump-ens1f1.network Bond=bond0 &&
	 has bridge-vlan-bond 10-xen-kdump-xenbr200.network Address=172.16.200.8/24 &&
	 grep -qx "online xenbr200" "$tmp/bridge-vlan-bond.out"'
check "bridge-vlan-bond: neither the guest's vif nor VLAN 100" \
	'! grep -q "vif1.0\|bond0.100" "$tmp/bridge-vlan-bond.out"'
# DHCP only where dom0 uses it.
check "dhcp: dom0's leased address means DHCP, its SLAAC address RA" \
	'has dhcp 10-xen-kdump-eth0.network DHCP=ipv4 && has dhcp 10-xen-kdump-eth0.network IPv6AcceptRA=yes'
check "dhcp: no static copy of the leased address or route" \
	'! grep -q "^Address=\|^Gateway=" "$tmp/dhcp.out"'
# What the image cannot do is said at build time.
check "unsupported: a team device is named in a warning" \
	'grep -q "team0 is a team link, which the capture image cannot set up" "$tmp/unsupported.err"'
mkdir -p "$tmp/ib" && cp "$cases/dhcp/"*.json "$tmp/ib/"
jq '(.[] | select(.ifname == "eth0")) |= (.link_type = "infiniband" | .address = "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0f:d4:11")' \
	"$cases/dhcp/link.json" > "$tmp/ib/link.json"
check "unsupported: an InfiniBand port (no link kind, link type infiniband) is a warning, not Ethernet" \
	'XKD_NET_FIXTURES=$tmp/ib "$plan" 198.51.100.3 2>&1 > "$tmp/ib.out" | grep -q "interface eth0 is a infiniband link, which the capture image cannot set up" &&
	 ! grep -q "^PermanentMACAddress=" "$tmp/ib.out"'
check "no-route: DHCP fallback, said in a warning" \
	'grep -qx "online any" "$tmp/no-route.out" && grep -q "no route to 10.0.0.1" "$tmp/no-route.err"'
# The plan is the rebuild fingerprint: a changed address changes it.
sed 's/192.168.10.5/192.168.10.6/' "$cases/static-bridge/addr.json" > "$tmp/addr.json"
mkdir "$tmp/changed" && cp "$cases/static-bridge/"*.json "$tmp/changed/" && cp "$tmp/addr.json" "$tmp/changed/"
check "a changed address changes the plan" \
	'! XKD_NET_FIXTURES=$tmp/changed "$plan" 203.0.113.7 2> /dev/null | cmp -s - "$cases/static-bridge/expected"'
# DHCP lease times change all the time; the plan must not.
sed 's/86313/4000/g' "$cases/dhcp/addr.json" > "$tmp/changed/addr.json"
cp "$cases/dhcp/"{link,route4,route6,get}.json "$tmp/changed/"
check "a renewed DHCP lease leaves the plan alone" \
	'XKD_NET_FIXTURES=$tmp/changed "$plan" 198.51.100.3 2> /dev/null | cmp -s - "$cases/dhcp/expected"'
# The live path (ip itself, not recordings) in a network namespace of its own:
# a static bridge whose only port is a veth (a container's, not a NIC).
live=$(unshare --net sh -c '
	ip link add xenbr0 type bridge stp_state 0 forward_delay 0 &&
	ip link add veth0 type veth peer name veth1 && ip link set veth0 master xenbr0 &&
	ip link set xenbr0 up && ip addr add 192.0.2.10/24 dev xenbr0 &&
	ip route add default via 192.0.2.1 dev xenbr0 onlink &&
	"$1" 198.51.100.1 2>&1' sh "$plan" 2>&1)
check "live: the kernel's own ip -j gives the static bridge" \
	'printf "%s\n" "$live" | grep -qx "egress xenbr0" && printf "%s\n" "$live" | grep -qx "Address=192.0.2.10/24" &&
	 printf "%s\n" "$live" | grep -qx "Gateway=192.0.2.1" && printf "%s\n" "$live" | grep -qx "GatewayOnLink=yes"'
check "live: a bridge without a physical port is a warning, the veth is left out" \
	'printf "%s\n" "$live" | grep -q "warning: bridge xenbr0 has no physical port" && ! printf "%s\n" "$live" | grep -q veth'
finish test-netplan
