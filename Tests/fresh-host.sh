#!/usr/bin/env bash
# Runs a command as on a fresh host: in a private mount namespace from which every BPF
# filesystem at /sys/fs/bpf has been unmounted (a fresh Debian machine, a container or a
# CI runner has none; systemd mounts one at boot). Nothing done inside reaches the host's
# mounts. Usage: Tests/fresh-host.sh COMMAND [ARG...]
set -euo pipefail
if [[ "${DL_FRESH_HOST_INSIDE:-}" != 1 ]]; then
	DL_FRESH_HOST_INSIDE=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
while [[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" == bpf_fs ]]; do
	umount /sys/fs/bpf
done
unset DL_FRESH_HOST_INSIDE
"$@"
