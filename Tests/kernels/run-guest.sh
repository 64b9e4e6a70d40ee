#!/usr/bin/env bash
# run-guest.sh -k KDIR -i INITRAMFS [-l LOG] [-t TIMEOUT_S]
#
# Boot KDIR/vmlinuz with the initramfs under qemu, capture the serial console
# to LOG, print what the scenario printed between the DL-RESULT markers, and
# exit with the scenario's exit code. If the markers never appear (panic,
# hang, timeout) print the log tail and exit non-zero (124 on timeout).
#
# Acceleration (DL_QEMU_ACCEL): auto (the default: probe KVM
# once, fall back to TCG), kvm or tcg. On the Firecracker dev/CI VMs nested KVM hangs
# right after the kernel is decompressed, so auto costs a ~10 s probe there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir="" initrd="" logf="" tmo=${DL_GUEST_TIMEOUT:-300}
while getopts "k:i:l:t:" opt; do
    case $opt in
        k) kdir=$OPTARG ;; i) initrd=$OPTARG ;; l) logf=$OPTARG ;; t) tmo=$OPTARG ;;
        *) die "usage: $0 -k KDIR -i INITRAMFS [-l LOG] [-t TIMEOUT_S]" ;;
    esac
done
[[ -f $kdir/vmlinuz && -f $initrd ]] || die "need -k KDIR (with vmlinuz) and -i INITRAMFS"
[[ -n $logf ]] || logf=$DL_CACHE/logs/$(kernel_release "$kdir").log
mkdir -p "$(dirname "$logf")"

# No NIC (-nic none): the guest needs no network and must not reach any. With
# DL_GUEST_HOSTFWD (qemu's "tcp:127.0.0.1:HOSTPORT-:GUESTPORT"), one user-mode NIC whose only
# use is that forward: restrict=on keeps the guest from reaching the host or anything else
# (Tests/kernels/page-demo.sh, where the host's Chromium opens the guest's demo).
nic=(-nic none)
[[ -n ${DL_GUEST_HOSTFWD:-} ]] && nic=(-nic "user,model=virtio-net-pci,restrict=on,hostfwd=$DL_GUEST_HOSTFWD")
base=(qemu-system-x86_64 -m "${DL_GUEST_MEM:-2048}" -smp "${DL_GUEST_CPUS:-2}"
      -nographic -no-reboot "${nic[@]}" -kernel "$kdir/vmlinuz")

kvm_works() {
    [[ -r /dev/kvm && -w /dev/kvm ]] || return 1
    local probe
    probe=$DL_CACHE/kvm-probe.$(uname -r)
    if [[ ! -f $probe ]]; then
        # Boot without an initramfs: a working guest reaches "Kernel panic"
        # (no root fs) in about a second and exits through -no-reboot.
        log "probing KVM (up to 10 s)"
        mkdir -p "$DL_CACHE"
        timeout 10 "${base[@]}" -enable-kvm -cpu host -append "console=ttyS0 panic=-1" \
            </dev/null >"$probe.log" 2>&1 || true
        if grep -aq 'Linux version' "$probe.log"; then
            echo yes >"$probe"
        else
            echo no >"$probe"
        fi
    fi
    [[ $(cat "$probe") == yes ]]
}

accel=${DL_QEMU_ACCEL:-auto}
if [[ $accel == auto ]]; then
    if kvm_works; then accel=kvm; else accel=tcg; fi
fi
case $accel in
    kvm) base+=(-enable-kvm -cpu host) ;;
    # max: every CPU feature TCG can emulate; multi-threaded TCG uses both host cores.
    # DL_TCG_THREAD=single runs the vCPUs in turn on one host thread: slower, but free of
    # multi-threaded TCG's stale translations of kernel text another vCPU is patching
    # (the int3 oops matrix.sh retries once), which a long run of injections hits.
    tcg) base+=(-accel "tcg,thread=${DL_TCG_THREAD:-multi}" -cpu max) ;;
    *) die "DL_QEMU_ACCEL must be tcg, kvm or auto" ;;
esac

log "booting $(kernel_release "$kdir") ($accel, timeout ${tmo}s), console -> $logf"
start=$(date +%s.%N)
set +e
timeout --kill-after=10 "$tmo" "${base[@]}" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet ${DL_GUEST_APPEND:-}" </dev/null >"$logf" 2>&1
qrc=$?
set -e
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')

# The serial console writes CRLF; the markers are whole lines.
tr -d '\r' <"$logf" >"$logf.txt"
code=$(sed -n 's/^DL-EXIT \([0-9][0-9]*\)$/\1/p' "$logf.txt" | tail -n1)
if ! grep -qx 'DL-RESULT-BEGIN' "$logf.txt" || [[ -z $code ]]; then
    if [[ $qrc == 124 ]]; then log "TIMEOUT after ${tmo}s"; else log "no result markers (qemu exit $qrc)"; fi
    tail -n 40 "$logf.txt" >&2
    echo "DL-TIME $secs"
    [[ $qrc == 124 ]] && exit 124
    exit 125
fi
sed -n '/^DL-RESULT-BEGIN$/,/^DL-RESULT-END$/{/^DL-RESULT-/d;p}' "$logf.txt"
echo "DL-TIME $secs"
exit "$code"
