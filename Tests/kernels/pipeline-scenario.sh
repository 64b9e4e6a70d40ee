#!/usr/bin/env bash
# The core pipeline inside a guest kernel, with the host-built binaries:
# dropledger counts injected drops of two reasons for three customer states,
# then real socket traffic tagged by the XDP tagger, and the counts in
# /metrics must be exact. Prints DL-EXPECT/DL-GOT lines and
# exits non-zero on any difference. Runs as /scenario.sh under the harness.
set -u
bin=${DL_BIN_DIR:?make test-kernels sets DL_BIN_DIR to the build directory}
fail() { echo "PIPELINE FAIL: $*"; [[ -f /tmp/dl.log ]] && sed 's/^/  exporter: /' /tmp/dl.log | tail -n 40; exit 1; }
echo "kernel: $(uname -r)"

# Receiver and peer namespaces joined by a veth pair (addresses exist only in this guest).
ip netns add r && ip netns add p || fail "netns"
for ns in r p; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ip -n $ns link set lo up; done
ip link add dl0 netns r type veth peer name dl1 netns p || fail "veth"
ip -n r addr add 10.213.0.1/24 dev dl0; ip -n p addr add 10.213.0.2/24 dev dl1
ip -n r link set dl0 up; ip -n p link set dl1 up
ip -n r neigh replace 10.213.0.2 lladdr "$(ip netns exec p cat /sys/class/net/dl1/address)" dev dl0 nud permanent
ip netns exec r nft -f - <<'NFT' || fail "nft"
table inet dltest {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 7777 counter drop
  }
}
NFT

start=$(date +%s)
"$bin/dropledger" --filter.netns /run/netns/r --web.listen-address 127.0.0.1:10437 >/tmp/dl.log 2>&1 &
exporter=$!
for _ in $(seq 600); do grep -q "counting drops" /tmp/dl.log && break; kill -0 $exporter 2>/dev/null || break; sleep 0.2; done
grep -q "counting drops" /tmp/dl.log || fail "exporter did not start"
# Kernels before 6.17 reject bpf_rdonly_cast to void: the exporter must have fallen back.
reads=$(grep -o 'metadata_reads=[a-z_]*' /tmp/dl.log | head -n 1)
echo "DL-READS $reads"
if [[ "$(printf '%s\n' 6.17 "$(uname -r)" | sort -V | head -n 1)" == 6.17 ]]; then want=direct; else want=bpf_probe_read_kernel; fi
[[ "$reads" == "metadata_reads=$want" ]] || fail "loaded $reads on $(uname -r), expected $want"
echo "exporter ready after $(( $(date +%s) - start ))s"

inject() { ip netns exec r "$bin/dropledger-inject" --interface dl0 --dst 10.213.0.1 --src 10.213.0.2 "$@" || fail "inject $*"; }
inject --customer 4242 --count 3000 --dport 9
inject --customer 4242 --count 700 --dport 7777
inject --customer 18446744073709551615 --count 1100 --dport 9
inject --count 900 --dport 9                      # no metadata
inject --meta 0a000000 --count 400 --dport 7777   # TL beyond the area
expected='4242/NETFILTER_DROP 700
4242/NO_SOCKET 3000
18446744073709551615/NO_SOCKET 1100
invalid/NETFILTER_DROP 400
none/NO_SOCKET 900'

scrape() { wget -qO- http://127.0.0.1:10437/metrics | sed -n 's/^dropledger_drops_total{customer="\([^"]*\)",reason="\([^"]*\)"} \([0-9]*\)$/\1\/\2 \3/p' | sort; }
got=""
for _ in $(seq 50); do got=$(scrape); [[ "$got" == "$(sort <<<"$expected")" ]] && break; sleep 0.2; done
sleep 1.5; got=$(scrape)   # one more fold: over-counting would show now
echo "$(sort <<<"$expected")" | sed 's/^/DL-EXPECT /'
echo "$got" | sed 's/^/DL-GOT /'
udp=$(ip netns exec r nstat -az UdpNoPorts | awk '/UdpNoPorts/ {print $2}')
echo "DL-NSTAT UdpNoPorts $udp"
[[ "$got" == "$(sort <<<"$expected")" ]] || fail "counts differ"
[[ "$udp" == 5000 ]] || fail "nstat UdpNoPorts $udp, expected 5000"

# The tagger on this kernel: real UDP sockets in the peer namespace, tagged by prefix on
# the receiver's veth, dropped as before. Counts must be exact per customer.
ip -n p neigh replace 10.213.0.1 lladdr "$(ip netns exec r cat /sys/class/net/dl0/address)" dev dl1 nud permanent
# The VLAN sub-interface's and the IPv6 underlay's addresses (used after the checks below) too.
nsenter --net=/run/netns/r "$bin/dropledger" tag --interface dl0 --prefix 10.213.0.1/32=5150 \
    --prefix 10.213.100.1/32=5150 --prefix fd00:213::1/128=5150 || fail "tag"
ip netns exec p bash -c 'for i in $(seq 300); do echo x >/dev/udp/10.213.0.1/9; done; for i in $(seq 200); do echo x >/dev/udp/10.213.0.1/7777; done'
tagged='5150/NETFILTER_DROP 200
5150/NO_SOCKET 300'
scrape5150() { scrape | grep '^5150/'; }
for _ in $(seq 50); do [[ "$(scrape5150)" == "$tagged" ]] && break; sleep 0.2; done
sleep 1.5; got=$(scrape5150)
echo "$tagged" | sed 's/^/DL-EXPECT /'
echo "$got" | sed 's/^/DL-GOT /'
[[ "$got" == "$tagged" ]] || fail "tagged counts differ"
wget -qO- http://127.0.0.1:10437/metrics | grep 'dropledger_tagger_packets_total{interface="dl0",result="tagged"} 500' >/dev/null \
    || fail "tagger counters: $(wget -qO- http://127.0.0.1:10437/metrics | grep tagger_packets)"
# Tunnels decapsulated in the receiver (issue 15): the tagger tags the outer packet on
# dl0 (prefix 10.213.0.1/32, 10.213.100.1/32 or fd00:213::1/128), the tunnel device
# strips the outer headers, the inner packet is dropped at a closed port. Every drop
# must still count for 5150, none as invalid, none for another customer: the area is
# found again behind the outer headers.
# N (100) datagrams from p to ADDRESS:9 (through NAME): the only change in the counts
# of customers and `invalid` must be N more for 5150/NO_SOCKET.
send_attributed() {  # NAME ADDRESS [N]
	local name=$1 address=$2 n=${3:-100} after delta
	scrape | grep -v '^none/' >/tmp/before   # (no /dev/fd in the guest for <(...))
	ip netns exec p bash -c "for i in \$(seq $n); do echo x >/dev/udp/$address/9; done"
	delta() { scrape | grep -v '^none/' | awk 'NR == FNR {b[$1] = $2; next} $2 != b[$1] {print $1, $2 - b[$1]}' /tmp/before -; }
	for _ in $(seq 50); do [[ "$(delta)" == "5150/NO_SOCKET $n" ]] && break; sleep 0.2; done
	sleep 1.5; delta=$(delta)
	after=$(awk '$1 == "5150/NO_SOCKET" {print $2}' <<<"$delta")
	echo "DL-TUNNEL $name: ${after:-0} of $n attributed"
	[[ "$delta" == "5150/NO_SOCKET $n" ]] || fail "$name: $n datagrams changed the counts by: $(tr '\n' ' ' <<<"$delta")"
}
expect_attributed() {  # NAME ADDRESS: send_attributed, then the tunnel goes
	send_attributed "$1" "$2"
	ip -n r link del "$1"; ip -n p link del "$1"
}
tunnel_up() {  # NAME INNER-NET ETHERNET(yes|no) TYPE-ARGS-R... -- TYPE-ARGS-P...
	local name=$1 net=$2 eth=$3; shift 3
	local r=() p=(); while [[ $1 != -- ]]; do r+=("$1"); shift; done; shift; p=("$@")
	ip -n r link add "$name" "${r[@]}" || fail "tunnel $name (r)"
	ip -n p link add "$name" "${p[@]}" || fail "tunnel $name (p)"
	ip -n r addr add "$net.1/24" dev "$name"; ip -n p addr add "$net.2/24" dev "$name"
	ip -n r link set "$name" up; ip -n p link set "$name" up
	if [[ $eth == yes ]]; then
		ip -n p neigh replace "$net.1" lladdr "$(ip netns exec r cat /sys/class/net/$name/address)" dev "$name" nud permanent
		ip -n r neigh replace "$net.2" lladdr "$(ip netns exec p cat /sys/class/net/$name/address)" dev "$name" nud permanent
	fi
}
tunnel() { tunnel_up "$@"; expect_attributed "$1" "$2.1"; }
tunnel vx0 10.220.1 yes type vxlan id 42 local 10.213.0.1 remote 10.213.0.2 dstport 4789 dev dl0 -- \
	type vxlan id 42 local 10.213.0.2 remote 10.213.0.1 dstport 4789 dev dl1
tunnel gn0 10.220.2 yes type geneve id 43 remote 10.213.0.2 -- type geneve id 43 remote 10.213.0.1
tunnel gt0 10.220.3 yes type gretap local 10.213.0.1 remote 10.213.0.2 -- type gretap local 10.213.0.2 remote 10.213.0.1
tunnel gr0 10.220.4 no type gre local 10.213.0.1 remote 10.213.0.2 -- type gre local 10.213.0.2 remote 10.213.0.1
tunnel ip0 10.220.5 no type ipip local 10.213.0.1 remote 10.213.0.2 -- type ipip local 10.213.0.2 remote 10.213.0.1
# SIT: IPv6 inside IPv4 (IPv6 on the tunnel devices only, no DAD).
ip -n r link add st0 type sit local 10.213.0.1 remote 10.213.0.2 || fail "tunnel st0 (r)"
ip -n p link add st0 type sit local 10.213.0.2 remote 10.213.0.1 || fail "tunnel st0 (p)"
for ns in r p; do ip netns exec $ns sysctl -qw net.ipv6.conf.st0.disable_ipv6=0; done
ip -n r addr add fd00:220:6::1/64 dev st0 nodad; ip -n p addr add fd00:220:6::2/64 dev st0 nodad
ip -n r link set st0 up; ip -n p link set st0 up
expect_attributed st0 fd00:220:6::1

# Geneve with options: the sender's device is in external (collect_md) mode and a tc
# action gives every packet its tunnel key and options (WORDS 4-byte words of them);
# the receiver's device is a plain one (the options are not critical). The frames
# that reach dl0 must be as long as the options make them: the outer IP header, UDP
# 8, Geneve 8, the options, the inner frame 44, and Ethernet 14 (which veth leaves out
# of its byte counts with an XDP program attached; 14 is no multiple of 4, so either
# count tells the option length).
geneve_opts() {  # NAME INNER-NET IP-HEADER-BYTES WORDS TUNNEL-KEY-ARGS...
	local name=$1 net=$2 iph=$3 words=$4 packets bytes want; shift 4
	want=$((iph + 8 + 8 + 4 * words + 44))
	ip netns exec p tc filter del dev "$name" egress 2>/dev/null
	ip netns exec p tc filter add dev "$name" egress matchall action tunnel_key set "$@" || fail "tc tunnel_key $*"
	rx() { ip netns exec r cat /sys/class/net/dl0/statistics/rx_$1; }
	packets=$(rx packets) bytes=$(rx bytes)
	send_attributed "$name ($words option words)" "$net.1"
	packets=$(( $(rx packets) - packets )) bytes=$(( $(rx bytes) - bytes ))
	echo "DL-GENEVE $name: $packets frames on dl0, $((bytes / packets)) bytes each (without Ethernet: $want)"
	[[ $packets == 100 && ( $bytes == $((100 * want)) || $bytes == $((100 * (want + 14))) ) ]] ||
		fail "$name: $packets frames, $bytes bytes; expected 100 of $want (or $((want + 14)))"
}
o124=$(printf '%0248d' 0 | tr 0 a) o120=$(printf '%0240d' 0 | tr 0 5)
opts2=0102:01:00880022 opts7=0102:01:00880022,0ffe:7f:0011223344556677,0103:02:00000000 opts63=0102:01:$o124,0103:02:$o120
tunnel_up gn1 10.220.7 yes type geneve id 44 remote 10.213.0.2 -- type geneve external
ip netns exec p tc qdisc add dev gn1 clsact || fail "tc clsact"
for words in 2 7 63; do
	opts=opts$words
	geneve_opts gn1 10.220.7 20 "$words" id 44 src_ip 10.213.0.2 dst_ip 10.213.0.1 dst_port 6081 ttl 64 geneve_opts "${!opts}"
done
ip -n r link del gn1; ip -n p link del gn1

# IPv6 underlays: dl0 and dl1 get IPv6 now (no link-local address, no DAD).
for x in "r dl0 1 dl1" "p dl1 2 dl0"; do
	read -r ns dev n peer <<<"$x"
	ip -n "$ns" link set "$dev" addrgenmode none
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=0"
	ip -n "$ns" addr add "fd00:213::$n/64" dev "$dev" nodad || fail "IPv6 on $dev"
	other=$([[ $ns == r ]] && echo p || echo r)
	ip -n "$ns" neigh replace "fd00:213::$((3 - n))" lladdr "$(ip netns exec "$other" cat /sys/class/net/$peer/address)" dev "$dev" nud permanent
done
tunnel gn6 10.220.8 yes type geneve id 45 remote fd00:213::2 -- type geneve id 45 remote fd00:213::1
tunnel_up gn7 10.220.9 yes type geneve id 46 remote fd00:213::2 -- type geneve external
ip netns exec p tc qdisc add dev gn7 clsact || fail "tc clsact"
geneve_opts gn7 10.220.9 40 63 id 46 src_ip fd00:213::2 dst_ip fd00:213::1 dst_port 6081 ttl 64 geneve_opts "$opts63"
ip -n r link del gn7; ip -n p link del gn7
# Linux's IPv6 tunnels add a destination options header (the encapsulation limit)
# unless told `encaplimit none`.
tunnel g6t0 10.220.10 yes type ip6gretap local fd00:213::1 remote fd00:213::2 -- type ip6gretap local fd00:213::2 remote fd00:213::1
tunnel g6r0 10.220.11 no type ip6gre local fd00:213::1 remote fd00:213::2 -- type ip6gre local fd00:213::2 remote fd00:213::1
tunnel g6n0 10.220.12 no type ip6gre local fd00:213::1 remote fd00:213::2 encaplimit none -- \
	type ip6gre local fd00:213::2 remote fd00:213::1 encaplimit none
tunnel t6 10.220.13 no type ip6tnl mode ipip6 local fd00:213::1 remote fd00:213::2 -- \
	type ip6tnl mode ipip6 local fd00:213::2 remote fd00:213::1
tunnel t6n 10.220.14 no type ip6tnl mode ipip6 local fd00:213::1 remote fd00:213::2 encaplimit none -- \
	type ip6tnl mode ipip6 local fd00:213::2 remote fd00:213::1 encaplimit none

# A VLAN sub-interface: dl0.100 (VLAN 100 on the tagged dl0), its peer dl1.100. First
# with the tag offloaded (veth passes it beside the frame), then in the frame (the
# peer's transmit offload off: the receiver's stack takes it out of the frame), and a
# VXLAN tunnel over the VLAN: tags outside the tunnel.
ip -n r link add link dl0 name dl0.100 type vlan id 100 || fail "vlan (r)"
ip -n p link add link dl1 name dl1.100 type vlan id 100 || fail "vlan (p)"
ip -n r addr add 10.213.100.1/24 dev dl0.100; ip -n p addr add 10.213.100.2/24 dev dl1.100
ip -n r link set dl0.100 up; ip -n p link set dl1.100 up
ip -n p neigh replace 10.213.100.1 lladdr "$(ip netns exec r cat /sys/class/net/dl0.100/address)" dev dl1.100 nud permanent
ip -n r neigh replace 10.213.100.2 lladdr "$(ip netns exec p cat /sys/class/net/dl1.100/address)" dev dl0.100 nud permanent
send_attributed "dl0.100 (tag offloaded)" 10.213.100.1
ip netns exec p ethtool -K dl1 txvlan off || fail "ethtool"
send_attributed "dl0.100 (tag in the frame)" 10.213.100.1
tunnel vx1 10.220.15 yes type vxlan id 47 local 10.213.100.1 remote 10.213.100.2 dstport 4789 dev dl0.100 -- \
	type vxlan id 47 local 10.213.100.2 remote 10.213.100.1 dstport 4789 dev dl1.100

# A bridge with VLAN filtering: dl2 (tagged, its own tagger) is a port of br0 in VLAN 101
# (tagged on the wire), br0 itself in VLAN 101 (untagged, pvid) with the address. The peer
# sends from VLAN devices on dl3: VLAN 101 is delivered and dropped at the closed port;
# VLAN 102 is not allowed on the port and the bridge drops it. Both the customer's.
ip link add dl2 netns r type veth peer name dl3 netns p || fail "veth dl2"
ip netns exec r bash -ec '
	ip link add br0 type bridge vlan_filtering 1
	ip link set dl2 master br0
	bridge vlan add dev dl2 vid 101
	bridge vlan add dev br0 vid 101 self pvid untagged
	ip addr add 10.213.101.1/24 dev br0
	ip link set dl2 up; ip link set br0 up' || fail "bridge"
ip netns exec p bash -ec '
	ip link set dl3 up
	ip link add link dl3 name dl3.101 type vlan id 101; ip link add link dl3 name dl3.102 type vlan id 102
	ip addr add 10.213.101.2/24 dev dl3.101; ip addr add 10.213.102.2/24 dev dl3.102
	ip link set dl3.101 up; ip link set dl3.102 up' || fail "bridge peer"
brmac=$(ip netns exec r cat /sys/class/net/br0/address)
ip -n p neigh replace 10.213.101.1 lladdr "$brmac" dev dl3.101 nud permanent
ip -n p neigh replace 10.213.102.1 lladdr "$brmac" dev dl3.102 nud permanent
ip -n r neigh replace 10.213.101.2 lladdr "$(ip netns exec p cat /sys/class/net/dl3.101/address)" dev br0 nud permanent
nsenter --net=/run/netns/r "$bin/dropledger" tag --interface dl2 --prefix 10.213.101.0/24=5150 --prefix 10.213.102.0/24=5150 \
	|| fail "tag dl2"
send_attributed "br0 (VLAN filtering, VLAN 101)" 10.213.101.1
scrape | grep -v '^none/' >/tmp/before
ip netns exec p bash -c 'for i in $(seq 100); do echo x >/dev/udp/10.213.102.1/9; done'
delta() { scrape | grep -v '^none/' | awk 'NR == FNR {b[$1] = $2; next} $2 != b[$1] {print $1, $2 - b[$1]}' /tmp/before -; }
for _ in $(seq 50); do [[ "$(delta)" == "5150/"*" 100" ]] && break; sleep 0.2; done
sleep 1.5; filtered=$(delta)
echo "DL-TUNNEL br0 (VLAN 102, filtered by the bridge): $filtered"
[[ "$filtered" == "5150/"*" 100" && $(wc -l <<<"$filtered") == 1 ]] || fail "filtered VLAN: the counts changed by: $(tr '\n' ' ' <<<"$filtered")"
nsenter --net=/run/netns/r "$bin/dropledger" untag --interface dl2 || fail "untag dl2"

nsenter --net=/run/netns/r "$bin/dropledger" untag --interface dl0 || fail "untag"
[[ -e /sys/fs/bpf/dropledger ]] && fail "tagger pins left"

kill -TERM $exporter; wait $exporter || fail "exporter exited $?"
grep -q "nothing of dropledger is left" /tmp/dl.log || fail "no clean shutdown"
echo "PIPELINE OK"
