#!/usr/bin/env bash
# Self-test of the kernel harness, run inside the guest by /init (under bash).
# Proves: BTF is there, modules load (veth + its BTF), netns/veth work, bpffs
# is mounted, and dynamically linked host binaries (ip, nft, bpftool) run.
set -e
fail() { echo "SELFTEST FAIL: $*"; exit 1; }
echo "kernel: $(uname -r)"

test -r /sys/kernel/btf/vmlinux || fail "no /sys/kernel/btf/vmlinux"
echo "btf vmlinux: $(wc -c </sys/kernel/btf/vmlinux) bytes"

# iproute2's ip (copied from the host with its libs), not busybox's.
ip -V
ip netns add dl0
ip link add dlv0 type veth peer name dlv1
ip link set dlv1 netns dl0
ip addr add 10.99.0.1/24 dev dlv0            # addresses only inside this guest
ip link set dlv0 up
ip -n dl0 addr add 10.99.0.2/24 dev dlv1
ip -n dl0 link set dlv1 up
ip -n dl0 link set lo up
test -r /sys/kernel/btf/veth || fail "no /sys/kernel/btf/veth after loading veth"
echo "btf veth: $(wc -c </sys/kernel/btf/veth) bytes"
ping -c 1 -W 2 10.99.0.2 >/dev/null || fail "ping over veth"
echo "veth ping ok"

grep -q ' /sys/fs/bpf bpf' /proc/mounts || fail "bpffs not mounted"
echo "bpffs: [$(ls /sys/fs/bpf)]"
test -e /sys/kernel/tracing/events/skb/kfree_skb/format || fail "no kfree_skb tracepoint"
# Its arguments differ by kernel (rx_sk appeared in 6.11): print them.
echo "kfree_skb fields: $(sed -n 's/.*field:[^;]* \**\([a-z_]*\);.*/\1/p' /sys/kernel/tracing/events/skb/kfree_skb/format | grep -v '^common_' | tr '\n' ' ')"

nft --version
nft add table inet t
nft add chain inet t in '{ type filter hook input priority 0; }'
nft add rule inet t in udp dport 7777 drop
nft add rule inet t in udp dport 7778 reject     # needs nft_reject_inet (a module)
nft list ruleset | grep -q 'dport 7777 drop' || fail "nft rule missing"
echo "nft ok"

bpftool version
bpftool btf list | head -n 3
# What the kernel-side programs need: tracing (tp_btf) and XDP program types.
bpftool feature probe kernel | grep -E "program_type (tracing|xdp) " || fail "bpftool feature probe"
echo "bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable)"
echo "SELFTEST OK"
