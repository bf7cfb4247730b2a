#!/usr/bin/env bash
# Benchmark: the same real-Linux L2 boot (Debian cloud kernel + busybox initramfs
# from tests/linux/build-guest.sh, 2 vCPUs, 256 MiB) under vmdesk-vmm and under
# QEMU (microvm, KVM), interleaved, several rounds. Measures process launch →
# "VMDESK-LINUX-INIT-OK" on the serial console (stdout), and launch → process exit
# (the guest's poweroff -f). Runs INSIDE the lab's L1 (tests/lab/run-bench.sh runs
# it through tests/lab/run-in-l1.sh) or on a host with hardware virtualization.
#
# Usage: bench-l2.sh
# Environment:
#   BENCH_ROUNDS        rounds (default 5); odd rounds run vmdesk first, even QEMU first
#   VMDESK_VMM          vmdesk-vmm (default: target/release/vmdesk-vmm, else target/debug)
#   BENCH_QEMU          QEMU binary (default qemu-system-x86_64)
#   BENCH_QEMU_MACHINE  -M value (default "microvm,acpi=on,rtc=on": with KVM, microvm
#                       leaves the CMOS RTC out unless rtc=on, and Linux then spends
#                       seconds (20 s in the lab) in rtc_cmos probing ports 0x70/0x71)
#   BENCH_QEMU_EXTRA    more QEMU arguments (word-split)
#   BENCH_CMDLINE       kernel command line for both (default
#                       "console=ttyS0 reboot=k panic=-1 vmdesk.init=poweroff")
#   BENCH_CMDLINE_EXTRA words appended to it (e.g. "quiet")
#   BENCH_TIMEOUT       seconds per boot (default 300)
#   BENCH_STALL         seconds of no serial output after which a boot's threads (state, kernel
#                       stack) and vmdesk's `inspect` are recorded and printed as BENCH-STALL
#                       lines (default 45; 0 = never)
#   BENCH_VIRTIO_RNG    vmdesk's virtio_rng setting (default false: QEMU gets no
#                       virtio device either; the guest loads its virtio modules only
#                       after the marker anyway)
#   BENCH_ALT_ENV       if set (e.g. "LD_PRELOAD=/path/thp-align.so"), a third contender
#                       "vmdesk-alt": the same vmdesk-vmm run under \`env $BENCH_ALT_ENV\`
#   BENCH_ALT_VMM       if set, "vmdesk-alt" runs this vmdesk-vmm instead (before/after a change,
#                       both against QEMU in the same rounds)
#   BENCH_SAVE_DIR      keep each run's timestamped serial output there
#                       (<vmm>-<round>.log: "seconds since launch<TAB>line")
#   VMDESK_LINUX_DIR    the guest (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux)
#   BENCH_TRACE         1 (default): after the timed rounds, one more boot per VMM with KVM's
#                       tracepoints on (needs root and tracefs), summarized as "EXITS" lines:
#                       the guest's exits by reason, port I/O by port, MSRs, MMIO pages, and
#                       the exits that reached the VMM's process. Not timed. 0: skip.
# Output: "BENCH-RUN round=N vmm=vmdesk|qemu|vmdesk-alt marker=S exit=S status=N" per boot,
# then a summary (median/min/max, ratio vmdesk/QEMU) with "BENCH-SUMMARY" lines.
# Exit 0 if every boot reached the marker and exited 0, 1 otherwise.
set -uo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rounds="${BENCH_ROUNDS:-5}"
vmm="${VMDESK_VMM:-}"
if [ -z "$vmm" ]; then
    vmm="$repo/target/release/vmdesk-vmm"
    [ -x "$vmm" ] || vmm="$repo/target/debug/vmdesk-vmm"
fi
qemu="${BENCH_QEMU:-qemu-system-x86_64}"
machine="${BENCH_QEMU_MACHINE:-microvm,acpi=on,rtc=on}"
# pci=off for both: vmdesk-vmm adds it by itself (no PCI bus), and microvm has none either, so
# the two kernels get the same command line and skip the same probe.
cmdline="${BENCH_CMDLINE:-console=ttyS0 reboot=k panic=-1 pci=off vmdesk.init=poweroff}"
[ -z "${BENCH_CMDLINE_EXTRA:-}" ] || cmdline+=" $BENCH_CMDLINE_EXTRA"
limit="${BENCH_TIMEOUT:-300}"
stall="${BENCH_STALL:-45}"
guest="${VMDESK_LINUX_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux}"
kernel="$guest/vmlinuz-cloud"
initrd="$guest/initramfs-cloud.cpio.gz"
save="${BENCH_SAVE_DIR:-}"
marker=VMDESK-LINUX-INIT-OK

die() { echo "BENCH-ERROR $*"; exit 2; }
[ -c /dev/kvm ] || die "no /dev/kvm (run through tests/lab/run-bench.sh)"
[ -x "$vmm" ] || die "no vmdesk-vmm at $vmm"
command -v "$qemu" >/dev/null || die "no $qemu"
{ [ -f "$kernel" ] && [ -f "$initrd" ]; } || die "no guest in $guest (tests/linux/build-guest.sh)"
py="$(command -v python3)" || die "no python3"

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-l2.XXXXXX")"
cat >"$work/vm.toml" <<EOF
id = "bench-l2"
name = "bench: Debian cloud kernel"
vcpus = 2
memory_mib = 256
virtio_rng = ${BENCH_VIRTIO_RNG:-false}

[boot]
kind = "linux"
kernel = "$kernel"
initrd = "$initrd"
cmdline = "$cmdline"

[serial]
log = false
EOF

# Both VMMs: serial console on stdout, nothing else.
vmdesk_cmd=("$vmm" --config "$work/vm.toml" --runtime-dir "$work/run" --console)
# shellcheck disable=SC2206
qemu_cmd=("$qemu" -M "$machine" -accel kvm -cpu host -m 256 -smp 2
    -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
    -nodefaults -no-user-config -display none -serial stdio -no-reboot ${BENCH_QEMU_EXTRA:-})

echo "BENCH-CONFIG rounds=$rounds kernel=$(uname -r) cpus=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "BENCH-CONFIG vmdesk: ${vmdesk_cmd[*]} (vm.toml: vcpus=2 memory_mib=256 virtio_rng=${BENCH_VIRTIO_RNG:-false} serial.log=false, cmdline '$cmdline')"
echo "BENCH-CONFIG qemu: ${qemu_cmd[*]}"
contenders="vmdesk qemu"
# shellcheck disable=SC2206
alt_cmd=(env ${BENCH_ALT_ENV:-} "${BENCH_ALT_VMM:-$vmm}" "${vmdesk_cmd[@]:1}")
if [ -n "${BENCH_ALT_ENV:-}${BENCH_ALT_VMM:-}" ]; then
    contenders+=" vmdesk-alt"
    echo "BENCH-CONFIG vmdesk-alt: ${alt_cmd[*]}"
fi
echo "BENCH-CONFIG qemu version: $("$qemu" --version | head -n 1)"

# Warm the page cache (kernel, initrd, both binaries) so round 1 is not special.
cat "$kernel" "$initrd" "$vmm" "$(command -v "$qemu")" >/dev/null

results="$work/results"
: >"$results"
bad=0
one() { # ROUND NAME CMD...
    local round="$1" name="$2" log="$work/$2-$1.log" line m e s watch=()
    shift 2
    # A boot that goes quiet gets its threads and (vmdesk) vCPU state recorded while it hangs.
    [ "$stall" = 0 ] || watch=(--stall "$stall")
    [ "$name" = qemu ] || [ "$stall" = 0 ] || watch+=(--api "$work/run/control.sock")
    line="$("$py" "$here/labctl.py" time-boot --marker "$marker" --timeout "$limit" --log "$log" "${watch[@]}" -- "$@")"
    m="$(sed -n 's/.*marker=\([^ ]*\).*/\1/p' <<<"$line")"
    e="$(sed -n 's/.*exit=\([^ ]*\).*/\1/p' <<<"$line")"
    s="$(sed -n 's/.*status=\([^ ]*\).*/\1/p' <<<"$line")"
    echo "BENCH-RUN round=$round vmm=$name marker=$m exit=$e status=$s load=$(cut -d' ' -f1 /proc/loadavg)"
    if [ "$m" = - ] || [ "$s" != 0 ]; then
        bad=$((bad + 1))
        echo "BENCH-NOTE $name round $round: marker=$m status=$s; last lines: $(tail -n 3 "$log" | cut -f2 | tr '\n' '|')$(tail -n 2 "$log.stderr" 2>/dev/null | tr '\n' '|')"
    fi
    if [ -f "$log.stall" ]; then
        sed "s/^/BENCH-STALL $name round $round: /" "$log.stall"
        [ -z "$save" ] || cp "$log.stall" "$save/$name-$round.stall"
    fi
    echo "$name $round $m $e $s" >>"$results"
    [ -z "$save" ] || cp "$log" "$save/$name-$round.log"
    rm -rf "$work/run"
}

run_one() { # ROUND NAME
    case "$2" in
        vmdesk) one "$1" vmdesk "${vmdesk_cmd[@]}" ;;
        qemu) one "$1" qemu "${qemu_cmd[@]}" ;;
        vmdesk-alt) one "$1" vmdesk-alt "${alt_cmd[@]}" ;;
    esac
}
# Rotate the order every round so that neither side always runs first.
read -r -a order <<<"$contenders"
for r in $(seq 1 "$rounds"); do
    k=$(((r - 1) % ${#order[@]}))
    for i in $(seq 0 $((${#order[@]} - 1))); do
        run_one "$r" "${order[$(((k + i) % ${#order[@]}))]}"
    done
done

# ---------------------------------------------------------------- exit breakdown
# One extra boot per VMM with KVM's tracepoints on, after the timed rounds (tracing slows the
# exits it records, so these boots are not timed).
tracing=""
if [ "${BENCH_TRACE:-1}" != 0 ]; then
    for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
        [ -w "$d/tracing_on" ] && { tracing="$d"; break; }
    done
    if [ -z "$tracing" ] && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null &&
        [ -w /sys/kernel/tracing/tracing_on ]; then
        tracing=/sys/kernel/tracing
    fi
    [ -n "$tracing" ] || echo "BENCH-NOTE no writable tracefs (not root?): no exit breakdown"
fi
traced() { # NAME CMD...
    local name="$1" e
    shift
    echo 0 >"$tracing/tracing_on"
    : >"$tracing/trace"
    echo 65536 >"$tracing/buffer_size_kb"
    for e in kvm_exit kvm_pio kvm_msr kvm_mmio kvm_userspace_exit; do
        echo 1 >"$tracing/events/kvm/$e/enable"
    done
    echo 1 >"$tracing/tracing_on"
    "$py" "$here/labctl.py" time-boot --marker "$marker" --timeout "$limit" --log "$work/traced-$name.log" -- "$@" |
        sed "s/^TIME-BOOT/BENCH-TRACED vmm=$name/"
    echo 0 >"$tracing/tracing_on"
    for e in kvm_exit kvm_pio kvm_msr kvm_mmio kvm_userspace_exit; do
        echo 0 >"$tracing/events/kvm/$e/enable"
    done
    # A full ring buffer drops events: say so rather than show a short count.
    lost="$(cat "$tracing"/per_cpu/cpu*/stats 2>/dev/null | awk '/^overrun:/ { n += $2 } END { print n + 0 }')"
    [ "$lost" = 0 ] || echo "BENCH-NOTE vmm=$name: the trace lost $lost events (counts below are short)"
    cat "$tracing/trace" >"$work/trace-$name"
    : >"$tracing/trace"
    "$py" "$here/labctl.py" exit-breakdown --label "vmm=$name " "$work/trace-$name"
    [ -z "$save" ] || cp "$work/trace-$name" "$save/trace-$name"
    rm -f "$work/trace-$name"
    rm -rf "$work/run"
}
if [ -n "$tracing" ]; then
    for name in $contenders; do
        case "$name" in
            vmdesk) traced vmdesk "${vmdesk_cmd[@]}" ;;
            qemu) traced qemu "${qemu_cmd[@]}" ;;
            vmdesk-alt) traced vmdesk-alt "${alt_cmd[@]}" ;;
        esac
    done
fi

# ---------------------------------------------------------------- summary
stats() { # NAME FIELD(3 marker, 4 exit) -> "median min max n"
    awk -v n="$1" -v f="$2" '$1 == n && $f != "-" { print $f }' "$results" | sort -g |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "- - - 0"; exit }
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f %.2f %.2f %d\n", med, v[1], v[NR], NR }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo
printf '%-10s %-26s %6s %6s %6s %3s\n' vmm "launch to" median min max n
for name in $contenders; do
    # (no process substitution: L1's chroot has no /dev/fd)
    read -r med mn mx n <<<"$(stats "$name" 3)"
    printf '%-10s %-26s %6s %6s %6s %3s\n' "$name" "$marker" "$med" "$mn" "$mx" "$n"
    echo "BENCH-SUMMARY vmm=$name what=marker median=$med min=$mn max=$mx n=$n" >>"$work/summary"
    read -r med mn mx n <<<"$(stats "$name" 4)"
    printf '%-10s %-26s %6s %6s %6s %3s\n' "$name" "exit (powered off)" "$med" "$mn" "$mx" "$n"
    echo "BENCH-SUMMARY vmm=$name what=exit median=$med min=$mn max=$mx n=$n" >>"$work/summary"
done
cat "$work/summary"
for name in $contenders; do
    [ "$name" != qemu ] || continue
    rv="$(ratio "$(stats "$name" 3 | cut -d' ' -f1)" "$(stats qemu 3 | cut -d' ' -f1)")"
    re="$(ratio "$(stats "$name" 4 | cut -d' ' -f1)" "$(stats qemu 4 | cut -d' ' -f1)")"
    # Per round (same conditions, back to back).
    per="$(awk -v n="$name" '$3 != "-" { t[$2, $1] = $3; r[$2] = 1 } END {
        for (k in r) if (((k, n) in t) && ((k, "qemu") in t)) printf "%d:%.2f ", k, t[k, n] / t[k, "qemu"] }' "$results" |
        tr ' ' '\n' | sort -n | tr '\n' ' ')"
    echo "BENCH-RATIO $name/qemu marker(median)=$rv exit(median)=$re per-round(marker)=${per% }"
done
echo "BENCH-RESULT $([ "$bad" -eq 0 ] && echo OK || echo "FAILED-BOOTS=$bad")"
rm -rf "$work"
[ "$bad" -eq 0 ]
