#!/usr/bin/env bash
# Runs vmm-core's fuzz targets and records what they did in RELIABILITY.md.
#
#   vmm-core/fuzz/run.sh [--runs N] [--time S] [--no-merge] [target ...]
#
# Defaults: --time 120, every target (the list is fuzz_targets/*.rs). Given both limits, a target
# stops at whichever comes first (the issue's "10 M executions or 1 h": --runs 10000000 --time 3600).
# Per target it prints and records the executions, libFuzzer's final coverage (`cov:` edges, `ft:` features), the
# corpus it leaves, and the crashes this run found (inputs in artifacts/<target>/, to be moved to
# regressions/<target>/ once fixed: `cargo test -p vmm-core --lib fuzzing` replays them).
# New inputs are merged into corpus/<target>/ (minimized: only those that add coverage);
# --no-merge leaves the in-tree corpus alone. Needs `cargo +nightly` and cargo-fuzz; the CPU
# column needs GNU time (/usr/bin/time, Debian package `time`), else it says `?`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

runs=""; secs_limit=""; merge=1; targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --time) secs_limit="$2"; shift 2 ;;
        --no-merge) merge=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi
for t in "${targets[@]}"; do
    [ -f "fuzz_targets/$t.rs" ] || { echo "run.sh: no target $t (fuzz_targets/$t.rs)" >&2; exit 2; }
done

# Inputs longer than the harness reads are wasted work; the head-split targets need room.
max_len() {
    case "$1" in
        qcow2_open) echo 16384 ;;
        ahci_commands|virtio_blk_queue|virtio_net_queue|snapshot_state) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

# libFuzzer's -timeout is wall-clock time. vga_ports makes a VGA with its 16 MiB VRAM and renders
# the frame its registers describe, up to all of VRAM (32 M pixels at 4 bpp): about 1 s under ASan
# alone. On a shared machine at nice 15 that passed 10 s without being a hang (an input that
# stopped a run at 13 s took 0.9 s alone).
timeout_secs() {
    case "$1" in
        vga_ports) echo 60 ;;
        *) echo 10 ;;
    esac
}

# The in-tree corpus of a target stays under this (the largest inputs the fuzzer added go
# first; the hand-made seeds always stay).
budget_kib=300
# The inputs' bytes. Not `du -sb`: that counts the folder's own entry too, which grows with the
# files it once held and never shrinks; after a run that had left 5,800 inputs in it (400 KiB
# of folder) the trim dropped every input but the seeds.
corpus_bytes() {
    find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

work="$here/target/fuzz-work"
# One file per run: two lanes of run.sh at once must not truncate each other's rows.
results="$here/target/fuzz-results.$$.tsv"
# A fresh clone has no target/ yet: the results file goes there before the first build.
mkdir -p "$work"
: > "$results"
status=0
for t in "${targets[@]}"; do
    cargo +nightly fuzz build "$t" >/dev/null
    mkdir -p "$work/$t" "artifacts/$t" "corpus/$t"
    log="$work/$t.log"
    limits=()
    [ -z "$runs" ] || limits+=("-runs=$runs")
    [ -z "$secs_limit" ] || limits+=("-max_total_time=$secs_limit")
    [ ${#limits[@]} -gt 0 ] || limits+=("-max_total_time=120")
    start=$(date +%s)
    stamp="$work/$t.start"; : > "$stamp"
    set +e
    # CPU time as well as wall time: on a shared machine the wall clock overstates the work.
    timer=(); [ ! -x /usr/bin/time ] || timer=(/usr/bin/time -f '%U %S' -o "$work/$t.cpu")
    rm -f "$work/$t.cpu"
    "${timer[@]}" cargo +nightly fuzz run "$t" "$work/$t" "corpus/$t" -- \
        "${limits[@]}" -max_len="$(max_len "$t")" -timeout="$(timeout_secs "$t")" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    cpu=$(tail -1 "$work/$t.cpu" 2>/dev/null | awk 'NF == 2 { printf "%d", $1 + $2 }')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line (`#N  DONE/pulse/NEW ... cov: X ft: Y corp: ...`).
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    crashes=$(find "artifacts/$t" -type f -newer "$stamp" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "== $t: libFuzzer stopped (exit $rc); see $log and artifacts/$t/" >&2
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -5 >&2 || true
    fi
    if [ "$merge" = 1 ]; then
        fresh="$work/$t.merged"
        rm -rf "$fresh"; mkdir -p "$fresh"
        # Minimizing merge: the hand-made seeds stay, then whatever adds coverage.
        cp corpus/"$t"/seed-* "$fresh"/ 2>/dev/null || true
        if cargo +nightly fuzz run "$t" "$fresh" "corpus/$t" "$work/$t" -- -merge=1 \
            -max_len="$(max_len "$t")" -timeout="$(timeout_secs "$t")" -rss_limit_mb=2048 >"$work/$t.merge.log" 2>&1; then
            rm -rf "corpus/$t"; mv "$fresh" "corpus/$t"
        fi
    fi
    # One pass, largest first, until the rest fits.
    over=$(( $(corpus_bytes "corpus/$t") - budget_kib * 1024 ))
    trimmed=0
    while [ "$over" -gt 0 ] && read -r size big; do
        rm -f "$big"; trimmed=$((trimmed + 1)); over=$((over - size))
    done < <(find "corpus/$t" -type f ! -name 'seed-*' -printf '%s %p\n' | sort -rn)
    [ "$trimmed" = 0 ] || echo "== $t: corpus over ${budget_kib} KiB: dropped its $trimmed largest inputs"
    files=$(find "corpus/$t" -type f | wc -l)
    kib=$(( ( $(corpus_bytes "corpus/$t") + 1023 ) / 1024 ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "$secs" "${cpu:-?}" "${cov:-?}" "${ft:-?}" \
        "$files" "$kib" "$crashes" >> "$results"
    printf '%-24s %12s execs %6ss (CPU %ss)  cov %6s  ft %6s  corpus %4s files %5s KiB  crashes %s\n' \
        "$t" "${execs:-0}" "$secs" "${cpu:-?}" "${cov:-?}" "${ft:-?}" "$files" "$kib" "$crashes"
done
# The harnesses' scratch folders (vmdesk-fuzz-<pid>) of fuzzer processes that have ended.
for d in "${TMPDIR:-/tmp}"/vmdesk-fuzz-*; do
    [ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null && rm -rf "$d"
done

python3 "$here/record.py" "$root/RELIABILITY.md" "$results"
rm -f "$results"
exit $status
