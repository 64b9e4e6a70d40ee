# shellcheck shell=bash
# Shared helpers for Tests/kernels/*.sh (sourced, not executed).
# Paths default to the repo's gitignored .cache/ so CI and developers share a layout.
DL_KERNELS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DL_REPO_ROOT=$(cd "$DL_KERNELS_DIR/../.." && pwd)
DL_CACHE=${DL_CACHE:-$DL_REPO_ROOT/.cache/kernels}

log() { printf '[kernels] %s\n' "$*" >&2; }
die() { printf '[kernels] ERROR: %s\n' "$*" >&2; exit 1; }

# The kernel release (uname -r) of an extracted kernel dir: the only dir under lib/modules.
kernel_release() { basename "$(find "$1/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit)"; }
