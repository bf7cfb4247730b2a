#!/usr/bin/env bash
# CI entry point for vmdesk's real-Linux lab tests (tests/lab/lab-tests.sh).
#
# Builds what is needed (the L2 guest: tests/linux/build-guest.sh; the VMM:
# cargo build -p vmm-core; L1: tests/lab/build-l1.sh), then runs lab-tests.sh
# inside one L1 boot (tests/lab/run-in-l1.sh) and exits with its status. On a host
# with hardware virtualization (kvm_intel / kvm_amd) it runs lab-tests.sh
# directly, without L1 (unless --lab). Prints "LAB-SUITE PASS|FAIL ... in S s".
#
# Usage: run-lab-tests.sh [--vmm PATH] [--release] [--lab] [--save DIR] [TEST...]
#   --vmm PATH   test this vmdesk-vmm binary (no cargo build)
#   --release    cargo build --release (default: debug)
#   --lab        use the L1 lab even on a host with hardware virtualization
#   --save DIR   keep every test's vm.toml, serial.log and vmdesk-vmm output in DIR/<test>/
#   TEST...      a subset of: boot serial-both-ways acpi-power-button efifb-console disk-ext4
#                snapshot-revert broken-kernel not-a-kernel vm-vs-container gpu-resize, or the opt-in
#                net-passt net-forward-slirp uefi-vars bios-virtio-disk bios-cdrom-linux bios-reboot
# Also makes the PC tests' ISO (tests/lab/make-pc-iso.sh) and gpu-resize's generic kernel +
# virtio_gpu initramfs (tests/lab/make-gpu-initrd.sh) on the host.
# Environment passed on to lab-tests.sh: LAB_BREAK, LAB_TESTS, L2_TIMEOUT,
# L2_PC_TIMEOUT, L2_CMDLINE_EXTRA, LAB_VERBOSE, VMDESK_LINUX_DIR, LAB_GPU_DIR. LAB_TIMEOUT (default 1200 s)
# bounds the L1 run. Exit status: lab-tests.sh's (0 all passed, 1 a test failed);
# 124 timeout; 125 the lab could not run (e.g. QEMU missing); 2 bad usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

say() { printf '%s\n' "run-lab-tests: $*" >&2; }
die() { printf '%s\n' "run-lab-tests: error: $*" >&2; exit "${2:-125}"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

vmm=""
profile=debug
force_lab=0
save=""
while [ $# -gt 0 ]; do
    case "$1" in
        --vmm) [ $# -ge 2 ] || die "--vmm needs a path" 2; vmm="$2"; shift ;;
        --release) profile=release ;;
        --lab) force_lab=1 ;;
        --save) [ $# -ge 2 ] || die "--save needs a directory" 2; save="$2"; shift ;;
        -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        -*) die "unknown option: $1" 2 ;;
        *) break ;;
    esac
    shift
done

t0="$(now)"
result() { # STATUS
    local verdict=FAIL
    [ "$1" -eq 0 ] && verdict=PASS
    echo "LAB-SUITE $verdict status=$1 in $(since "$t0") s (builds $t_build s, tests $(since "$t_tests") s)"
    exit "$1"
}

hw=0
if "$here/run-in-l1.sh" --host-kvm 2>/dev/null; then hw=1; fi
use_lab=1
[ "$hw" -eq 1 ] && [ "$force_lab" -eq 0 ] && use_lab=0

if [ "$use_lab" -eq 1 ]; then
    qemu="${LAB_QEMU:-qemu-system-x86_64}"
    if ! command -v "$qemu" >/dev/null 2>&1; then
        echo "LAB-SUITE FAIL: $qemu is not installed; the real-Linux lab needs it (this host has no hardware virtualization)." >&2
        cat >&2 <<'EOF'
Install QEMU from bookworm-backports (Debian 12), as root:
    tests/lab/install-qemu.sh
or by hand:
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        >/etc/apt/sources.list.d/backports.sources
    apt-get update
    apt-get install -y --no-install-recommends -t bookworm-backports qemu-system-x86
(take the URI from /etc/apt/sources.list.d/debian.sources if your mirror differs)
EOF
        exit 125
    fi
fi

# ---------------------------------------------------------------- builds
t_b="$(now)"
say "building the L2 guest (tests/linux/build-guest.sh)"
"$repo/tests/linux/build-guest.sh" >&2 || die "tests/linux/build-guest.sh failed" 1
if [ -z "$vmm" ]; then
    say "cargo build -p vmm-core ($profile)"
    args=(build -p vmm-core --bin vmdesk-vmm)
    [ "$profile" = release ] && args+=(--release)
    (cd "$repo" && cargo "${args[@]}") >&2 || die "cargo build -p vmm-core failed" 1
    vmm="${CARGO_TARGET_DIR:-$repo/target}/$profile/vmdesk-vmm"
fi
[ -x "$vmm" ] || die "no vmdesk-vmm at $vmm" 2
vmm="$(readlink -f "$vmm")"
# The app, for vm-vs-container (`vmdesk compare`): built beside the VMM, same profile.
app="${VMDESK_APP:-}"
if [ -z "$app" ]; then
    say "cargo build -p vmdesk --bin vmdesk ($profile)"
    args=(build -p vmdesk --bin vmdesk)
    [ "$profile" = release ] && args+=(--release)
    (cd "$repo" && cargo "${args[@]}") >&2 || die "cargo build -p vmdesk failed" 1
    app="${CARGO_TARGET_DIR:-$repo/target}/$profile/vmdesk"
fi
app="$(readlink -f "$app")"
if [ "$use_lab" -eq 1 ]; then
    say "building L1 (tests/lab/build-l1.sh)"
    "$here/build-l1.sh" >&2 || die "tests/lab/build-l1.sh failed" 1
fi
# gpu-resize and the PC tests boot the generic kernel build-l1.sh downloads: get it on a host
# with hardware virtualization too (the L1 files it also makes are then unused).
if [ "$use_lab" -eq 0 ] && [ ! -d "${LAB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/lab}/debs" ]; then
    say "downloading the generic kernel for gpu-resize (tests/lab/build-l1.sh)"
    "$here/build-l1.sh" >&2 || say "build-l1.sh failed; gpu-resize will fail"
fi
# The PC tests' ISO (bios-cdrom-linux, bios-reboot), here on the host where it is fast; without
# grub-mkrescue those tests say why they cannot run.
if [ -d "${LAB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/lab}/debs" ]; then
    say "making the PC tests' ISO (tests/lab/make-pc-iso.sh)"
    "$here/make-pc-iso.sh" >&2 || say "make-pc-iso.sh failed; the PC tests will fail"
    # gpu-resize's kernel and initramfs (Debian's generic kernel: the cloud one has no DRM).
    say "making gpu-resize's kernel + initramfs (tests/lab/make-gpu-initrd.sh)"
    "$here/make-gpu-initrd.sh" >&2 || say "make-gpu-initrd.sh failed; gpu-resize will try again in L1"
fi
t_build="$(since "$t_b")"
t_tests="$(now)"

# ---------------------------------------------------------------- tests
envs=(VMDESK_VMM="$vmm" VMDESK_APP="$app")
for v in LAB_BREAK LAB_TESTS L2_TIMEOUT L2_PC_TIMEOUT L2_CMDLINE_EXTRA LAB_VERBOSE VMDESK_LINUX_DIR LAB_GPU_DIR; do
    [ -z "${!v:-}" ] || envs+=("$v=${!v}")
done
if [ -n "$save" ]; then
    mkdir -p "$save"
    save="$(cd "$save" && pwd -P)"
    envs+=(LAB_SAVE_DIR="$save")
fi

status=0
if [ "$use_lab" -eq 0 ]; then
    say "hardware virtualization here: running lab-tests.sh directly (no L1)"
    env "${envs[@]}" "$here/lab-tests.sh" "$@" || status=$?
else
    # A test ends within its own limit in L1 (lab-tests.sh: L2_TIMEOUT, or L2_PC_TIMEOUT for a
    # SeaBIOS/OVMF step) and says so on the console; a console silent for longer than that, with
    # slack, is an L1 that froze (run-in-l1.sh --stall).
    stall="$(( ${L2_TIMEOUT:-240} + 120 ))"
    case " $* ${LAB_TESTS:-} " in *" bios-"* | *" uefi-"*) stall="$(( ${L2_PC_TIMEOUT:-900} + 120 ))" ;; esac
    l1_args=(--timeout "${LAB_TIMEOUT:-1200}" --stall "${LAB_STALL:-$stall}" --no-build)
    for e in "${envs[@]}"; do l1_args+=(--env "$e"); done
    [ -z "$save" ] || l1_args+=(--rw "$save")
    console="$(mktemp "${TMPDIR:-/tmp}/vmdesk-lab-console.XXXXXX")"
    trap 'rm -f "$console"' EXIT
    "$here/run-in-l1.sh" "${l1_args[@]}" --log "$console" "$here/lab-tests.sh" "$@" || status=$?
    # L1 (QEMU TCG emulating SVM) has, rarely, stopped by itself in the middle of a test, with
    # no panic on its console: that says nothing of vmdesk. Then the tests that have no result
    # yet run once more in a fresh L1; those that failed stay failed.
    if [ "$status" -eq 125 ] && grep -q '^LAB-TESTS-PLANNED' "$console" &&
        ! grep -q '^LAB-EXIT' "$console"; then
        planned="$(tr -d '\r' <"$console" | awk '$1 == "LAB-TESTS-PLANNED" { $1 = ""; print; exit }')"
        finished="$(tr -d '\r' <"$console" | awk '$1 == "LAB-TEST" && ($3 == "PASS" || $3 ~ /^FAIL/) { print $2 }')"
        failed_before="$(tr -d '\r' <"$console" | awk '$1 == "LAB-TEST" && $3 ~ /^FAIL/ { print $2 }')"
        rest=()
        for t in $planned; do grep -qx -- "$t" <<<"$finished" || rest+=("$t"); done
        if [ "${#rest[@]}" -gt 0 ]; then
            say "L1 stopped by itself during the lab (not a test's verdict); running again in a fresh L1 the ${#rest[@]} test(s) without a result: ${rest[*]}"
            status=0
            "$here/run-in-l1.sh" "${l1_args[@]}" "$here/lab-tests.sh" "${rest[@]}" || status=$?
            if [ "$status" -eq 0 ] && [ -n "$failed_before" ]; then status=1; fi
        fi
    fi
fi
result "$status"
