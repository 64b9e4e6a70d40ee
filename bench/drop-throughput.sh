#!/usr/bin/env bash
# How fast the host drops a flood with dropledger on, against without it (issue 18):
#
#   bench/drop-throughput.sh BIN_DIR DLBENCH [ROUNDS] [SECONDS]
#
# One sender (`dlbench udpflood`) pinned to CPU 0 in a namespace of its own floods UDP to a
# closed port on the namespace's loopback: every datagram is dropped (NO_SOCKET) on CPU 0.
# Configurations, in an order that rotates each round:
#   without  no exporter;
#   same     `dropledger serve` (default flags): CPU 0's consumer thread is pinned to CPU 0,
#            next to the drops, as in production;
#   other    the same under `taskset -c <another CPU>`: one consumer there drains CPU 0's ring;
#   floor    no exporter, only an empty program on tp_btf/kfree_skb (`dlbench floor`): what
#            any program there costs the host's drops (a tracer's floor), to tell dropledger's
#            own share of the cost from the kernel's.
# Drops per second = the sender's datagrams / SECONDS (nstat's UdpNoPorts checks they were
# all dropped). Then, with the consumer on the same core, the exporter's CPU per drop
# (its threads' run time from /proc/PID/task/*/schedstat) at 10k and 100k drops/s and at the
# maximum; idle work (timers, the traffic poller) included.
# These drops carry no metadata: this is the cost of the event path (program, ring,
# consumer); a customer's TLV adds the program's read of it (bench section 1).
# Prints Markdown tables; the last line is key=value for run.sh. Root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "drop-throughput: needs root" >&2; exit 1; }
BIN=${1:?a directory with the dropledger to measure}
DLBENCH=${2:?dlbench}
ROUNDS=${3:-7}
SECONDS_PER_RUN=${4:-3}
CPUS=$(nproc)
[ "$CPUS" -ge 2 ] || { echo "drop-throughput: needs two CPUs (the consumer on the other core)" >&2; exit 1; }
NS=dltp-$$
LOG=$(mktemp)
EXPORTER=""
FLOOR=""
FLOOR_DIR=$(mktemp -d)
cleanup() {
	set +e
	stop_exporter
	stop_floor
	rm -rf "$FLOOR_DIR"
	ip netns del $NS 2>/dev/null
	rm -f "$LOG"
}
trap cleanup EXIT
trap "exit 1" INT TERM
ip netns add $NS
ip -n $NS link set lo up

# The exporter, under `taskset -c CPU` if given.
serve() {  # [CPU]
	local prefix=()
	[ -n "${1:-}" ] && prefix=(taskset -c "$1")
	start_exporter "$LOG" "${prefix[@]}" "$BIN/dropledger" serve --web.listen-address 127.0.0.1:0
	sleep 0.5
}
# The empty program on tp_btf/kfree_skb, attached while `dlbench floor` holds its stdin open.
start_floor() {
	mkfifo "$FLOOR_DIR/in"
	"$DLBENCH" floor <"$FLOOR_DIR/in" >"$FLOOR_DIR/out" 2>&1 &
	FLOOR=$!
	exec 7>"$FLOOR_DIR/in"
	for _ in $(seq 200); do grep -q ready "$FLOOR_DIR/out" && break; sleep 0.05; done
	grep -q ready "$FLOOR_DIR/out" || { echo "drop-throughput: dlbench floor did not attach:" >&2; cat "$FLOOR_DIR/out" >&2; exit 1; }
}
stop_floor() {
	[ -n "$FLOOR" ] || return 0
	exec 7>&-
	wait "$FLOOR" 2>/dev/null || true
	rm -f "$FLOOR_DIR/in"
	FLOOR=""
}

# CPU time of all the exporter's threads, in ns (schedstat's first field: exact, where
# /proc/PID/stat counts 10 ms ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
no_ports() { ip netns exec $NS nstat -az UdpNoPorts | awk '$1 == "UdpNoPorts" { print $2 }'; }

# One flood: prints "rate cpu_ns_per_drop" (cpu "-" without an exporter).
flood() {  # RATE
	local before after sent t0 t1 out
	before=$(no_ports)
	[ -n "$EXPORTER" ] && t0=$(cpu_ns "$EXPORTER")
	out=$(ip netns exec $NS "$DLBENCH" udpflood "$SECONDS_PER_RUN" "$1" 0)
	[ -n "$EXPORTER" ] && t1=$(cpu_ns "$EXPORTER")
	after=$(no_ports)
	sent=$(awk '{ print $2 }' <<<"$out")
	[ $((after - before)) -ge "$sent" ] || { echo "drop-throughput: sent $sent, dropped $((after - before))" >&2; exit 1; }
	awk -v s="$sent" -v t="$SECONDS_PER_RUN" -v e="${EXPORTER:-}" -v dt="$(( ${t1:-0} - ${t0:-0} ))" \
		'BEGIN { printf "%.0f %s\n", s / t, e == "" ? "-" : sprintf("%.1f", dt / s) }'
}

declare -A RATES ROUND
PAIR_SAME="" PAIR_OTHER="" PAIR_FLOOR=""
printf '| round | configuration | drops/s | exporter CPU ns/drop |\n|---|---|---|---|\n'
for ((r = 0; r < ROUNDS; r++)); do
	set -- without same other floor
	order=""
	for ((i = 0; i < 4; i++)); do j=$(( (i + r) % 4 + 1 )); order="$order ${!j}"; done
	for which in $order; do
		case $which in
			same) serve ;;
			other) serve $((CPUS - 1)) ;;
			floor) start_floor ;;
		esac
		read -r rate cpu <<<"$(flood 0)"
		stop_exporter
		stop_floor
		ROUND[$which]=$rate
		RATES[$which]="${RATES[$which]:-} $rate"
		printf '| %d | %s | %s | %s |\n' $((r + 1)) "$which" "$rate" "$cpu"
	done
	PAIR_SAME="$PAIR_SAME $(awk -v a="${ROUND[same]}" -v b="${ROUND[without]}" 'BEGIN { printf "%.4f", a / b }')"
	PAIR_OTHER="$PAIR_OTHER $(awk -v a="${ROUND[other]}" -v b="${ROUND[without]}" 'BEGIN { printf "%.4f", a / b }')"
	PAIR_FLOOR="$PAIR_FLOOR $(awk -v a="${ROUND[floor]}" -v b="${ROUND[without]}" 'BEGIN { printf "%.4f", a / b }')"
done
echo
# The interval says how far this run's median can be trusted: single rounds on a VM scatter
# by tens of percent (the host's other guests, the sender's own jitter).
printf '| ratio to without | median | interval of the median (coverage) | rounds |\n|---|---|---|---|\n'
SAME=$(echo "$PAIR_SAME" | median)
OTHER=$(echo "$PAIR_OTHER" | median)
read -r SAME_LO SAME_HI SAME_COVER <<<"$(echo "$PAIR_SAME" | median_ci)"
read -r OTHER_LO OTHER_HI OTHER_COVER <<<"$(echo "$PAIR_OTHER" | median_ci)"
FLOOR_RATIO=$(echo "$PAIR_FLOOR" | median)
read -r FLOOR_LO FLOOR_HI FLOOR_COVER <<<"$(echo "$PAIR_FLOOR" | median_ci)"
printf '| consumer on the same core | %.3f | %.3f–%.3f (%.1f%%) | %s |\n' "$SAME" "$SAME_LO" "$SAME_HI" "$(awk -v c="$SAME_COVER" 'BEGIN { print c * 100 }')" "$PAIR_SAME"
printf '| consumer on the other core | %.3f | %.3f–%.3f (%.1f%%) | %s |\n' "$OTHER" "$OTHER_LO" "$OTHER_HI" "$(awk -v c="$OTHER_COVER" 'BEGIN { print c * 100 }')" "$PAIR_OTHER"
printf '| floor: an empty program on kfree_skb, no exporter | %.3f | %.3f–%.3f (%.1f%%) | %s |\n' "$FLOOR_RATIO" "$FLOOR_LO" "$FLOOR_HI" "$(awk -v c="$FLOOR_COVER" 'BEGIN { print c * 100 }')" "$PAIR_FLOOR"

# The exporter's CPU per drop at set rates, its consumer on the same core.
echo
printf '| offered drops/s | drops/s | exporter CPU ns/drop |\n|---|---|---|\n'
serve
CPU_LINE=""
for offered in 10000 100000 0; do
	read -r rate cpu <<<"$(flood $offered)"
	printf '| %s | %s | %s |\n' "$([ $offered = 0 ] && echo maximum || echo $offered)" "$rate" "$cpu"
	CPU_LINE="$CPU_LINE cpu_ns_$([ $offered = 0 ] && echo max || echo $offered)=$cpu"
done
stop_exporter
echo
echo "same=$(printf %.3f "$SAME") same_lo=$(printf %.3f "$SAME_LO") same_hi=$(printf %.3f "$SAME_HI") other=$(printf %.3f "$OTHER") floor=$(printf %.3f "$FLOOR_RATIO") without=$(echo "${RATES[without]}" | median) with=$(echo "${RATES[same]}" | median)$CPU_LINE"
