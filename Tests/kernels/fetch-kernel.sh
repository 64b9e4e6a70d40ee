#!/usr/bin/env bash
# fetch-kernel.sh SPEC [OUTROOT]
#
# Download a Debian kernel image package and unpack it into
# OUTROOT/<kernel-release>/ (default OUTROOT: .cache/kernels). Prints that dir.
#
# SPEC is one of
#   linux-image-6.1.0-50-amd64=6.1.176-1   exact package and version (what CI pins)
#   linux-image-6.12.*-amd64               glob: newest matching package apt knows
#
# Why this way: the package carries vmlinuz and every module; no chroot or
# install is needed, `apt-get download` + `dpkg-deb -x` are enough. The
# package ships no modules.dep (depmod runs at install time), so we run depmod
# on the extracted tree here, once.
#
# Pinned versions eventually leave Debian's indexes (security updates replace
# them). With DL_KERNEL_FALLBACK=1 (the default) a pin that can no longer be
# downloaded falls back to the newest package of the same series, loudly;
# DL_KERNEL_FALLBACK=0 makes that an error.
#
# If the machine's apt sources do not know the package at all, a private apt
# state under OUTROOT/apt (deb.debian.org: bookworm, bookworm-security, trixie)
# is used via -o Dir::... options; the machine's apt config is never changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ $# -ge 1 ]] || die "usage: $0 PACKAGE[=VERSION]|GLOB [OUTROOT]"
spec=$1
root=${2:-$DL_CACHE}
mkdir -p "$root"
root=$(cd "$root" && pwd)

apt_opts=()   # extra -o options when the private apt state is in use

use_private_apt() {
    local a=$root/apt
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
    cat >"$a/sources.list" <<'SRC'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main
SRC
    apt_opts=(-o "Dir::Etc::SourceList=$a/sources.list" -o "Dir::Etc::SourceParts=$a/none"
              -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache"
              -o "APT::Default-Release=")
    # Refresh at most once a day: the lists are ~100 MB of downloads.
    if [[ -z $(find "$a/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 -print -quit 2>/dev/null) ]]; then
        log "updating private apt lists in $a"
        apt-get "${apt_opts[@]}" -qq update >&2
    fi
}

# Newest installable "name=version" among packages whose names match a glob.
# Flavours (-cloud, -rt) and -dbg/-unsigned are skipped unless the glob names them.
resolve_glob() {
    local glob=$1 name best="" bestver="" ver
    while read -r name; do
        # shellcheck disable=SC2053  # the glob is meant to match
        [[ $name == $glob ]] || continue
        [[ $glob != *cloud* && $name == *-cloud-* ]] && continue
        [[ $glob != *rt* && $name == *-rt-* ]] && continue
        [[ $name == *-dbg || $name == *-unsigned ]] && continue
        ver=$(apt-cache "${apt_opts[@]}" madison "$name" | awk -F'|' 'NR==1{gsub(/ /,"",$2); print $2}')
        [[ -n $ver ]] || continue
        if [[ -z $best ]] || dpkg --compare-versions "$ver" gt "$bestver"; then
            best=$name bestver=$ver
        fi
    done < <(apt-cache "${apt_opts[@]}" pkgnames linux-image- | sort)
    [[ -n $best ]] && echo "$best=$bestver"
}

# Is "name" or "name=version" downloadable? (apt-cache show exits 0 for a missing version.)
available() {
    local name=${1%%=*} ver=${1#*=} have
    have=$(apt-cache "${apt_opts[@]}" madison "$name" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}')
    [[ -n $have ]] || return 1
    [[ $1 != *=* ]] || grep -qxF "$ver" <<<"$have"
}

resolve() {
    local s=$1
    if [[ $s == *[*?]* ]]; then resolve_glob "$s"; return; fi
    available "$s" && { echo "$s"; return; }
    return 1
}

# A glob for "the same series" as a pinned name: linux-image-6.1.0-50-amd64 -> linux-image-6.1.*-amd64
series_glob() { sed -E 's/^linux-image-([0-9]+\.[0-9]+)\..*-(amd64|arm64)$/linux-image-\1.*-\2/' <<<"${1%%=*}"; }

pkg=$(resolve "$spec" || true)
if [[ -z $pkg && ${#apt_opts[@]} -eq 0 ]]; then
    log "$spec not in this machine's apt sources; trying a private apt state"
    use_private_apt
    pkg=$(resolve "$spec" || true)
fi
if [[ -z $pkg && $spec != *[*?]* ]]; then
    [[ ${DL_KERNEL_FALLBACK:-1} == 1 ]] || die "$spec is not downloadable (DL_KERNEL_FALLBACK=0)"
    glob=$(series_glob "$spec")
    pkg=$(resolve_glob "$glob" || true)
    [[ -n $pkg ]] && log "WARNING: pinned $spec is gone from Debian's indexes; using $pkg instead (update the pin)"
fi
[[ -n $pkg ]] || die "no package matches $spec"

name=${pkg%%=*}
# The kernel release is the package name minus "linux-image-" (Debian's convention).
krel=${name#linux-image-}
dest=$root/$krel
if [[ -f $dest/.complete ]] && [[ $(cat "$dest/.complete") == "$pkg" ]]; then
    log "cached: $pkg in $dest"
    echo "$dest"
    exit 0
fi

tmp=$(mktemp -d "$root/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "downloading $pkg"
# apt-get download as root warns that _apt cannot write the dir; harmless, so silenced.
(cd "$tmp"; apt-get "${apt_opts[@]}" -qq download "$pkg" 2>&1 | { grep -v 'unsandboxed' || true; } >&2)
deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
[[ -n $deb ]] || die "apt-get download $pkg produced no .deb"
dpkg-deb -x "$deb" "$tmp/x"
rm -f "$deb"
# trixie and later ship modules under usr/lib (merged /usr); keep one layout.
if [[ ! -d $tmp/x/lib/modules/$krel && -d $tmp/x/usr/lib/modules/$krel ]]; then
    mkdir -p "$tmp/x/lib/modules"
    mv "$tmp/x/usr/lib/modules/$krel" "$tmp/x/lib/modules/"
fi
[[ -d $tmp/x/lib/modules/$krel ]] || die "package $pkg has no lib/modules/$krel"
# depmod: the package has no modules.dep; build-initramfs.sh resolves dependencies from it.
depmod -b "$tmp/x" -a "$krel"
mv "$tmp/x/boot/vmlinuz-$krel" "$tmp/x/vmlinuz"
cp "$tmp/x/boot/config-$krel" "$tmp/x/config"
rm -rf "$tmp/x/boot" "$tmp/x/usr"     # System.map, docs: not needed
echo "$pkg" >"$tmp/x/.complete"
rm -rf "$dest"
mv "$tmp/x" "$dest"
log "unpacked $pkg into $dest"
echo "$dest"
