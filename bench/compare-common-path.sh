#!/usr/bin/env bash
# The kfree_skb program's cost per drop on the common path (a tagged frame whose area is
# where the kernel says), for two builds of dropledger, in alternating rounds of one run:
#
#   bench/compare-common-path.sh BEFORE_BIN_DIR AFTER_BIN_DIR [ROUNDS] [DROPS_PER_CPU]
#
# e.g. a worktree of the previous commit built with `make build`, against this one:
#   git worktree add /tmp/before HEAD~1 && make -C /tmp/before build
#   bench/compare-common-path.sh /tmp/before/.build/release .build/release
#
# Each round starts one build's exporter, injects the drops from every CPU (UDP to a closed
# port, a customer TLV), and reads the program's run_time_ns / run_cnt (bpf_stats). Prints
# a row per round and the totals. Root; its own namespaces, removed on exit.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "compare-common-path: needs root" >&2; exit 1; }
BEFORE=${1:?before: a directory with dropledger and dropledger-inject}
AFTER=${2:?after: a directory with dropledger and dropledger-inject}
ROUNDS=${3:-4}
DROPS=${4:-1000000}
CPUS=$(nproc)
NS=dlcmp-$$
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
LOG=$(mktemp)
EXPORTER=""
INJECTORS=()
cleanup() {
	set +e
	for pid in "${INJECTORS[@]}"; do kill "$pid" 2>/dev/null; done
	[ -n "$EXPORTER" ] && kill "$EXPORTER" 2>/dev/null && wait "$EXPORTER" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
	ip netns del $NS-r 2>/dev/null; ip netns del $NS-p 2>/dev/null
	rm -f "$LOG"
}
trap cleanup EXIT
trap "exit 1" INT TERM
for ns in $NS-r $NS-p; do
	ip netns add $ns
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n $ns link set lo up
done
ip link add dlc0 netns $NS-r type veth peer name dlc1 netns $NS-p
ip -n $NS-r addr add 10.214.8.1/24 dev dlc0; ip -n $NS-r link set dlc0 up
ip -n $NS-p addr add 10.214.8.2/24 dev dlc1; ip -n $NS-p link set dlc1 up

stats() { bpftool prog show id "$1" | awk '{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } } END { print t + 0, c + 0 }'; }
declare -A T C
sysctl -qw kernel.bpf_stats_enabled=1
printf '| round | build | ns/drop | runs |\n|---|---|---|---|\n'
for ((r = 1; r <= ROUNDS; r++)); do
	# Alternate which build goes first, so neither always runs on a warmer machine.
	if ((r % 2)); then order="before after"; else order="after before"; fi
	for which in $order; do
		dir=$BEFORE; [ $which = after ] && dir=$AFTER
		"$dir/dropledger" serve --web.listen-address 127.0.0.1:0 >"$LOG" 2>&1 &
		EXPORTER=$!
		for _ in $(seq 300); do grep -q "counting drops" "$LOG" && break; sleep 0.05; done
		grep -q "counting drops" "$LOG" || { echo "compare-common-path: $dir/dropledger did not start:" >&2; cat "$LOG" >&2; exit 1; }
		id=$(cat /proc/$EXPORTER/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2; exit }')
		[ -n "$id" ] || { echo "compare-common-path: no BPF program found in $dir/dropledger's files" >&2; exit 1; }
		read -r t0 c0 <<<"$(stats "$id")"
		pids=()
		for ((c = 0; c < CPUS; c++)); do
			ip netns exec $NS-r taskset -c $c "$dir/dropledger-inject" --interface dlc0 --dst 10.214.8.1 --src 10.214.8.2 \
				--customer $((4242 + c)) --count "$DROPS" --dport 9 & pids+=($!); INJECTORS+=($!)
		done
		for pid in "${pids[@]}"; do wait "$pid"; done
		read -r t1 c1 <<<"$(stats "$id")"
		kill "$EXPORTER"; wait "$EXPORTER" || true; EXPORTER=""
		T[$which]=$(( ${T[$which]:-0} + t1 - t0 )); C[$which]=$(( ${C[$which]:-0} + c1 - c0 ))
		awk -v r=$r -v w=$which -v t=$((t1 - t0)) -v c=$((c1 - c0)) 'BEGIN { printf "| %d | %s | %.1f | %d |\n", r, w, t / c, c }'
	done
done
awk -v tb=${T[before]} -v cb=${C[before]} -v ta=${T[after]} -v ca=${C[after]} 'BEGIN {
	b = tb / cb; a = ta / ca
	printf "| all | before | %.1f | %d |\n| all | after | %.1f | %d |\n\nafter / before: %.3f\n", b, cb, a, ca, a / b }'
