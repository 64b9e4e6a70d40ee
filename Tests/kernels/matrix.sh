#!/usr/bin/env bash
# matrix.sh [-s SCENARIO] [-m MODULES]... [-f HOSTPATH]... [-k KERNEL_SPEC]...
#
# For every kernel in the matrix: fetch it, build an initramfs with the
# scenario and the host files (same host-built binaries for every kernel),
# boot it, and print one line: "PASS <release> <seconds>s" or "FAIL ...".
# Exits non-zero if any kernel failed. Logs: .cache/kernels/logs/<release>.log
#
# Defaults: the self-test scenario, and the kernels pinned below. -k (repeatable)
# or DL_KERNELS (space separated) replace the pins; a spec is
# "package=version" or a glob such as 'linux-image-6.12.*-amd64' (newest).
# The host's own kernel is not in the matrix: it is tested natively.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Pinned for reproducible CI. 6.1: Debian 12's own kernel (bookworm main and
# bookworm-security). 6.12: Debian's linux-6.12 for bookworm, in bookworm-security.
DL_KERNEL_6_1=${DL_KERNEL_6_1:-linux-image-6.1.0-50-amd64=6.1.176-1}
DL_KERNEL_6_12=${DL_KERNEL_6_12:-linux-image-6.12.117+deb12-amd64=6.12.117-1~deb12u1}
read -r -a kernels <<<"${DL_KERNELS:-$DL_KERNEL_6_1 $DL_KERNEL_6_12}"

scenario=$DL_KERNELS_DIR/selftest-scenario.sh
mods=() files=() user_kernels=() selftest=1
while getopts "s:m:f:k:" opt; do
    case $opt in
        s) scenario=$OPTARG selftest=0 ;;
        m) mods+=(-m "$OPTARG") ;;
        f) files+=(-f "$OPTARG") ;;
        k) user_kernels+=("$OPTARG") ;;
        *) die "usage: $0 [-s SCENARIO] [-m MODULES]... [-f HOSTPATH]... [-k KERNEL_SPEC]..." ;;
    esac
done
[[ ${#user_kernels[@]} -gt 0 ]] && kernels=("${user_kernels[@]}")
if [[ $selftest == 1 && ${#mods[@]} -eq 0 && ${#files[@]} -eq 0 ]]; then
    mods=(-m "veth nf_tables nft_reject_inet")
    files=(-f /usr/sbin/ip -f /usr/sbin/nft -f /usr/sbin/bpftool)
fi

summary=() failed=0
for spec in "${kernels[@]}"; do
    if ! kdir=$("$DL_KERNELS_DIR/fetch-kernel.sh" "$spec"); then
        summary+=("FAIL $spec (fetch)"); failed=1; continue
    fi
    krel=$(kernel_release "$kdir")
    name=$krel${DL_RUN_NAME:+-$DL_RUN_NAME}   # another scenario's files beside the pipeline's
    initrd=$DL_CACHE/initramfs/$name.cpio.gz
    if ! "$DL_KERNELS_DIR/build-initramfs.sh" -k "$kdir" -s "$scenario" -o "$initrd" \
            ${mods[@]+"${mods[@]}"} ${files[@]+"${files[@]}"}; then
        summary+=("FAIL $krel (initramfs)"); failed=1; continue
    fi
    mkdir -p "$DL_CACHE/logs"
    out=$DL_CACHE/logs/$name.result
    note=""
    for attempt in 1 2; do
        set +e
        "$DL_KERNELS_DIR/run-guest.sh" -k "$kdir" -i "$initrd" -l "$DL_CACHE/logs/$name.log" | tee "$out"
        rc=${PIPESTATUS[0]}
        set -e
        # Multi-threaded TCG now and then runs a stale translation of kernel text that
        # another vCPU was patching (static keys, the XDP dispatcher the injector swaps):
        # the guest dies with "Oops: int3" in unrelated kernel code, before any result.
        # That one emulator failure gets one more boot, and the summary says so.
        if [[ $attempt == 1 && $rc == 125 ]] && grep -q 'Oops: int3' "$DL_CACHE/logs/$name.log.txt"; then
            echo "[kernels] $krel: the guest died of a TCG int3 oops (see $DL_CACHE/logs/$name.log.txt); booting it again"
            cp "$DL_CACHE/logs/$name.log.txt" "$DL_CACHE/logs/$name.int3-oops.txt"
            note=" (second boot: the first died of a TCG int3 oops)"
            continue
        fi
        break
    done
    secs=$(sed -n 's/^DL-TIME //p' "$out" | tail -n1 || true)
    if [[ $rc == 0 ]]; then summary+=("PASS $krel ${secs}s$note")
    else summary+=("FAIL $krel exit=$rc ${secs}s$note"); failed=1; fi
done

echo "== kernel matrix =="
printf '%s\n' "${summary[@]}"
exit "$failed"
