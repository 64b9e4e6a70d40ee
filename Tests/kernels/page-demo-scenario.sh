#!/usr/bin/env bash
# The demo inside a guest kernel that lets the tagger run, served to the host through
# qemu's port forward (Tests/kernels/page-demo.sh): the host's Chromium opens its page.
# Runs as /scenario.sh under the harness (page-demo.sh puts DL_BIN_DIR and
# DL_DEMO_SECONDS on line 2). The guest's only NIC is qemu's user-mode one, restricted
# to the forward.
set -u
: "${DL_BIN_DIR:?}" "${DL_DEMO_SECONDS:?}"
echo "kernel: $(uname -r)"
echo "DL-FEATURES $("$DL_BIN_DIR/dropledger-inject" features | tr '\n' ' ')"
# The one device backed by hardware (virtio-net); tunnel modules add virtual ones (erspan0, ...).
nic=""
for dev in /sys/class/net/*; do [[ -e $dev/device ]] && { nic=${dev##*/}; break; }; done
[[ -n $nic ]] || { echo "PAGE-DEMO FAIL: no NIC in the guest (is virtio_net in the initramfs?)"; exit 1; }
# qemu's user-mode network: the guest is 10.0.2.15/24; forwards arrive from 10.0.2.2.
ip addr add 10.0.2.15/24 dev "$nic" && ip link set "$nic" up || { echo "PAGE-DEMO FAIL: $nic"; exit 1; }
echo "PAGE-DEMO serving on $nic"
"$DL_BIN_DIR/dropledger" demo --duration "$DL_DEMO_SECONDS" --web.listen-address 0.0.0.0:10437 2>&1 | tail -n 30
rc=${PIPESTATUS[0]}
echo "PAGE-DEMO demo exit $rc"
exit "$rc"
