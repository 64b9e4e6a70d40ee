#!/usr/bin/env bash
# The integration suites the host kernel cannot run, because it refuses what they need
# (XDP metadata writes, BPF_PROG_TEST_RUN live frames: Tests/IntegrationTests/Support/
# HostKernel.swift), run by the very test binary `make test` built, inside a guest
# kernel that allows both. Runs as /scenario.sh under the harness (`make test-guest-suites`
# puts DL_TEST_BIN, DL_TEST_FILTER and DL_BIN_DIR on line 2).
set -u
: "${DL_TEST_BIN:?}" "${DL_TEST_FILTER:?}" "${DL_BIN_DIR:?}"
echo "kernel: $(uname -r)"
features=$("$DL_BIN_DIR/dropledger-inject" features | tr '\n' ' ')
echo "DL-FEATURES $features"
# Here they must run: a guest that refused them too would skip them all and pass.
[[ $features == *"xdp_metadata=yes"* && $features == *"live_frames=yes"* ]] || { echo "GUEST-SUITES FAIL: $features"; exit 1; }
# Single-threaded TCG: the tests wait five times as long (Support/TestTime.swift).
export DROPLEDGER_TEST_TIME_SCALE=5
export DROPLEDGER_BIN_DIR=$DL_BIN_DIR HOME=/root TMPDIR=/tmp TERM=${TERM:-xterm} LANG=C.UTF-8  # tmux needs a UTF-8 locale
cd /tmp
# One test at a time, as `swift test --no-parallel` on the host: they share the kernel
# (program lists, pins). Results as they come (colours off), the whole output in /tmp/tests.log.
"$DL_TEST_BIN" --testing-library swift-testing --no-parallel --filter "$DL_TEST_FILTER" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tee /tmp/tests.log |
	while IFS= read -r line; do
		case $line in *"✘"* | *"Suite "*" passed"* | *"Test run with"* | *"Suite "*" skipped"* | *"recorded an issue"*) echo "$line" ;; esac
	done
rc=${PIPESTATUS[0]}
# A filter that matched nothing, or missed a suite, would pass too: every suite named
# must report that it passed.
for suite in ${DL_TEST_FILTER//|/ }; do
	grep -q "Suite $suite passed" /tmp/tests.log || { echo "GUEST-SUITES FAIL: suite $suite did not pass"; rc=1; }
done
if grep -q 'skipped: "the host kernel refuses' /tmp/tests.log; then
	echo "GUEST-SUITES FAIL: a suite was skipped for a missing kernel feature inside the guest"; rc=1
fi
if [[ $rc != 0 ]]; then
	echo "== the failed tests' whole output =="
	grep -v -E '^(✔|➜|◇)' /tmp/tests.log | head -n 400
fi
echo "DL-SWIFT-TESTS exit $rc"
exit $rc
