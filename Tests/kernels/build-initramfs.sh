#!/usr/bin/env bash
# build-initramfs.sh -k KDIR -s SCENARIO -o OUT.cpio.gz [-m MODULES]... [-f HOSTPATH]...
#
#   -k KDIR      kernel dir made by fetch-kernel.sh (vmlinuz + lib/modules/<rel>)
#   -s SCENARIO  shell script run in the guest as /scenario.sh (busybox sh)
#   -o OUT       output initramfs (gzip'd newc cpio)
#   -m MODULES   module names (space/comma separated, repeatable). Dependencies
#                are resolved from the kernel's modules.dep; names that are
#                built in are skipped; names that are neither are a warning
#                (e.g. nft_chain_filter lives inside nf_tables.ko).
#   -f HOSTPATH  host file or dir to copy in at the same path (repeatable). ELF
#                files bring every library `ldd` lists plus the loader, at the
#                same paths, so the host-built binaries run unchanged.
#
# The guest /init mounts the usual filesystems, loads the modules, runs
# /scenario.sh with its output between DL-RESULT-BEGIN / DL-RESULT-END, prints
# DL-EXIT <code> and powers off. run-guest.sh reads those markers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir="" scenario="" out="" modules=() files=()
while getopts "k:s:o:m:f:" opt; do
    case $opt in
        k) kdir=$OPTARG ;;
        s) scenario=$OPTARG ;;
        o) out=$OPTARG ;;
        m) read -r -a m <<<"${OPTARG//,/ }"; modules+=("${m[@]}") ;;
        f) files+=("$OPTARG") ;;
        *) die "usage: $0 -k KDIR -s SCENARIO -o OUT [-m MODULES]... [-f HOSTPATH]..." ;;
    esac
done
[[ -n $kdir && -n $scenario && -n $out ]] || die "-k, -s and -o are required"
[[ -f $kdir/vmlinuz ]] || die "$kdir is not a fetch-kernel.sh dir"
[[ -f $scenario ]] || die "no scenario $scenario"
busybox=$(command -v busybox) || die "busybox not installed (busybox-static)"
# A dynamic busybox would need its libs too; the static one is self-contained.
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked: install busybox-static"

kdir=$(cd "$kdir" && pwd)
krel=$(kernel_release "$kdir")
stage=$(mktemp -d "${TMPDIR:-/tmp}/dl-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- busybox and its applets (symlinks, as `busybox --install -s` would) ---
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lib/modules/"$krel"}
cp "$busybox" "$stage/bin/busybox"
while read -r applet; do
    [[ -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)
# The kernel opens /dev/console before /init runs; without it early output is lost.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

# --- host files, with their shared libraries ---
copy_one() {  # copy a host file to the same path in the stage, dereferencing symlinks
    local src=$1 dst=$stage$1
    mkdir -p "$(dirname "$dst")"
    rm -f "$dst"                     # may be a busybox applet symlink: the real tool wins
    cp -L --preserve=mode "$src" "$dst"
}
is_elf() { [[ $(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ') == '177ELF' ]]; }
copy_with_libs() {
    local f=$1 lib
    copy_one "$f"
    is_elf "$f" || return 0
    # ldd prints "name => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)";
    # take every absolute path. Static binaries print "not a dynamic executable".
    while read -r lib; do
        [[ -e $stage$lib ]] || copy_one "$lib"
    done < <(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true)
    if ldd "$f" 2>/dev/null | grep -q 'not found'; then
        die "$f has unresolved libraries: $(ldd "$f" | grep 'not found' | tr -s ' \t' ' ')"
    fi
}
# The scenario runs under the host's bash, not busybox sh: Debian's static
# busybox sh runs its own applets before PATH, so `ip` would be busybox's even
# with iproute2's copied in. bash does a normal PATH search.
hostbash=$(readlink -f "$(command -v bash)")
copy_with_libs "$hostbash"
for p in "${files[@]}"; do
    [[ $p == /* ]] || p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
    [[ -e $p ]] || die "no such host file: $p"
    if [[ -d $p ]]; then
        while IFS= read -r -d '' f; do copy_with_libs "$f"; done < <(find "$p" -type f -print0)
    else
        copy_with_libs "$p"
    fi
done
# glibc dlopens libgcc_s for pthread_cancel and backtraces; ldd cannot see that.
# (awk reads to the end: an early exit would SIGPIPE ldconfig and trip pipefail.)
g=$(ldconfig -p | awk '/libgcc_s\.so\.1 .*x86-64/ && !g {g=$NF} END {print g}')
if [[ -n $g && ! -e $stage$g ]]; then copy_one "$g"; fi

# --- kernel modules, dependencies first, decompressed on the host ---
# `modprobe --show-depends` reads the modules.dep fetch-kernel.sh generated and
# prints "insmod PATH" lines in load order, or "builtin NAME".
mroot=$kdir/lib/modules/$krel
: >"$stage/etc/dl-modules"
declare -A seen=()
for name in "${modules[@]}"; do
    if ! deps=$(modprobe -d "$kdir" -S "$krel" --show-depends "$name" 2>/dev/null); then
        if grep -Eq "/${name//_/[_-]}\.ko" "$mroot/modules.builtin"; then
            log "module $name: built into $krel"
        else
            log "WARNING: module $name: neither a module nor built in on $krel; skipped"
        fi
        continue
    fi
    while read -r kind path _; do
        [[ -n $kind ]] || continue
        [[ $kind == insmod ]] || { log "module $path: built into $krel"; continue; }
        rel=${path#"$mroot"/}
        plain=${rel%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
        [[ -n ${seen[$plain]:-} ]] && continue
        seen[$plain]=1
        mkdir -p "$(dirname "$stage/lib/modules/$krel/$plain")"
        case $rel in
            *.xz)  xz -dc "$path" ;;
            *.zst) zstd -qdc "$path" ;;
            *.gz)  gzip -dc "$path" ;;
            *)     cat "$path" ;;
        esac >"$stage/lib/modules/$krel/$plain"
        echo "$plain" >>"$stage/etc/dl-modules"
    done <<<"$deps"
done
# A modules.dep for what we shipped, so `modprobe NAME` (busybox) in a
# scenario and the kernel's request_module() work for these modules.
cp "$mroot"/modules.{builtin,order} "$stage/lib/modules/$krel/" 2>/dev/null || true
cp "$mroot"/modules.builtin.modinfo "$stage/lib/modules/$krel/" 2>/dev/null || true
depmod -b "$stage" -a "$krel" 2>/dev/null || log "WARNING: depmod on the initramfs failed"

# libbpf (__kconfig externs) and bpftool read /boot/config-$(uname -r).
mkdir -p "$stage/boot"
cp "$kdir/config" "$stage/boot/config-$krel"

# --- scenario and /init ---
cp "$scenario" "$stage/scenario.sh"
echo "$hostbash" >"$stage/etc/dl-shell"
chmod +x "$stage/scenario.sh"
cat >"$stage/init" <<'INIT'
#!/bin/sh
# Guest init: set up a minimal system, run /scenario.sh, report, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# The initramfs root is already writable RAM: no tmpfs over /tmp or /run,
# which would hide host files copied there with -f.
mkdir -p /dev/pts /dev/shm /run/netns /tmp
mount -t devpts devpts /dev/pts
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 1 >/proc/sys/kernel/printk       # keep kernel chatter off the console
ulimit -l unlimited 2>/dev/null       # pre-5.11 style memlock limits, harmless on newer
ip link set lo up
while read -r ko; do
    insmod "/lib/modules/$(uname -r)/$ko" || echo "DL-WARN insmod $ko failed"
done </etc/dl-modules
export DL_KERNEL_RELEASE="$(uname -r)"
DL_SHELL=$(cat /etc/dl-shell)
echo
echo DL-RESULT-BEGIN
cd /
"$DL_SHELL" /scenario.sh 2>&1
rc=$?
echo
echo DL-RESULT-END
echo "DL-EXIT $rc"
sync
poweroff -f
INIT
chmod +x "$stage/init"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
log "initramfs $out ($(du -h "$out" | cut -f1), kernel $krel, $(wc -l <"$stage/etc/dl-modules") modules)"
