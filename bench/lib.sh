# Helpers the bench scripts share (sourced): starting and stopping the exporter they
# measure, and medians.

# start_exporter LOG COMMAND...: runs COMMAND (a `dropledger serve`) in the background with
# its output in LOG and waits until it counts drops. Sets EXPORTER (its pid),
# EXPORTER_PORT (from its log) and EXPORTER_PROG (its BPF program's id).
start_exporter() {
	local log=$1
	shift
	# Emptied here, not by the background job's redirection: that one may run after the
	# first grep below, which would then find the previous exporter's "counting drops".
	: >"$log"
	"$@" >>"$log" 2>&1 &
	EXPORTER=$!
	for _ in $(seq 300); do grep -q "counting drops" "$log" && break; sleep 0.05; done
	grep -q "counting drops" "$log" || { echo "$(basename "$0"): $* did not start:" >&2; cat "$log" >&2; exit 1; }
	EXPORTER_PORT=$(grep -o ' port=[0-9]*' "$log" | head -1 | cut -d= -f2)
	EXPORTER_PROG=$(cat /proc/"$EXPORTER"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2; exit }')
	[ -n "$EXPORTER_PROG" ] || { echo "$(basename "$0"): no BPF program among $1's files" >&2; exit 1; }
}

# stop_exporter: stops the one start_exporter started, if any.
stop_exporter() {
	[ -n "${EXPORTER:-}" ] || return 0
	kill "$EXPORTER" 2>/dev/null
	wait "$EXPORTER" 2>/dev/null || true
	EXPORTER=""
}

# median: of the numbers on stdin, separated by spaces or lines.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# median_ci: a distribution-free interval for the median of the numbers on stdin: the order
# statistics x(k) and x(n+1-k), k the largest with P(Binomial(n, 1/2) < k) <= 2.5%, so it
# covers the median with at least 95% from 6 numbers on (below that, k = 1: the whole range,
# with less). Prints "LOW HIGH COVERAGE", the coverage exact.
median_ci() {
	tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
		n = NR; p = 0.5 ^ n; cdf = p; c = 1; k = 1; tail = p
		for (i = 1; i < n; i++) { c = c * (n - i + 1) / i; cdf += c * p; if (cdf > 0.025) break; k = i + 1; tail = cdf }
		printf "%s %s %.3f\n", v[k], v[n + 1 - k], 1 - 2 * tail
	}'
}
