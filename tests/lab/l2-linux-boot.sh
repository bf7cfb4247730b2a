#!/usr/bin/env bash
# Boot the real Linux guest (tests/linux/build-guest.sh: Debian cloud kernel +
# busybox initramfs) under vmdesk-vmm and check its markers. Meant to run inside
# the lab's L1 (tests/lab/run-in-l1.sh tests/lab/l2-linux-boot.sh), but runs on
# any host whose /dev/kvm can run a stock kernel (hardware virtualization).
#
# Usage: l2-linux-boot.sh [VMDESK_VMM]
# Environment:
#   VMDESK_VMM        the vmdesk-vmm binary (default: the newer of the repo's
#                     target/release and target/debug builds)
#   VMDESK_LINUX_DIR  the guest (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux)
#   L2_VCPUS (2), L2_MEM_MIB (256), L2_TIMEOUT (240 s)
#   L2_CMDLINE        default "console=ttyS0 reboot=k panic=-1 vmdesk.init=poweroff"
#   L2_CMDLINE_EXTRA  words appended (e.g. "earlyprintk=serial,ttyS0,115200")
#   L2_SAVE_DIR       copy vm.toml and serial.log there (e.g. a run-in-l1.sh --rw dir)
# Prints "L2-RESULT PASS ..." or "L2-RESULT FAIL ..."; exits 0 on PASS, 1 on FAIL,
# 77 if it cannot run here (no /dev/kvm, no guest, no binary).
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
vmm="${1:-${VMDESK_VMM:-}}"
if [ -z "$vmm" ]; then
    for b in "$repo/target/release/vmdesk-vmm" "$repo/target/debug/vmdesk-vmm"; do
        [ -x "$b" ] || continue
        if [ -z "$vmm" ] || [ "$b" -nt "$vmm" ]; then vmm="$b"; fi
    done
fi
guest="${VMDESK_LINUX_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux}"
vcpus="${L2_VCPUS:-2}"
mem="${L2_MEM_MIB:-256}"
limit="${L2_TIMEOUT:-240}"
cmdline="${L2_CMDLINE:-console=ttyS0 reboot=k panic=-1 vmdesk.init=poweroff}"
[ -z "${L2_CMDLINE_EXTRA:-}" ] || cmdline+=" $L2_CMDLINE_EXTRA"

skip() { echo "L2-RESULT SKIPPED: $*"; exit 77; }
[ -c /dev/kvm ] || skip "no /dev/kvm"
if [ -z "$vmm" ] || [ ! -x "$vmm" ]; then
    skip "no vmdesk-vmm binary (cargo build -p vmm-core, or pass its path)"
fi
if [ ! -f "$guest/vmlinuz-cloud" ] || [ ! -f "$guest/initramfs-cloud.cpio.gz" ]; then
    skip "no guest in $guest (run tests/linux/build-guest.sh on the host first)"
fi

up() { awk '{ print $1 }' /proc/uptime; }
dir="$(mktemp -d "${TMPDIR:-/tmp}/l2-linux.XXXXXX")"
cat >"$dir/vm.toml" <<EOF
id = "lab-l2"
name = "lab: Debian cloud kernel under vmdesk-vmm in L1"
vcpus = $vcpus
memory_mib = $mem

[boot]
kind = "linux"
kernel = "$guest/vmlinuz-cloud"
initrd = "$guest/initramfs-cloud.cpio.gz"
cmdline = "$cmdline"

[serial]
log = true
EOF
echo "L2-START vmm=$vmm vcpus=$vcpus mem=${mem}MiB cmdline='$cmdline' uptime=$(up)"
t0="$(date +%s.%N)"
rc=0
timeout -k 5 "$limit" "$vmm" --config "$dir/vm.toml" --runtime-dir "$dir/run" --console </dev/null || rc=$?
took="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
echo
echo "L2-END status=$rc after ${took}s uptime=$(up)"

log="$(tr -d '\r' <"$dir/serial.log" 2>/dev/null || true)"
if [ -n "${L2_SAVE_DIR:-}" ]; then
    cp "$dir/vm.toml" "$dir/serial.log" "$L2_SAVE_DIR/" 2>/dev/null || echo "L2-NOTE could not save to $L2_SAVE_DIR"
fi
fail=""
grep -qx 'VMDESK-LINUX-INIT-OK' <<<"$log" || fail+=" no VMDESK-LINUX-INIT-OK;"
nproc_line="$(grep -m1 '^VMDESK-NPROC ' <<<"$log" || true)"
[ "$nproc_line" = "VMDESK-NPROC $vcpus" ] || fail+=" wanted 'VMDESK-NPROC $vcpus', saw '${nproc_line:-nothing}';"
case "$rc" in
    0) ;;
    124 | 137) fail+=" vmdesk-vmm still running after ${limit}s;" ;;
    *) fail+=" vmdesk-vmm exit status $rc (0 = powered off);" ;;
esac
if [ -z "$fail" ]; then
    echo "L2-RESULT PASS: markers seen, powered off, ${took}s"
    exit 0
fi
echo "L2-RESULT FAIL:$fail (serial.log: $(wc -l <<<"$log") lines; last kernel line: $(grep '^\[' <<<"$log" | tail -n 1))"
exit 1
