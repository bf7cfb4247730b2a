#!/usr/bin/env bash
# Benchmark of the desktop app (release build, tiny-skia, under Xvfb): cold start to the first
# frame (median of RUNS launches), then the console showing a guest that animates its whole
# 1024x768 screen: frames/s the window presented, VNC updates/s received, CPU % of the app (and,
# for context, of Xvfb and vmdesk-vmm), over SECONDS seconds.
#
# Times come from the app's own trace (VMDESK_TRACE_FRAMES, see app/src/ui/trace.rs): one line per
# presented frame and per whole VNC update. CPU is utime+stime from /proc/<pid>/stat.
#
#   tests/app-bench.sh                 # defaults: RUNS=7 SECONDS_=10 MODE=fullanim FPS=0
#   MODE=animate tests/app-bench.sh    # the small moving square instead
#   ACTUAL=1 tests/app-bench.sh        # the console at "Actual size" (1:1) instead of fit
#   VMDESK_VMM=... tests/app-bench.sh  # another vmdesk-vmm; SHOT=file.png saves a screenshot
#   VMDESK_APP=... tests/app-bench.sh  # another vmdesk (an older build, to compare)
#   PERF=out.data tests/app-bench.sh   # also `perf record $PERF_OPTS` (default -g) the app over
#                                      # the measured seconds (PERF_OPTS="--call-graph dwarf -F 499")
# Needs: Xvfb, xdotool (tests/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release"
APP="${VMDESK_APP:-$BIN/vmdesk}"
RUNS="${RUNS:-7}"
SECS="${SECONDS_:-10}"
MODE="${MODE:-fullanim}"
FPS="${FPS:-0}"
fail() { echo "app-bench: FAIL: $*" >&2; exit 1; }
for t in Xvfb xdotool; do
  command -v "$t" >/dev/null || fail "$t is not installed (apt-get install xvfb xdotool)"
done
cargo build -q --release -p vmdesk -p vmm-core
GUEST=$(cargo run -q --release -p vmm-core --example test_guest_path)

. tests/lib/app-session.sh
app_session bench

"$APP" create bench --kernel "$GUEST" \
  --cmdline "console=ttyS0 vmdesk.test=$MODE vmdesk.fps=$FPS" \
  --display 1024x768 --memory 64 --vcpus 1 >/dev/null || fail "vmdesk create"
serial="$VMDESK_HOME/data/vms/bench/serial.log"
trace="$work/trace"

# The first line of a kind in the trace, waiting up to 10 s for it.
first() { # kind
  for _ in $(seq 1 100); do
    local t
    t=$(awk -v k="$1" '$1 == k { print $2; exit }' "$trace" 2>/dev/null || true)
    [ -n "$t" ] && { echo "$t"; return 0; }
    sleep 0.1
  done
  fail "no \"$1\" in the trace after 10 s"
}

# Cold start: launch → first frame presented (with the library and its one VM drawn: the first
# frame already shows the whole view, the app has no loading state).
starts=()
for _ in $(seq 1 "$RUNS"); do
  rm -f "$trace"
  t0=$(date +%s%N)
  VMDESK_TRACE_FRAMES="$trace" "$APP" >"$work/app.log" 2>&1 &
  app=$!
  t1=$(first frame)
  starts+=($(( (t1 - t0) / 1000 )))
  sleep 0.5
  kill "$app"; wait "$app" 2>/dev/null || true; app=""
done
sorted=$(printf '%s\n' "${starts[@]}" | sort -n)
median=$(echo "$sorted" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
printf 'app-bench: cold start to first frame: median %d.%d ms over %d launches (all, µs: %s)\n' \
  $((median / 1000)) $(((median % 1000) / 100)) "$RUNS" "$(echo $sorted)"

# The console: start the VM, open its screen by clicking (as a user would).
rm -f "$trace"
VMDESK_TRACE_FRAMES="$trace" "$APP" >"$work/app.log" 2>&1 &
app=$!
first frame >/dev/null
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1}"; }
click 349 165 2        # the VM card's Start button (Start, Clone, Delete, Details, Compare)
for _ in $(seq 1 600); do grep -qF "ACTION $MODE" "$serial" 2>/dev/null && break; sleep 0.1; done
if ! grep -qF "ACTION $MODE" "$serial" 2>/dev/null; then
  import -window root "${TMPDIR:-/tmp}/app-bench-fail.png" 2>/dev/null || true
  fail "the guest did not start $MODE (screen: ${TMPDIR:-/tmp}/app-bench-fail.png): $(tail -3 "$serial" 2>&1)"
fi
click 712 165 2        # Details (the running card: Pause, Power off, Restart, Force off, Details)
[ -n "${SHOT:-}" ] && import -window root "${SHOT%.png}-details.png"
click 1001 27 1         # Screen
first vnc-update >/dev/null
if [ -n "${ACTUAL:-}" ]; then click 889 27 1; fi  # "Actual size": 1:1 in a scrollable
xdotool mousemove 5 795  # the pointer off the screen: nothing but the guest changes
sleep 2                  # settle

hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
vmm=$(pgrep -f "vmdesk-vmm.*bench" | head -1 || true)
count() { grep -c "^$1 " "$trace" || true; }
# Redraws that showed a guest frame the previous redraw did not (the trace's third field).
shown() { awk '$1 == "frame" && $3 != last { n++; last = $3 } END { print n + 0 }' "$trace"; }
f0=$(count frame); g0=$(shown); u0=$(count vnc-update); a0=$(cpu "$app"); x0=$(cpu "$xvfb")
m0=$([ -n "$vmm" ] && cpu "$vmm" || echo 0); t0=$(date +%s%N)
if [ -n "${PERF:-}" ]; then
  # shellcheck disable=SC2086
  perf record -q ${PERF_OPTS:--g} -p "$app" -o "$PERF" -- sleep "$SECS" >/dev/null 2>&1 || fail "perf record"
else
  sleep "$SECS"
fi
[ -n "${SHOT:-}" ] && import -window root "$SHOT"
f1=$(count frame); g1=$(shown); u1=$(count vnc-update); a1=$(cpu "$app"); x1=$(cpu "$xvfb")
m1=$([ -n "$vmm" ] && cpu "$vmm" || echo 0); t1=$(date +%s%N)
el=$(( (t1 - t0) / 1000000 ))  # ms
rate() { awk -v n="$1" -v ms="$el" 'BEGIN { printf "%.1f", n * 1000 / ms }'; }
pct() { awk -v n="$1" -v ms="$el" -v hz="$hz" 'BEGIN { printf "%.0f", n / hz * 100000 / ms }'; }
how=$([ -n "${ACTUAL:-}" ] && echo "at 1:1 in" || echo "scaled to fit")
echo "app-bench: console, guest mode $MODE (vmdesk.fps=$FPS), 1024x768 $how a 1280x800 window, over $((el / 1000)) s:"
echo "app-bench:   guest frames presented/s: $(rate $((g1 - g0))) (all redraws/s: $(rate $((f1 - f0))))"
echo "app-bench:   VNC updates received/s: $(rate $((u1 - u0)))"
echo "app-bench:   load average (1 min) at the end: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs"
echo "app-bench:   CPU: app $(pct $((a1 - a0))) %, Xvfb $(pct $((x1 - x0))) %, vmdesk-vmm $(pct $((m1 - m0))) % (of one core)"
# Per presented guest frame: steadier than the % on a busy host, where the guest's frame rate
# (and so the app's work) moves with the VMM's share of the CPUs.
echo "app-bench:   app CPU per presented guest frame: $(awk -v t=$((a1 - a0)) -v n=$((g1 - g0)) -v hz="$hz" 'BEGIN { if (n > 0) printf "%.1f ms", t / hz * 1000 / n; else print "-" }')"
