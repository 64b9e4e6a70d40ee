#!/usr/bin/env bash
# What sampling (issue 17) costs the kfree_skb program per drop during a flood, in
# alternating rounds of one run:
#
#   bench/sampling-cost.sh BIN_DIR [BEFORE_BIN_DIR] [ROUNDS] [SECONDS]
#
# Configurations: BIN_DIR's dropledger with --samples.rate 0 (off) and at the default rate,
# and, when given, an earlier build's (BEFORE_BIN_DIR, e.g. the commit before sampling:
#   git worktree add /tmp/before REV && make -C /tmp/before build).
# Each round starts one configuration's exporter, floods drops from every CPU for SECONDS
# (UDP to a closed port on a namespace's loopback: NO_SOCKET, one customer and reason, as
# a flood is), and reads the program's run_time_ns / run_cnt (bpf_stats); the order rotates
# from round to round. No injected frames: it runs on kernels that refuse live frames.
# Prints a Markdown table of the rounds, each configuration's median, and the medians of
# the ratios paired within rounds. Root; its own namespace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "sampling-cost: needs root" >&2; exit 1; }
BIN=${1:?a directory with the dropledger to measure}
BEFORE=${2:-}
ROUNDS=${3:-5}
SECONDS_PER_ROUND=${4:-3}
CPUS=$(nproc)
NS=dlsmp-$$
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
LOG=$(mktemp)
EXPORTER=""
FLOODS=()
cleanup() {
	set +e
	for pid in "${FLOODS[@]}"; do kill "$pid" 2>/dev/null; done
	stop_exporter
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
	ip netns del $NS 2>/dev/null
	rm -f "$LOG"
}
trap cleanup EXIT
trap "exit 1" INT TERM
ip netns add $NS
ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n $NS link set lo up

stats() { bpftool prog show id "$1" | awk '{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } } END { print t + 0, c + 0 }'; }

configs="off default"
[ -n "$BEFORE" ] && configs="before $configs"
declare -A NSDROP ROUND
PAIR_DEFAULT="" PAIR_OFF="" PAIR_BEFORE=""
sysctl -qw kernel.bpf_stats_enabled=1
printf '| round | configuration | ns/drop | drops | samples |\n|---|---|---|---|---|\n'
for ((r = 0; r < ROUNDS; r++)); do
	# Rotate the order, so no configuration always runs first or last.
	set -- $configs
	n=$#; order=""
	for ((i = 0; i < n; i++)); do j=$(( (i + r) % n + 1 )); order="$order ${!j}"; done
	for which in $order; do
		case $which in
			before) cmd=("$BEFORE/dropledger" serve) ;;
			off) cmd=("$BIN/dropledger" serve --samples.rate 0) ;;
			default) cmd=("$BIN/dropledger" serve) ;;
		esac
		start_exporter "$LOG" "${cmd[@]}" --web.listen-address 127.0.0.1:0
		port=$EXPORTER_PORT id=$EXPORTER_PROG
		read -r t0 c0 <<<"$(stats "$id")"
		FLOODS=()
		for ((c = 0; c < CPUS; c++)); do
			ip netns exec $NS taskset -c $c python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + $SECONDS_PER_ROUND
while time.monotonic() < end:
    for _ in range(1000): s.sendto(b'x', ('127.0.0.1', 9))
" & FLOODS+=($!)
		done
		for pid in "${FLOODS[@]}"; do wait "$pid"; done
		FLOODS=()
		read -r t1 c1 <<<"$(stats "$id")"
		samples=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "dropledger_samples_total" { print $2 }')
		stop_exporter
		ns=$(awk -v t=$((t1 - t0)) -v c=$((c1 - c0)) 'BEGIN { printf "%.1f", t / c }')
		NSDROP[$which]="${NSDROP[$which]:-} $ns"
		ROUND[$which]=$ns
		printf '| %d | %s | %s | %d | %s |\n' $((r + 1)) "$which" "$ns" $((c1 - c0)) "${samples:--}"
	done
	# Paired within the round (the configurations ran seconds apart): drift between rounds cancels.
	PAIR_DEFAULT="$PAIR_DEFAULT $(awk -v a="${ROUND[default]}" -v b="${ROUND[off]}" 'BEGIN { printf "%.4f", a / b }')"
	if [ -n "$BEFORE" ]; then
		PAIR_OFF="$PAIR_OFF $(awk -v a="${ROUND[off]}" -v b="${ROUND[before]}" 'BEGIN { printf "%.4f", a / b }')"
		PAIR_BEFORE="$PAIR_BEFORE $(awk -v a="${ROUND[default]}" -v b="${ROUND[before]}" 'BEGIN { printf "%.4f", a / b }')"
	fi
done
echo
printf '| configuration | median ns/drop |\n|---|---|\n'
for which in $configs; do printf '| %s | %s |\n' "$which" "$(echo "${NSDROP[$which]}" | median)"; done
echo
echo "Ratios: the median of each round's ratio (both configurations measured in the same round)."
echo
printf '| ratio | median | rounds |\n|---|---|---|\n'
printf '| default rate / off | %.3f | %s |\n' "$(echo "$PAIR_DEFAULT" | median)" "$PAIR_DEFAULT"
if [ -n "$BEFORE" ]; then
	printf '| off / before | %.3f | %s |\n' "$(echo "$PAIR_OFF" | median)" "$PAIR_OFF"
	printf '| default rate / before | %.3f | %s |\n' "$(echo "$PAIR_BEFORE" | median)" "$PAIR_BEFORE"
fi
