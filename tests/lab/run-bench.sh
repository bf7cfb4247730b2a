#!/usr/bin/env bash
# Run tests/lab/bench-l2.sh (vmdesk-vmm vs QEMU on the real-Linux L2 boot) inside
# the lab's L1, or directly on a host with hardware virtualization.
#
# Usage: run-bench.sh [--vmm PATH] [--save DIR] [--lab]
#   --vmm PATH  the vmdesk-vmm to measure (default: target/release/vmdesk-vmm,
#               built with `cargo build -p vmm-core --release` if missing)
#   --save DIR  keep every boot's timestamped serial output in DIR
#   --lab       use L1 even on a host with hardware virtualization
# Environment: BENCH_ROUNDS (5), BENCH_CMDLINE_EXTRA, BENCH_ALT_ENV, BENCH_ALT_VMM, BENCH_TRACE, BENCH_QEMU_MACHINE,
# BENCH_QEMU_EXTRA, BENCH_TIMEOUT, BENCH_VIRTIO_RNG, VMDESK_LINUX_DIR (see bench-l2.sh);
# LAB_TIMEOUT (default 3600 s) bounds the L1 run.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
die() { printf '%s\n' "run-bench: error: $*" >&2; exit "${2:-125}"; }

vmm=""
save=""
force_lab=0
while [ $# -gt 0 ]; do
    case "$1" in
        --vmm) [ $# -ge 2 ] || die "--vmm needs a path" 2; vmm="$2"; shift ;;
        --save) [ $# -ge 2 ] || die "--save needs a directory" 2; save="$2"; shift ;;
        --lab) force_lab=1 ;;
        -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1" 2 ;;
    esac
    shift
done

"$repo/tests/linux/build-guest.sh" >&2 || die "tests/linux/build-guest.sh failed" 1
if [ -z "$vmm" ]; then
    vmm="${CARGO_TARGET_DIR:-$repo/target}/release/vmdesk-vmm"
    [ -x "$vmm" ] || (cd "$repo" && cargo build -p vmm-core --bin vmdesk-vmm --release) >&2 ||
        die "cargo build -p vmm-core --release failed" 1
fi
[ -x "$vmm" ] || die "no vmdesk-vmm at $vmm" 2
envs=(VMDESK_VMM="$(readlink -f "$vmm")")
for v in BENCH_ROUNDS BENCH_ALT_ENV BENCH_ALT_VMM BENCH_TRACE BENCH_CMDLINE BENCH_CMDLINE_EXTRA BENCH_QEMU_MACHINE BENCH_QEMU_EXTRA BENCH_TIMEOUT BENCH_VIRTIO_RNG VMDESK_LINUX_DIR; do
    [ -z "${!v:-}" ] || envs+=("$v=${!v}")
done
if [ -n "$save" ]; then
    mkdir -p "$save"
    save="$(cd "$save" && pwd -P)"
    envs+=(BENCH_SAVE_DIR="$save")
fi

if [ "$force_lab" -eq 0 ] && "$here/run-in-l1.sh" --host-kvm 2>/dev/null; then
    exec env "${envs[@]}" "$here/bench-l2.sh"
fi
args=(--timeout "${LAB_TIMEOUT:-3600}")
for e in "${envs[@]}"; do args+=(--env "$e"); done
[ -z "$save" ] || args+=(--rw "$save")
exec "$here/run-in-l1.sh" "${args[@]}" "$here/bench-l2.sh"
