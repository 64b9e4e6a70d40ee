#!/usr/bin/env bash
# page-demo.sh -t TEST_BIN -b BIN_DIR [-k KERNEL_SPEC] [-m MODULES]... [-f HOSTPATH]...
#
# The overview page against the real demo, on a host whose kernel refuses the tagger
# (XDP metadata writes): the demo runs in a guest kernel that allows it (Debian's 6.12
# by default) and qemu forwards one loopback port of this host to its exporter; the
# host's headless Chromium, too big for the guest's initramfs and too slow under TCG,
# opens the page there. TEST_BIN (the `swift test` binary) runs
# OverviewPageTests/showsTheDemoCustomersWithNamesAndLoss with DROPLEDGER_DEMO_URL set,
# once the demo's API lists its three customers with drops. Exits with the test's
# status; the guest is stopped on every exit. `make test` runs this (test-page-demo).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

test_bin="" bin_dir="" spec=${DL_KERNEL_6_12:-linux-image-6.12.117+deb12-amd64=6.12.117-1~deb12u1}
mods=() files=()
while getopts "t:b:k:m:f:" opt; do
    case $opt in
        t) test_bin=$OPTARG ;; b) bin_dir=$OPTARG ;; k) spec=$OPTARG ;;
        m) mods+=(-m "$OPTARG") ;; f) files+=(-f "$OPTARG") ;;
        *) die "usage: $0 -t TEST_BIN -b BIN_DIR [-k KERNEL_SPEC] [-m MODULES]... [-f HOSTPATH]..." ;;
    esac
done
[[ -x $test_bin && -x $bin_dir/dropledger ]] || die "need -t TEST_BIN and -b BIN_DIR (with dropledger)"
test_name=showsTheDemoCustomersWithNamesAndLoss

kdir=$("$DL_KERNELS_DIR/fetch-kernel.sh" "$spec")
krel=$(kernel_release "$kdir")
work=$(mktemp -d "${TMPDIR:-/tmp}/dl-page-demo.XXXXXX")
guest=""
cleanup() {
    set +e
    # run-guest.sh leads a session of its own (setsid); its `timeout` puts qemu in another
    # process group, but in that session: stop the whole session.
    if [[ -n $guest ]]; then
        pkill -TERM -s "$guest"
        wait "$guest" 2>/dev/null
        pkill -KILL -s "$guest"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Long enough for a slow guest; the guest is stopped as soon as the test is done.
sed "2i export DL_BIN_DIR=$bin_dir DL_DEMO_SECONDS=900" "$DL_KERNELS_DIR/page-demo-scenario.sh" >"$work/scenario.sh"
initrd=$DL_CACHE/initramfs/$krel-page-demo.cpio.gz
"$DL_KERNELS_DIR/build-initramfs.sh" -k "$kdir" -s "$work/scenario.sh" -o "$initrd" \
    -m virtio_net ${mods[@]+"${mods[@]}"} -f "$bin_dir/dropledger" -f "$bin_dir/dropledger-inject" ${files[@]+"${files[@]}"}

# A free loopback port for the forward (the kernel picks it; qemu binds it right after).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
mkdir -p "$DL_CACHE/logs"
guest_log=$DL_CACHE/logs/$krel-page-demo.log
DL_GUEST_HOSTFWD="tcp:127.0.0.1:$port-:10437" DL_GUEST_TIMEOUT=1200 \
    setsid "$DL_KERNELS_DIR/run-guest.sh" -k "$kdir" -i "$initrd" -l "$guest_log" >"$work/guest.out" 2>&1 &
guest=$!
log "the demo boots in $krel; its exporter is forwarded to $url (console: $guest_log)"

# Until the demo's API lists 101, 202 and 303 with drops (the tagger, the lab and the
# traffic are up); TCG boots and starts it in about a minute.
ready() {
    curl -sS --fail --max-time 10 "$url/api/v1/customers" 2>/dev/null | python3 -c '
import json, sys
customers = {c["customer"]: c for c in json.load(sys.stdin)["customers"]}
sys.exit(0 if all(customers.get(c, {}).get("drops", 0) > 0 for c in ("101", "202", "303")) else 1)' 2>/dev/null
}
deadline=$((SECONDS + 600))
until ready; do
    if ! kill -0 "$guest" 2>/dev/null; then
        cat "$work/guest.out" >&2
        die "the guest stopped before its demo served the three customers (console: $guest_log)"
    fi
    if ((SECONDS > deadline)); then
        tail -n 40 "$guest_log" >&2 || true
        die "the demo in the guest did not serve the three customers within 600 s"
    fi
    sleep 2
done
log "the demo serves its customers after $SECONDS s; running $test_name on this host"

set +e
DROPLEDGER_DEMO_URL=$url "$test_bin" --testing-library swift-testing --filter "OverviewPageTests/$test_name" 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' | tee "$work/test.log"
rc=${PIPESTATUS[0]}
set -e
# Skipped or filtered away would pass too: the test must have run and passed.
if ! grep -q "Test $test_name() passed" "$work/test.log"; then
    echo "PAGE-DEMO FAIL: $test_name did not run and pass against $url" >&2
    rc=1
fi
exit "$rc"
