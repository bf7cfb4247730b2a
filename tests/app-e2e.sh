#!/usr/bin/env bash
# End-to-end test of the real desktop app under Xvfb: create a VM with a screen through the CLI,
# open the app, start the VM and open its console by clicking, then check that a screenshot of
# the window shows the guest's test pattern and that a typed key and a click reach the guest.
# Also prints the app's cold start time (launch → first frame presented). Uses the release build.
# Needs: Xvfb, xdotool, imagemagick (tests/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release"
fail() { echo "app-e2e: FAIL: $*" >&2; exit 1; }
for t in Xvfb xdotool import convert; do
  command -v "$t" >/dev/null || fail "$t is not installed (apt-get install xvfb xdotool imagemagick)"
done
# Always: a no-op when up to date, and never an old binary tested by mistake.
cargo build --release -p vmdesk -p vmm-core
# run-all.sh names the guest its test build made (VMDESK_TEST_GUEST); alone, build it.
GUEST=${VMDESK_TEST_GUEST:-$(cargo run -q -p vmm-core --example test_guest_path)}

. tests/lib/app-session.sh
app_session e2e

"$BIN/vmdesk" create e2e --kernel "$GUEST" --cmdline "console=ttyS0 vmdesk.test=input" \
  --display 640x480 --memory 64 --vcpus 1 >/dev/null || fail "vmdesk create"
serial="$VMDESK_HOME/data/vms/e2e/serial.log"

# The app logs each presented frame (app/src/ui/trace.rs); the first one is the cold start.
start=$(date +%s%N)
VMDESK_TRACE_FRAMES="$work/trace" "$BIN/vmdesk" >"$work/app.log" 2>&1 &
app=$!
for _ in $(seq 1 100); do
  first=$(awk '$1 == "frame" { print $2; exit }' "$work/trace" 2>/dev/null || true)
  [ -n "$first" ] && break
  sleep 0.1
done
[ -n "$first" ] || fail "no frame presented within 10 s; log: $(tail -3 "$work/app.log")"
echo "app-e2e: cold start (launch → first frame presented): $(( (first - start) / 1000000 )) ms"
xdotool search --sync --name '^vmdesk$' >/dev/null
sleep 2

wait_for() { # file, text, seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no \"$2\" in $1 after $3 s"
}
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1}"; }

click 349 165 2        # the VM card's Start button (under its name: Start, Clone, Delete, Details)
wait_for "$serial" "INPUT ready" 60
click 712 165 2        # Details (running: Pause, Power off, Restart, Force off, Details)
click 1002 27 4        # Screen (the guest console over VNC)
import -window root "$work/shot.png"
# The guest's 8x6 test pattern, scaled into the window: a few of its block colours must be
# there over large areas (tests/guest/README.md: RR = c*32+16, GG = r*40+20, BB = (c^r)*16+8).
convert "$work/shot.png" -format %c histogram:info:- >"$work/hist.txt"
for c in 101408 301418 908C78 F0DC28; do
  n=$({ grep -i "#$c " "$work/hist.txt" || true; } | awk '{print $1+0}' | head -1)
  [ "${n:-0}" -gt 2000 ] || fail "the console does not show the guest's block #$c (pixels: ${n:-0}); screenshot: $work/shot.png"
done
echo "app-e2e: PASS: the console shows the guest's screen"

# A click on the screen captures the keyboard; then a key press.
click 640 400 1
wait_for "$serial" "type=1 code=272 value=1" 30
# No window manager under Xvfb: give the window the keyboard focus ourselves.
xdotool search --name '^vmdesk$' windowfocus --sync
sleep 1
xdotool type a
wait_for "$serial" "type=1 code=30 value=1" 30
echo "app-e2e: PASS: a click and a key reached the guest"
