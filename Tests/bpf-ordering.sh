#!/usr/bin/env bash
# The per-CPU rings' memory ordering per architecture (bpf/event_ring.h), checked on the
# compiled objects: every kfree_skb program built for arm64 publishes with an atomic
# exchange (a release there), the x86 ones with a plain store (already a release under
# TSO), and an architecture nobody checked fails to build, in the Makefile and in the header.
# Usage: Tests/bpf-ordering.sh X86_OBJECT ARM64_OBJECT
set -euo pipefail
cd "$(dirname "$0")/.."
x86=$1 arm64=$2
clang=${CLANG:-clang}
objdump=$(dirname "$(command -v "$clang")")/llvm-objdump
[[ -x $objdump ]] || objdump=llvm-objdump
fail() { echo "bpf-ordering: FAIL: $*" >&2; exit 1; }

# "<program>: N" for each function of the kfree_skb section: how many xchg_64 it has.
exchanges() {
	"$objdump" -d --no-show-raw-insn "$1" | awk '
		/^Disassembly of section/ { in_section = ($4 == "tp_btf/kfree_skb:") }
		in_section && /^[0-9a-f]+ </ { name = $2; count[name] = 0 }
		in_section && /xchg_64\(/ { count[name]++ }
		END { for (n in count) print n, count[n] }'
}

arm=$(exchanges "$arm64")
[[ -n $arm ]] || fail "no kfree_skb program in $arm64"
while read -r program count; do
	[[ $count -ge 1 ]] || fail "$program for arm64 publishes its ring's head without an atomic exchange"
done <<<"$arm"
while read -r program count; do
	[[ $count -eq 0 ]] || fail "$program for x86 has $count atomic exchanges: x86 needs none (TSO)"
done <<<"$(exchanges "$x86")"
echo "bpf-ordering: arm64 publishes with xchg_64 ($(echo $arm | tr '\n' ' ')), x86 with a plain store"

out=$(make --no-print-directory MACHINE=riscv64 bpf 2>&1) && fail "make for riscv64 succeeded"
grep -q "dropledger builds on x86_64 and aarch64 only, not riscv64" <<<"$out" || fail "make for riscv64 said: $out"
out=$("$clang" -target bpf -D__TARGET_ARCH_riscv -I/usr/include/"$(uname -m)"-linux-gnu -Ibpf \
	-c bpf/dropledger.bpf.c -o /dev/null 2>&1) && fail "the ring header compiled for riscv"
grep -q "dropledger's rings are built for x86 and arm64 only" <<<"$out" || fail "the header for riscv said: $out"
echo "bpf-ordering: an unchecked architecture (riscv64) is refused by the Makefile and by bpf/event_ring.h"
