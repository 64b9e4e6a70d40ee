#!/usr/bin/env bash
# The real exporter's memory under a flood of forged customer IDs (issue 18):
#
#   bench/memory-flood.sh BIN_DIR DLBENCH CUSTOMERS [EVENTS]
#
# Starts BIN_DIR's `dropledger serve` with its default flags (only the listen address
# differs), writes EVENTS events (default CUSTOMERS) of CUSTOMERS distinct customer IDs
# into its per-CPU rings with `dlbench flood` while it consumes them, waits until its
# ledger has counted them all, then scrapes /metrics three times (plain, gzip, plain) and
# asks the API for the customer list and one customer, as Prometheus and an operator do.
# The events are written by the bench producer (bpf/bench/producer.bpf.c) rather than by
# dropped frames, so this runs on kernels that refuse injected frames; the exporter's
# side (rings, consumer, ledger, API detail, renders) is the same.
# Prints key=value: peak_kb (VmHWM), rss_kb (VmRSS at the end), events, counted (the
# customers' drops in /metrics), exact (yes/no), flood_s, series, other (the drops summed
# into customer="other"). Root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "memory-flood: needs root" >&2; exit 1; }
BIN=${1:?a directory with the dropledger to measure}
DLBENCH=${2:?dlbench}
CUSTOMERS=${3:?how many distinct customer IDs}
EVENTS=${4:-$CUSTOMERS}
LOG=$(mktemp)
BODY=$(mktemp)
EXPORTER=""
cleanup() {
	set +e
	stop_exporter
	rm -f "$LOG" "$BODY"
}
trap cleanup EXIT
trap "exit 1" INT TERM

start_exporter "$LOG" "$BIN/dropledger" serve --web.listen-address 127.0.0.1:0
URL=http://127.0.0.1:$EXPORTER_PORT
ID=$EXPORTER_PROG

# The customers' drops /metrics counts (every customer ID, "other" included), and all events.
customer_drops() {
	curl -sf "$URL/metrics" >"$BODY"
	awk '/^dropledger_drops_total\{/ && !/customer="(none|invalid)"/ { s += $NF } END { printf "%.0f\n", s }' "$BODY"
}
events_total() { awk '$1 == "dropledger_events_total" { printf "%.0f\n", $2 }' "$BODY"; }

BEFORE=$(customer_drops)
FLOOD=$("$DLBENCH" flood "$ID" "$CUSTOMERS" "$EVENTS")
FLOOD_S=$(awk '{ print $4 }' <<<"$FLOOD")
# The consumer publishes within its 50 ms timer; the ledger may lag a scrape behind.
COUNTED=0
for _ in $(seq 600); do
	COUNTED=$(( $(customer_drops) - BEFORE ))
	[ "$COUNTED" -ge "$EVENTS" ] && break
	sleep 0.1
done
curl -sf -H 'Accept-Encoding: gzip' "$URL/metrics" -o /dev/null
curl -sf "$URL/metrics" >"$BODY"
SERIES=$(grep -c '^dropledger_drops_total{' "$BODY")
OTHER=$(awk '/^dropledger_drops_total\{/ && /customer="other"/ { s += $NF } END { printf "%.0f\n", s }' "$BODY")
curl -sf "$URL/api/v1/customers" -o /dev/null
curl -sf "$URL/api/v1/customers/1000" -o /dev/null
PEAK=$(awk '/^VmHWM:/ { print $2 }' /proc/$EXPORTER/status)
RSS=$(awk '/^VmRSS:/ { print $2 }' /proc/$EXPORTER/status)
EXACT=no
[ "$COUNTED" -eq "$EVENTS" ] && EXACT=yes
echo "peak_kb=$PEAK rss_kb=$RSS events=$EVENTS counted=$COUNTED exact=$EXACT flood_s=$FLOOD_S series=$SERIES other=$OTHER retried=$(awk '{ print $6 }' <<<"$FLOOD")"
